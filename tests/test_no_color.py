"""NO_COLOR (no-color.org) holds for every app the command starts, one after another in one
process as the CLI does (wizard, error screen, console, the wizard again), for a projector or a
user who asked for no colour. Textual reads it from a copy of the environment in each App."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import os
os.environ["NO_COLOR"] = "1"
from screens.app import OnboardingApp
from screens.console import ApproverConsoleApp
from screens.demo import DemoPickerApp
from screens.errors import ErrorApp
from wizard.store import Store
import sys
store = Store(sys.argv[1])
apps = [DemoPickerApp(), OnboardingApp(store), ErrorApp("ref", "log"), ApproverConsoleApp(store), OnboardingApp(store)]
print(all(app.no_color for app in apps))
"""


def test_every_app_in_a_process_honours_no_color(tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "d")], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
