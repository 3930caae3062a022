"""Security codes as a person would get them, for every front end that types one for them
(the headless runner, trainer mode's page filling, the tests' state builders, the bench): a
text or voice code read from the simulated phone's code entry, an authenticator code computed
from the secret; and a wrong code that is surely wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from wizard import otp


def is_authenticator(flow: Any) -> bool:
    factor = flow.record.factor
    return factor is not None and factor.is_authenticator


def correct_code(flow: Any) -> str | None:
    """The code that works now: the authenticator's (one not used yet) or the newest on the
    phone; None when there is none (see :func:`no_code_reason`)."""
    factor = flow.record.factor
    if factor is not None and factor.is_authenticator:
        return otp.usable_totp_code(factor, flow.clock())
    return flow.code_on_phone()


def wrong_code(flow: Any) -> str:
    """Six digits that are not the code: none of the authenticator's codes around now, not the
    one on the phone."""
    factor = flow.record.factor
    if factor is not None and factor.is_authenticator and factor.totp_secret:
        avoid = {otp.totp_code(factor.totp_secret, flow.clock() + timedelta(seconds=otp.TOTP_INTERVAL * k))
                 for k in (-1, 0, 1)}
    else:
        avoid = {flow.code_on_phone() or ""}
    candidate = 0
    while f"{candidate:06d}" in avoid:
        candidate += 1
    return f"{candidate:06d}"


def code_source(flow: Any) -> str:
    if is_authenticator(flow):
        return "computed from the authenticator secret"
    return "read from the sandbox phone"


def no_code_reason(flow: Any) -> str:
    if is_authenticator(flow):
        return ("this 30-second authenticator code was already used; run again in half a minute "
                "(each code is accepted once)")
    return "no security code reached the sandbox phone"
