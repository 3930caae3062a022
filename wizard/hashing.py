"""Passwords and challenge answers are kept only as argon2id hashes."""

from __future__ import annotations

# argon2id, t=5, 7 MiB: one of OWASP's equivalent minimum settings (as strong as t=2 at
# 19 MiB), chosen for the smaller block: the wizard's peak memory is measured (bench/run.py).
# Hashes made with the older setting carry their own parameters and still verify.
# The one place the parameters live; the test suite sets cheaper ones here (tests/conftest.py),
# except in the tests that check these.
PARAMETERS = {"time_cost": 5, "memory_cost": 7 * 1024, "parallelism": 1}


def _password_hasher():
    from argon2 import PasswordHasher

    from wizard.memory import trim

    # argon2id's block is the largest allocation of the wizard's run: free heap pages left by
    # earlier work are given back first, so they do not add to the peak it makes (bench/run.py)
    trim()
    return PasswordHasher(**PARAMETERS)


def hash_secret(value: str) -> str:
    return _password_hasher().hash(value)


def verify_secret(stored_hash: str | None, value: str) -> bool:
    if not stored_hash:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(stored_hash, value)
    except (VerificationError, InvalidHashError):
        return False
