"""Domain layer of iqies-onboard: models, rules, the step state machine, store and codes.

Nothing in this package may import textual (tests/test_layers.py enforces it).
"""

__version__ = "0.1.0"
