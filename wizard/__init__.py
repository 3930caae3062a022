"""Domain layer of iqies-onboard: models, rules, the step state machine, store and codes.

Nothing in this package imports textual, textual-serve, screens or app, not even inside a function
(the import-linter contracts in pyproject.toml and tests/test_layers.py enforce it).
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("iqies-onboard")  # the package metadata: pyproject.toml's version
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
