"""Domain layer of iqies-onboard: models, rules, the step state machine, store and codes.

Nothing in this package imports textual, textual-serve, screens or app, not even inside a function
(the import-linter contracts in pyproject.toml and tests/test_layers.py enforce it).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``wizard.__version__`` (PEP 562): read from the package metadata on first use, so that
    importing the domain does not load ``importlib.metadata`` before the first frame."""
    if name != "__version__":
        raise AttributeError(f"module 'wizard' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("iqies-onboard")  # the package metadata: pyproject.toml's version
    except PackageNotFoundError:  # a source tree that was never installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value
