"""One-time codes for the second factor: SMS/voice codes and authenticator-app TOTP.

SMS and voice codes [sandbox]: 6 digits from ``secrets``, valid 10 minutes, single use, a new one
voids the old one; delivered only to the app's outbox. Authenticator apps: a real RFC 6238 TOTP
secret (160 bits, SHA1, 6 digits, 30 s) that a real phone app can enrol; a look-around of one
step, and each time step accepted once (pyotp itself keeps no state, so we record the last one).
Five wrong codes lock the factor (30 s, doubling, at most 15 minutes); resending does not reset
the count; a success does; 100 wrong codes in a row lock it for good.
"""

from __future__ import annotations

import hashlib
import math
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Callable, TypeVar

from pydantic import BaseModel

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
TOTP_INTERVAL = 30
TOTP_ISSUER = "iQIES onboarding sandbox"
FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
HARD_LIMIT = 100

AUTHENTICATOR_DEVICES = frozenset({"google_authenticator", "okta_verify"})

T = TypeVar("T", bound="Throttle")


class Throttle(BaseModel):
    """Wrong attempts of one kind for one account, stored so a restart does not reset them."""

    failures: int = 0
    locked_until: datetime | None = None


class FactorState(Throttle):
    """What is stored of a second factor. The TOTP secret is the one secret kept, because the
    app must check codes later (the store encrypts it at rest); SMS codes only as a salted HMAC under the data directory's key."""

    device_type: str
    phone: str | None = None
    totp_secret: str | None = None
    last_totp_step: int | None = None
    code_hash: str | None = None
    code_salt: str | None = None
    code_expires_at: datetime | None = None
    verified: bool = False
    # counts saved changes, so a process holding an older copy (a wizard while the console signs
    # the same user in) takes the newer one from disk instead of writing its own over it
    revision: int = 0

    @property
    def is_authenticator(self) -> bool:
        return self.device_type in AUTHENTICATOR_DEVICES


def usable_totp_code(factor: "FactorState", now: datetime) -> str | None:
    """The code the user's authenticator app shows at ``now``, or the next one when this one was
    already accepted (each code works once; the look-around accepts the next time step): what a
    scripted run or a demo persona types. None without a secret, or when both were used."""
    if not factor.totp_secret:
        return None
    now_step = int(now.timestamp()) // TOTP_INTERVAL
    for ahead in (0, 1):
        if factor.last_totp_step is None or now_step + ahead > factor.last_totp_step:
            return totp_code(factor.totp_secret, now + timedelta(seconds=TOTP_INTERVAL * ahead))
    return None


class CodeCheck(BaseModel):
    ok: bool
    message: str = ""
    locked: bool = False


def new_totp_secret() -> str:
    import pyotp  # pyotp is imported where a code is made or checked, not at start-up

    return pyotp.random_base32(length=32)  # 32 base32 characters = 160 bits


def provisioning_uri(secret: str, user_id: str) -> str:
    import pyotp

    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user_id, issuer_name=TOTP_ISSUER
    )


def totp_code(secret: str, at: datetime, digits: int = CODE_DIGITS) -> str:
    """The code an authenticator app shows at ``at`` (used by tests and scripted runs)."""
    import pyotp

    return pyotp.TOTP(secret, digits=digits, interval=TOTP_INTERVAL).at(at)


def group_secret(secret: str) -> str:
    """ABCD EFGH ... : the manual key as apps show it, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


CODE_MAC_PREFIX = "hmac-sha256:"


def _legacy_hash_code(code: str, salt: str) -> str:
    """How codes were kept before: SHA-256(salt:code), brute-forced from the file in a fraction
    of a second; only recognised to refuse it."""
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _process_mac() -> Callable[[str], str]:
    """An HMAC under a key that lives only in this process: for a SecondFactor used without a
    data directory (its codes cannot be checked by another process, nor recovered from a file)."""
    key = secrets.token_bytes(32)
    return lambda text: hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class SecondFactor:
    """Issues and checks codes for a :class:`FactorState`, with the clock and randomness injected."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        randbelow: Callable[[int], int] = secrets.randbelow,
        code_mac: Callable[[str], str] | None = None,
        check_mac: Callable[[str], str] | None = None,
    ) -> None:
        """``code_mac``/``check_mac``: HMAC of ``salt:code`` under the data directory's key (the
        first may create the key, the second must not); text-message codes are kept only so."""
        self.clock = clock
        self.randbelow = randbelow
        self.code_mac = code_mac or _process_mac()
        self.check_mac = check_mac or self.code_mac

    def _code_matches(self, state: "FactorState", code: str) -> bool:
        stored = state.code_hash or ""
        if not stored.startswith(CODE_MAC_PREFIX):
            return False  # an unkeyed hash (an older version, or a hand edit) is never accepted
        try:
            expected = CODE_MAC_PREFIX + self.check_mac(f"{state.code_salt}:{code}")
        except Exception:  # noqa: BLE001 - no usable key: the code cannot be checked, so it is wrong
            return False
        return hmac.compare_digest(expected, stored)

    def issue_code(self, state: FactorState) -> tuple[str, FactorState]:
        """A fresh SMS/voice code; the previous one stops working."""
        code = f"{self.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(8)
        return code, state.model_copy(
            update={
                "code_hash": CODE_MAC_PREFIX + self.code_mac(f"{salt}:{code}"),
                "code_salt": salt,
                "code_expires_at": self.clock() + CODE_LIFETIME,
            }
        )

    def lock_remaining(self, state: Throttle) -> timedelta | None:
        if state.failures >= HARD_LIMIT:
            return timedelta.max
        if state.locked_until and state.locked_until > self.clock():
            return state.locked_until - self.clock()
        return None

    def lock_message(self, state: Throttle, what: str = "wrong codes", thing: str = "this device") -> str | None:
        remaining = self.lock_remaining(state)
        if remaining is None:
            return None
        if remaining == timedelta.max:
            return (
                f"{thing[0].upper() + thing[1:]} is locked after too many {what}. In real HARP you "
                "would call the help desk; in the sandbox, start over with a new practice account."
            )
        seconds = math.ceil(remaining.total_seconds())
        wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
        return f"Too many {what}: {thing} is locked. Try again in {wait}."

    def record_failure(self, state: T) -> T:
        """Count one wrong attempt; every fifth locks the factor, each lock twice as long."""
        failures = state.failures + 1
        update: dict = {"failures": failures}
        if failures % FAILURES_BEFORE_LOCK == 0:
            doublings = failures // FAILURES_BEFORE_LOCK - 1
            update["locked_until"] = self.clock() + min(FIRST_LOCK * (2 ** min(doublings, 10)), LONGEST_LOCK)
        return state.model_copy(update=update)

    def check(self, state: FactorState, code: str) -> tuple[CodeCheck, FactorState]:
        code = "".join(code.split())
        if not code.isascii():
            code = ""  # compare_digest refuses non-ASCII text; such a code is simply wrong
        locked = self.lock_message(state)
        if locked:  # refused without counting
            return CodeCheck(ok=False, message=locked, locked=True), state
        now = self.clock()
        if state.is_authenticator and state.totp_secret:
            import pyotp

            totp = pyotp.TOTP(state.totp_secret, interval=TOTP_INTERVAL)
            step = totp.timecode(now)
            for candidate in (step - 1, step, step + 1):
                if state.last_totp_step is not None and candidate <= state.last_totp_step:
                    continue  # each time step is accepted once
                if hmac.compare_digest(totp.generate_otp(candidate), code):
                    return CodeCheck(ok=True), state.model_copy(
                        update={"last_totp_step": candidate, "failures": 0, "locked_until": None}
                    )
        elif (
            state.code_hash
            and state.code_salt
            and state.code_expires_at
            and now <= state.code_expires_at
            and self._code_matches(state, code)
        ):
            return CodeCheck(ok=True), state.model_copy(
                update={"code_hash": None, "code_salt": None, "code_expires_at": None,
                        "failures": 0, "locked_until": None}
            )
        state = self.record_failure(state)
        failures = state.failures
        locked = self.lock_message(state)
        if locked:
            return CodeCheck(ok=False, message=locked, locked=True), state
        left = FAILURES_BEFORE_LOCK - failures % FAILURES_BEFORE_LOCK
        if state.is_authenticator:
            hint = "Type the code your authenticator app shows now."
        else:
            hint = "Use the newest code on your phone (F2), within 10 minutes."
        return CodeCheck(
            ok=False,
            message=f"That code was not accepted (wrong, expired or already used). {hint} "
            f"{left} more wrong {'code locks' if left == 1 else 'codes lock'} the device for a while.",
        ), state
