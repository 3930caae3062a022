"""Put a data directory at any step through the domain flow (fast), for screen tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
from tests.factory import CCN, PASSWORD, PROFILE, USER_ID, account_form
from wizard import otp
from wizard.flow import OnboardingFlow
from wizard.steps import Step
from wizard.store import DEFAULT_PROFILE, Store


def new_flow(data_dir: Path, clock: FrozenClock | None = None, profile: str = DEFAULT_PROFILE) -> OnboardingFlow:
    """``profile``: another trainee's practice account in the same data directory."""
    return OnboardingFlow(
        Store(data_dir, profile=profile), clock=clock or FrozenClock(), randbelow=SequentialCodes(),
        totp_secret_factory=lambda: FIXED_TOTP_SECRET, seed_factory=lambda: "test-seed",
    )


def last_code(flow: OnboardingFlow) -> str:
    body = next(m for m in flow.messages() if m["kind"] in ("sms", "voice"))["body"]
    return body.split("code is ")[1][:11].replace(" ", "")[:6]


def advance_to(
    data_dir: Path, step: Step, device: str = "sms", clock: FrozenClock | None = None, *,
    profile: str = DEFAULT_PROFILE, user_id: str = USER_ID, person: dict | None = None,
    role: str = "pso", ccn: str = CCN,
) -> OnboardingFlow:
    """A flow whose next page is ``step``, every earlier step done with the factory's answers.
    ``profile``, ``user_id`` and ``person`` (PROFILE fields to change) make another trainee in the
    same data directory; ``role`` and ``ccn`` what they request."""
    flow = new_flow(data_dir, clock, profile)
    answers = {**PROFILE, **(person or {})}

    def submit(s: Step, form: dict) -> None:
        outcome = flow.submit(s, form)
        assert outcome.ok, (s, outcome)

    plan = [
        (Step.PROFILE, lambda: submit(Step.PROFILE, answers)),
        (Step.ACCOUNT, lambda: submit(Step.ACCOUNT, {**account_form(), "user_id": user_id})),
        (Step.PROOFING, lambda: submit(
            Step.PROOFING,
            {"answers": [q.correct for q in flow.proofing_questions()], "not_a_robot": True},
        )),
        (Step.TWO_FACTOR_SETUP, lambda: submit(Step.TWO_FACTOR_SETUP, {
            "user_id": user_id, "password": PASSWORD, "device_type": device, "phone": answers["phone"],
        })),
        (Step.TWO_FACTOR_VERIFY, lambda: submit(Step.TWO_FACTOR_VERIFY, {
            "code": otp.totp_code(FIXED_TOTP_SECRET, flow.clock()) if device in otp.AUTHENTICATOR_DEVICES
            else last_code(flow),
        })),
        (Step.IQIES_SIGN_IN, lambda: _sign_in(flow, device, user_id)),
        (Step.WELCOME, lambda: submit(Step.WELCOME, {})),
        (Step.CATEGORY, lambda: submit(Step.CATEGORY, {"category": "provider"})),
        (Step.ROLE, lambda: submit(Step.ROLE, {"relationship": "employee", "role": role})),
        (Step.ORGANIZATIONS, lambda: (flow.add_organization("ccn", ccn), submit(Step.ORGANIZATIONS, {}))),
        (Step.REVIEW, lambda: submit(Step.REVIEW, {})),
    ]
    for s, action in plan:
        if s >= step:
            break
        action()
    assert flow.current_step == step, (flow.current_step, step)
    return flow


def _sign_in(flow: OnboardingFlow, device: str, user_id: str = USER_ID) -> None:
    if device in otp.AUTHENTICATOR_DEVICES:
        flow.clock.advance(seconds=30)  # type: ignore[attr-defined]  # a fresh time step
        code = otp.totp_code(FIXED_TOTP_SECRET, flow.clock())
    else:
        flow.send_code()
        code = last_code(flow)
    outcome = flow.submit(Step.IQIES_SIGN_IN, {"user_id": user_id, "password": PASSWORD, "code": code})
    assert outcome.ok, outcome
