"""Start-up (issue 13, item 3): what the first frame does without. The wizard's first page needs
Textual, the step specs, the pydantic models and the store; the rest loads on first need (a code
made or checked, a search, a routed request, a hash, the vault's key). Each test runs a fresh
interpreter and reads its ``sys.modules``, so no timing is involved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# loaded on first need, never before the first frame
LATER = (
    "pyotp",  # a security code is made or checked (wizard.otp)
    "argon2",  # a password or answer is hashed or checked (wizard.hashing)
    "cryptography",  # the vault encrypts or decrypts (wizard.vault)
    "phonenumbers",  # a phone number is checked (wizard.rules)
    "email_validator",  # an email address is checked (wizard.rules)
    "yaml",  # an answers file is read
    "qrcode",  # the authenticator page's QR code
    "textual_serve",  # the browser view
    "wizard.directory",  # the provider directory: the first search
    "wizard.directory_index",
    "wizard.answers",  # answers files, personas
    "wizard.report",
)
# neither the domain alone nor the first frame routes requests or sends mail before it is asked to
DOMAIN_LATER = LATER + ("wizard.approvals", "wizard.mail", "wizard.smtp_delivery")

_LOADED = """
import json, sys
loaded = sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)
print(json.dumps(loaded))
"""

DOMAIN = """
import os, sys, tempfile
with tempfile.TemporaryDirectory() as tmp:
    from wizard.flow import OnboardingFlow
    from wizard.steps import Step
    from wizard.store import Store

    flow = OnboardingFlow(Store(os.path.join(tmp, "data")))
    assert flow.current_step is Step.PROFILE, flow.current_step
    assert [f.label for f in Step.PROFILE.fields][:1] == ["First name"]
""" + _LOADED

# as bench/run.py takes its cold-start row: the app exits once the first step page is painted
FIRST_FRAME = """
import os, sys, tempfile
from wizard.memory import return_large_blocks_to_os
return_large_blocks_to_os()
with tempfile.TemporaryDirectory() as tmp:
    from screens.app import OnboardingApp
    from screens.base import StepScreen
    from wizard.store import Store

    reached = []
    _on_mount = StepScreen.on_mount

    def on_mount(self):
        _on_mount(self)
        reached.append(type(self).__name__)
        self.call_after_refresh(self.app.exit)

    StepScreen.on_mount = on_mount
    OnboardingApp.WARM_UP_SECONDS = 3600  # what the first frame needs, not what the warm-up loads after it
    OnboardingApp(Store(os.path.join(tmp, "data"))).run(headless=True)
    assert reached == ["ProfileScreen"], reached
""" + _LOADED


def _loaded(code: str, names: tuple[str, ...], tmp_path: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQIES_ONBOARD_HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "xdg")}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(list(names))], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_first_frame_loads_none_of_what_later_pages_need(tmp_path):
    assert _loaded(FIRST_FRAME, DOMAIN_LATER, tmp_path) == []


def test_the_flow_on_a_new_store_loads_no_approvals_mail_codes_or_directory(tmp_path):
    assert _loaded(DOMAIN, DOMAIN_LATER, tmp_path) == []


def test_importing_the_domain_reads_no_package_metadata(tmp_path):
    """``wizard.__version__`` is read on first use (pydantic's plugin loader still imports
    importlib.metadata when it builds the first model)."""
    code = "import wizard, wizard.memory, wizard.sanitize, wizard.rules\n" + _LOADED
    assert _loaded(code, ("importlib.metadata",), tmp_path) == []


def test_the_lazy_names_still_resolve(tmp_path):
    """What moved behind a first use is still there when asked for."""
    code = """
import os, sys, tempfile
from importlib.metadata import version
import wizard
from wizard import __version__
assert __version__ == version("iqies-onboard") == wizard.__version__
with tempfile.TemporaryDirectory() as tmp:
    from wizard.flow import OnboardingFlow
    from wizard.store import Store
    from wizard import otp

    flow = OnboardingFlow(Store(os.path.join(tmp, "data")))
    assert flow.approvals is flow.approvals  # built once, on first use
    assert type(flow.approvals).__module__ == "wizard.approvals"
    assert type(flow.directory).__module__ == "wizard.directory"
    assert len(otp.new_totp_secret()) == 32
""" + _LOADED
    assert _loaded(code, ("wizard.approvals", "wizard.directory", "pyotp"), tmp_path) == [
        "pyotp", "wizard.approvals", "wizard.directory"]


def test_the_command_line_turns_off_pydantic_plugins(tmp_path):
    """No installed pydantic plugin sees what the models validate, and pydantic never scans the
    installed packages' entry points for one (PYDANTIC_DISABLE_PLUGINS, unless set already)."""
    code = """
import contextlib, io, os, sys
os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
from app import cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    assert cli.main(["schema"]) == 0
assert '"properties"' in out.getvalue()
assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
from pydantic.plugin import _loader
assert _loader._plugins is None, _loader._plugins  # the entry points were never read
""" + _LOADED
    assert _loaded(code, (), tmp_path) == []


def test_after_the_first_frame_the_wizard_warms_up_what_later_pages_need(tmp_path):
    """Once the first page is up, the app imports the later pages' modules one at a time
    between frames, on its own thread (OnboardingFlow.warm_up), so no Next waits for them;
    the provider file still waits for the first lookup."""
    code = """
import os, sys, tempfile, threading
with tempfile.TemporaryDirectory() as tmp:
    from screens.app import OnboardingApp
    from screens.base import StepScreen
    from wizard.directory import default_directory
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    calls = []
    _warm_up = OnboardingFlow.warm_up

    def warm_up(self, *, one=False):
        calls.append((one, threading.current_thread() is threading.main_thread(),
                      isinstance(app.screen, StepScreen)))
        more = _warm_up(self, one=one)
        if not more:
            app.exit()
        return more

    OnboardingFlow.warm_up = warm_up
    OnboardingApp.WARM_UP_SECONDS = 0.05
    app = OnboardingApp(Store(os.path.join(tmp, "data")))
    app.run(headless=True)
    assert len(calls) >= 2 and set(calls) == {(True, True, True)}, calls  # one by one, on the UI thread, page up
    assert not default_directory().loaded  # the provider file waits for the first lookup (memory)
""" + _LOADED
    from wizard.flow import WARM_UP

    assert _loaded(code, WARM_UP, tmp_path) == sorted(WARM_UP)


def test_the_warm_up_raises_nothing_and_keeps_nothing_on_the_flow(tmp_path):
    code = """
import os, sys, tempfile
with tempfile.TemporaryDirectory() as tmp:
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    flow = OnboardingFlow(Store(os.path.join(tmp, "data")))
    sys.modules["email_validator"] = None  # a damaged install: it cannot be imported
    assert flow.warm_up() is False  # all done, nothing raised: the first real check says it, as before
    assert sys.modules.pop("email_validator") is None
    assert flow._directory is None and flow._approvals is None
    assert flow.warm_up(one=True) is False  # and it is not tried again
""" + _LOADED
    assert _loaded(code, ("pyotp", "email_validator"), tmp_path) == ["pyotp"]
