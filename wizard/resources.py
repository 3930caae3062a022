"""Where the read-only data files are: the one place that knows.

The repository's top-level ``data/`` is their only home; the wheel installs it as the package
``iqies_onboard_data`` (``pyproject.toml``: ``package-dir``), and an editable install maps that
package onto ``data/``. Files are found through :mod:`importlib.resources`, so they are found from
a wheel, an editable install or a zip. A plain source tree that was never installed (for example
``python tools/build_directory.py`` from a fresh clone, the clone on ``sys.path``) has them in its
package ``data``, found the same way; never by a path from this file, which an installed wheel
does not keep beside its data.
"""

from __future__ import annotations

import atexit
import contextlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["DATA_PACKAGE", "data_dir", "data_path", "read_text"]

DATA_PACKAGE = "iqies_onboard_data"
SOURCE_PACKAGE = "data"  # the same files in a source tree that was never installed
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


@lru_cache(maxsize=1)
def data_dir() -> Path:
    """The directory holding the data files (a real directory, extracted if it is in a zip)."""
    for package in (DATA_PACKAGE, SOURCE_PACKAGE):
        try:
            root = resources.files(package)
        except ModuleNotFoundError:
            continue
        if package == SOURCE_PACKAGE and not root.joinpath("help.json").is_file():
            continue  # some other package named data
        if isinstance(root, Path):
            return root.resolve()
        try:  # a zip import or another loader: extract once, for this process
            return Path(_extracted.enter_context(resources.as_file(root)))
        except (OSError, TypeError, NotImplementedError):
            continue
    raise FileNotFoundError(f"the data files are not installed (package {DATA_PACKAGE}): "
                            "install iqies-onboard with pip or pipx")


def data_path(name: str) -> Path:
    """The path of the data file ``name`` (e.g. ``"help.json"``); it may not exist."""
    return data_dir() / name


def read_text(name: str) -> str:
    return data_path(name).read_text(encoding="utf-8")
