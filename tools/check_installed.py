"""Checks run by tools/check_install.sh with the *installed* package's Python, from a directory
outside the clone: every data file of the clone is in the installed package, and the wizard
opens headless and shows F1 help (not "Something went wrong").

Usage: python check_installed.py REPO_DATA_DIR
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from importlib import resources
from pathlib import Path


def check_data_files(repo_data: Path) -> None:
    import wizard

    installed = resources.files("iqies_onboard_data")
    wanted = sorted(p.name for p in repo_data.iterdir() if p.is_file() and p.name != "__init__.py")
    missing = [name for name in wanted if not (installed / name).is_file()]
    if missing:
        raise SystemExit(f"data files missing from the installed package: {', '.join(missing)}")
    import app
    import screens

    for package in (wizard, screens, app):  # the domain, the views and the app layer
        where = Path(package.__file__).resolve()
        if Path(repo_data).resolve().parent in where.parents:
            raise SystemExit(f"{package.__name__} was imported from the clone ({where}), not from the install")
    from wizard.resources import data_dir

    if Path(repo_data).resolve() == data_dir():
        raise SystemExit("the data files were found in the clone, not in the install")
    print(f"data files: {len(wanted)} of {len(wanted)} installed in {data_dir()}")


async def check_help() -> None:
    from screens.app import OnboardingApp
    from screens.widgets import HelpScreen
    from wizard.catalogue import help_for
    from wizard.store import Store

    with tempfile.TemporaryDirectory() as home:
        app = OnboardingApp(Store(Path(home) / "data"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            screen = app.screen
            if not isinstance(screen, HelpScreen):
                raise SystemExit(f"F1 did not open help: the screen is {type(screen).__name__}")
            shown = " ".join(str(w.render()) for w in screen.query("Static"))
            if "Something went wrong" in shown or app.error_references:
                raise SystemExit("F1 help: Something went wrong")
            title = help_for(screen.help_id).title
            if title not in shown:
                raise SystemExit(f"F1 help does not show its title {title!r}: {shown[:200]!r}")
            print(f"wizard: F1 shows {title!r}")


def main(argv: list[str]) -> int:
    check_data_files(Path(argv[1]))
    asyncio.run(check_help())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
