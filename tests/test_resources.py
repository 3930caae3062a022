"""The data files are found through importlib.resources only: the installed package
(tools/check_install.sh proves the wheel), or, in a source tree that was never installed, the
tree's own package ``data``; never by a path from the code's own file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NEVER_INSTALLED = """
import sys
sys.path.insert(0, sys.argv[1])
from wizard.resources import data_dir, read_text
import json
assert json.loads(read_text("help.json"))
print(data_dir())
"""


def test_a_source_tree_never_installed_finds_its_data_package():
    # -S: no site-packages, so no installed or editable iqies_onboard_data (the module is stdlib only)
    out = subprocess.run([sys.executable, "-S", "-c", NEVER_INSTALLED, str(ROOT)], capture_output=True,
                         text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == ROOT / "data"


def test_no_data_anywhere_says_so(tmp_path):
    tree = tmp_path / "tree"
    (tree / "wizard").mkdir(parents=True)
    (tree / "wizard" / "__init__.py").write_text("")
    (tree / "wizard" / "resources.py").write_text((ROOT / "wizard" / "resources.py").read_text())
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from wizard.resources import data_dir\n"
            "try:\n    data_dir()\nexcept FileNotFoundError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-S", "-c", code, str(tree)], capture_output=True, text=True,
                         timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    assert "data files are not installed" in out.stdout
