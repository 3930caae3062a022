"""Passwords and challenge answers are kept only as argon2id hashes.

A hash or a check can be prepared ahead (:func:`prepare_hash`, :func:`prepare_verify`), in a
worker thread while the user is still on the page, so Next finds it done: argon2id takes tens of
ms by design, and the account, 2FA-setup and sign-in pages each wait for it. Prepared work is
used once, for the same secret only, and is kept under a keyed digest of the secret, never the
secret itself; at most a few pieces are kept.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading

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
    made = _taken(_key("hash", value))
    return made if isinstance(made, str) else _password_hasher().hash(value)


def verify_secret(stored_hash: str | None, value: str) -> bool:
    if not stored_hash:
        return False
    made = _taken(_key("verify", stored_hash, value))
    return made if isinstance(made, bool) else _verify(stored_hash, value)


def _verify(stored_hash: str, value: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(stored_hash, value)
    except (VerificationError, InvalidHashError):
        return False


# --- work prepared ahead -----------------------------------------------------------------------

_DIGEST_KEY = os.urandom(32)  # this process's own: a table key says nothing of the secret
_KEPT = 6
_lock = threading.Lock()
_prepared: dict[bytes, _Work] = {}


class _Work:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: str | bool | None = None


def _key(*parts: str) -> bytes:
    text = "\0".join((repr(sorted(PARAMETERS.items())), *parts))
    return hmac.new(_DIGEST_KEY, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _prepare(key: bytes, compute) -> None:
    with _lock:
        if key in _prepared:
            return
        work = _prepared[key] = _Work()
        while len(_prepared) > _KEPT:
            del _prepared[next(iter(_prepared))]
    try:
        work.result = compute()
    finally:
        work.done.set()


def _taken(key: bytes) -> str | bool | None:
    """The prepared result for ``key`` (waited for if it is still being made), used up; None if
    none was prepared or it failed."""
    with _lock:
        work = _prepared.pop(key, None)
    if work is None:
        return None
    work.done.wait()
    return work.result


def prepare_hash(value: str) -> None:
    """Hash ``value`` now, for the :func:`hash_secret` of the same value that follows."""
    _prepare(_key("hash", value), lambda: _password_hasher().hash(value))


def prepare_verify(stored_hash: str | None, value: str) -> None:
    """Check ``value`` against ``stored_hash`` now, for the :func:`verify_secret` that follows."""
    if stored_hash:
        _prepare(_key("verify", stored_hash, value), lambda: _verify(stored_hash, value))


def forget_prepared() -> None:
    """Drop every prepared piece (a page left, the app closing)."""
    with _lock:
        _prepared.clear()
