"""Layering (DESIGN.md section 3): wizard/ is the domain and never imports textual, textual-serve,
screens/ or the app layer (app/), not even inside a function; screens/ use wizard/ only through its
public names and never import app/; app/ composes both. The import-linter contracts in
pyproject.toml say the same and run here, so the test command checks them."""

from __future__ import annotations

import ast
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import app
import wizard

ROOT = Path(__file__).resolve().parent.parent
WIZARD_DIR = ROOT / "wizard"
SCREENS_DIR = ROOT / "screens"
APP_DIR = ROOT / "app"

# app.__main__ runs the CLI (and so the app) when imported: it is checked statically only.
_RUNS_ON_IMPORT = {"__main__"}


def _modules(package) -> list[str]:
    """Every module of ``package``, in its subpackages too (``steps.profile``), by its name
    below the package."""
    return sorted(
        m.name.split(".", 1)[1]
        for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
        if m.name.rsplit(".", 1)[-1] not in _RUNS_ON_IMPORT
    )


MODULES = _modules(wizard)
APP_MODULES = _modules(app)
# what the domain may never import, in any form and anywhere in a module (the UI and the app layer)
_UI_ROOTS = ("textual", "textual_serve", "screens", "app")


def test_modules_discovered():
    assert {"rules", "models", "otp", "proofing", "flow", "store", "steps", "browser"} <= set(MODULES)
    assert {"cli", "serve", "guard", "commands", "run", "plain", "demo", "terminal"} <= set(APP_MODULES)
    # the command line and the browser view's server are the app layer's, not the domain's
    assert not {"cli", "serve", "__main__"} & {m.name for m in pkgutil.iter_modules(wizard.__path__)}
    assert not list(WIZARD_DIR.rglob("__main__.py"))


# One interpreter imports the domain's third-party libraries (none of them imports textual, and
# if one did every module below would say so), then forks a fresh child per wizard module, which
# imports that module alone and reports whether textual came with it: what a new interpreter per
# module showed (~0.2 s each, 70 modules), for the cost of the wizard module's own import.
_THIRD_PARTY = ("pydantic", "pydantic_core", "tinydb", "pyotp", "email_validator", "phonenumbers", "segno",
                "platformdirs", "filelock", "argon2", "cryptography", "yaml")
_FORKED_IMPORTS = r"""
import importlib, json, os, sys, traceback
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
assert "textual" not in sys.modules
report = {}
for module in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module("wizard." + module)
            result = {"ok": True, "textual": "textual" in sys.modules}
        except BaseException:
            result = {"ok": False, "error": traceback.format_exc()}
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(result))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    report[module] = json.loads(data) if data else {"ok": False, "error": "the child reported nothing"}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def imports_of_wizard_modules(tmp_path_factory) -> dict[str, dict]:
    import json

    home = tmp_path_factory.mktemp("imports") / "home"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQIES_ONBOARD_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", _FORKED_IMPORTS, json.dumps(MODULES), json.dumps(_THIRD_PARTY)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", MODULES)
def test_importing_wizard_module_does_not_import_textual(module, imports_of_wizard_modules):
    report = imports_of_wizard_modules[module]
    assert report["ok"], report.get("error")
    assert report["textual"] is False, f"wizard.{module} imports textual"


def test_the_command_line_imports_the_ui_only_when_it_opens_it(tmp_path):
    """``iqies-onboard --version``, ``schema`` and ``run`` stay quick: app.cli and the commands
    that print import no textual (the UI is imported inside the functions that open it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQIES_ONBOARD_HOME": str(tmp_path / "home")}
    modules = ", ".join(f"app.{m}" for m in APP_MODULES)
    out = subprocess.run(
        [sys.executable, "-c", f"import sys, {modules}; print('textual' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


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


@pytest.mark.parametrize("path", sorted(WIZARD_DIR.rglob("*.py")), ids=lambda p: p.relative_to(WIZARD_DIR).as_posix())
def test_no_textual_import_line_in_wizard(path):
    offending = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _TEXTUAL_IMPORT.match(line)
    ]
    assert offending == []


@pytest.mark.parametrize("path", sorted(WIZARD_DIR.rglob("*.py")), ids=lambda p: p.relative_to(WIZARD_DIR).as_posix())
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


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a file imports, anywhere (inside functions, classes, ``if`` and ``try``
    too): ``import a.b``, ``from a.b import c`` (as ``a.b.c`` too, for ``from a import b``) and
    ``importlib.import_module("a.b")`` / ``__import__("a.b")`` with a literal name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module"))
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def ui_imports(source: str) -> list[str]:
    """The imports of the UI or the app layer in ``source``, anywhere in it."""
    return [
        f"{lineno}: {name}"
        for lineno, name in _imported_modules(ast.parse(source))
        if name.split(".")[0] in _UI_ROOTS
    ]


@pytest.mark.parametrize("path", sorted(WIZARD_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(WIZARD_DIR)))
def test_wizard_imports_no_ui_even_inside_a_function(path):
    """The domain never depends on the UI or the app layer: not at module level, and not lazily
    inside a function either (the command functions that open the UI live in app/)."""
    assert ui_imports(path.read_text(encoding="utf-8")) == [], path.name


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("def run():\n    from screens.app import OnboardingApp\n", True),
        ("class A:\n    def f(self):\n        if x:\n            import textual.app\n", True),
        ("try:\n    import os, textual_serve.server\nexcept ImportError:\n    pass\n", True),
        ("def f():\n    from app import cli\n", True),
        ("def f():\n    import importlib\n    importlib.import_module('screens.demo')\n", True),
        ("def f():\n    __import__('textual')\n", True),
        ("from wizard.textual_free import x\nimport rich.text\nfrom wizard import screens_of\n", False),
        ("def f():\n    from . import app\n", False),  # relative: wizard's own module
    ],
)
def test_the_ui_import_check_sees_every_import_node(source, caught):
    assert bool(ui_imports(source)) is caught


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """import-linter (``lint-imports``) on the contracts in ``cwd``'s pyproject.toml, against
    the packages in ``cwd``; no cache is written."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_logo=True, no_cache=True))")
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_the_import_linter_contracts_hold():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert len(contracts["contracts"]) >= 3
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " broken" in out.stdout and "0 broken" in out.stdout


def test_the_import_linter_contracts_catch_a_ui_import_inside_a_function(tmp_path):
    """The contracts are not vacuous: a copy of the tree whose domain imports the screens and
    textual-serve inside a function, and a view that imports the app layer, is refused."""
    for package in ("wizard", "screens", "app"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "wizard" / "rules.py").open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _sneaky():\n    from screens.errors import ErrorApp\n    import textual_serve.server\n")
    with (tmp_path / "screens" / "errors.py").open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _sneaky():\n    from app import guard\n")
    out = _lint_imports(tmp_path)
    assert out.returncode != 0, out.stdout
    text = " ".join(out.stdout.split())
    assert "wizard.rules -> screens.errors" in text
    assert "wizard.rules -> textual_serve" in text
    assert "screens.errors -> app.guard" in text


def test_the_entry_points_are_the_app_layer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["iqies-onboard"] == "app.cli:main"
    assert "app" in project["tool"]["setuptools"]["packages"]
    assert (APP_DIR / "__main__.py").is_file() and not (WIZARD_DIR / "__main__.py").exists()


@pytest.mark.parametrize("path", sorted(APP_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(APP_DIR)))
def test_no_app_module_is_over_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 500


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


@pytest.mark.parametrize(
    "path",
    sorted(p for d in (WIZARD_DIR, SCREENS_DIR, APP_DIR) for p in d.rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_source_file_is_over_500_lines(path):
    """No god units (issue 12): a module that grows past 500 lines is split by concern."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 500


def test_every_package_is_in_the_wheel():
    """setuptools lists packages by name: a new subpackage left out of pyproject is missing from
    the installed wheel (the clone's tests would still pass)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for d in (WIZARD_DIR, SCREENS_DIR, APP_DIR)
        for init in d.rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
