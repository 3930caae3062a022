"""Put a data directory at any step through the domain flow (fast), for screen tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
from tests.factory import CCN, PASSWORD, PROFILE, USER_ID, account_form  # noqa: F401  (tests import them from here)
from wizard import otp
from wizard.flow import OnboardingFlow
from wizard.steps import Step
from wizard.walk import advance
from wizard.store import DEFAULT_PRACTICE_ACCOUNT, Store


def new_flow(data_dir: Path, clock: FrozenClock | None = None, practice_account: str = DEFAULT_PRACTICE_ACCOUNT) -> OnboardingFlow:
    """``practice_account``: another trainee's practice account in the same data directory."""
    return OnboardingFlow(
        Store(data_dir, practice_account=practice_account), clock=clock or FrozenClock(), randbelow=SequentialCodes(),
        totp_secret_factory=lambda: FIXED_TOTP_SECRET, seed_factory=lambda: "test-seed",
    )


def last_code(flow: OnboardingFlow) -> str:
    """The newest security code on the simulated phone (its own entry, not the wording)."""
    code = flow.code_on_phone()
    assert code is not None, "no code on the phone"
    return code


def sign_in(flow: OnboardingFlow, device: str, user_id: str = USER_ID) -> None:
    """Sign in to iQIES again, as a person back on another day would (a fresh code)."""
    if device in otp.AUTHENTICATOR_DEVICES:
        flow.clock.advance(seconds=30)  # type: ignore[attr-defined]  # a fresh time step
        code = otp.totp_code(FIXED_TOTP_SECRET, flow.clock())
    else:
        flow.send_code()
        code = last_code(flow)
    outcome = flow.submit(Step.IQIES_SIGN_IN, {"user_id": user_id, "password": PASSWORD, "code": code})
    assert outcome.ok, outcome


def answers_for(
    device: str = "sms", *, user_id: str = USER_ID, person: dict | None = None, role: str = "pso", ccn: str = CCN,
) -> dict:
    """The factory's happy path as an answers file's sections."""
    profile = {**PROFILE, **(person or {})}
    return {
        "profile": profile,
        "account": {**account_form(), "user_id": user_id},
        "proofing": {"attempts": ["correct"], "not_a_robot": True},
        "two_factor": {"device_type": device, "phone": profile["phone"], "codes": ["correct"]},
        "role": {"category": "provider", "relationship": "employee", "role": role},
        "organizations": [{"search_by": "ccn", "id": ccn}],
    }


def advance_to(
    data_dir: Path, step: Step, device: str = "sms", clock: FrozenClock | None = None, *,
    practice_account: str = DEFAULT_PRACTICE_ACCOUNT, user_id: str = USER_ID, person: dict | None = None,
    role: str = "pso", ccn: str = CCN,
) -> OnboardingFlow:
    """A flow whose next page is ``step``, every earlier step done with the factory's answers,
    each page's form made by its spec as ``run --answers`` makes it. ``practice_account``, ``user_id``
    and ``person`` (PROFILE fields to change) make another trainee in the same data directory;
    ``role`` and ``ccn`` what they request."""
    flow = new_flow(data_dir, clock, practice_account)
    answers = answers_for(device, user_id=user_id, person=person, role=role, ccn=ccn)
    if device in otp.AUTHENTICATOR_DEVICES and Step.IQIES_SIGN_IN < step:
        end = advance(flow, answers, until=Step.IQIES_SIGN_IN)
        assert end.end == "until", end
        flow.clock.advance(seconds=30)  # type: ignore[attr-defined]  # a fresh code to sign in with
    end = advance(flow, answers, until=step)
    assert end.end == "until" and flow.current_step == step, (end, flow.current_step, step)
    return flow
