"""Layering (DESIGN.md section 3): wizard/ is the domain and never imports textual; screens/ use
wizard/ only through its public names."""

from __future__ import annotations

import ast
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import wizard

ROOT = Path(__file__).resolve().parent.parent
WIZARD_DIR = ROOT / "wizard"
SCREENS_DIR = ROOT / "screens"

# wizard.__main__ runs the CLI (and so the app) when imported: it is checked statically only.
_RUNS_ON_IMPORT = {"__main__"}
MODULES = sorted(m.name for m in pkgutil.iter_modules(wizard.__path__) if m.name not in _RUNS_ON_IMPORT)


def test_modules_discovered():
    assert {"rules", "models", "otp", "proofing", "flow", "store", "cli", "steps"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_importing_wizard_module_does_not_import_textual(module, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQIES_ONBOARD_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", f"import wizard.{module}, sys; print('textual' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"wizard.{module} imports textual"


def test_running_the_flow_does_not_import_textual(tmp_path):
    """Not only importing: using the domain (store, flow, rules, codes) stays textual-free."""
    code = (
        "import sys; from pathlib import Path\n"
        "from wizard.store import Store\n"
        "from wizard.flow import OnboardingFlow\n"
        "from wizard.steps import Step\n"
        "from wizard import rules, otp\n"
        "f = OnboardingFlow(Store(Path(sys.argv[1])))\n"
        "f.validate(Step.PROFILE, {'phone': '(614) 555-0123', 'email': 'a@b.org'})\n"
        "rules.check_phone('(614) 555-0123'); rules.check_email('a@b.org')\n"
        "otp.provisioning_uri(otp.new_totp_secret(), 'jdoe_pso')\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# textual_serve counts too: the browser view's server is UI side (screens/web.py)
_TEXTUAL_IMPORT = re.compile(r"^\s*(from|import)\s+textual")


@pytest.mark.parametrize("path", sorted(WIZARD_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_textual_import_line_in_wizard(path):
    offending = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _TEXTUAL_IMPORT.match(line)
    ]
    assert offending == []


@pytest.mark.parametrize("path", sorted(WIZARD_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_textual_import_in_wizard_ast(path):
    """Also catches `import os, textual` and imports of textual's submodules in any form."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    assert not [n for n in names if n == "textual" or n.startswith("textual.")]


def test_wizard_does_not_import_screens_at_module_level():
    """The domain never depends on the UI (cli.main imports screens.app lazily, inside main)."""
    for path in WIZARD_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("screens"), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("screens") for a in node.names), path.name


def _screen_files() -> list[Path]:
    return sorted(SCREENS_DIR.rglob("*.py")) if SCREENS_DIR.is_dir() else []  # the console is a package


@pytest.mark.parametrize("path", _screen_files(), ids=lambda p: p.name)
def test_screens_import_nothing_private_from_wizard(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wizard"):
            if any(part.startswith("_") for part in node.module.split(".")):
                private.append(f"{path.name}:{node.lineno}: from {node.module}")
            private += [
                f"{path.name}:{node.lineno}: {node.module}.{a.name}"
                for a in node.names
                if a.name.startswith("_")
            ]
        elif isinstance(node, ast.Import):
            private += [
                f"{path.name}:{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.startswith("wizard") and any(p.startswith("_") for p in a.name.split("."))
            ]
    assert private == []


@pytest.mark.parametrize("path", _screen_files(), ids=lambda p: p.name)
def test_screens_use_no_private_names_of_wizard_modules(path):
    """`from wizard import otp` then `otp._hash_code(...)` is as private as importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "wizard":
            module_aliases |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            module_aliases |= {a.asname or a.name for a in node.names if a.name.startswith("wizard")}
    private = [
        f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in module_aliases
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize(
    ("line", "caught"),
    [("from textual.app import App", True), ("import textual", True), ("  import textual, rich", True),
     ("from textual import on", True), ("from textual_serve.server import Server", True),
     ("import rich.text", False), ("from wizard.textual_free import x", False)],
)
def test_the_line_check_catches_textual_and_textual_serve(line, caught):
    assert bool(_TEXTUAL_IMPORT.match(line)) is caught
