"""One app factory for Pilot and snapshot tests, and the happy-path answers they share."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes

PROFILE = {
    "first_name": "Jane",
    "last_name": "Doe",
    "date_of_birth": "04/27/1980",
    "email": "jane.doe@sunnyacres.org",
    "email_confirm": "jane.doe@sunnyacres.org",
    "street": "12 Oak Street",
    "city": "Columbus",
    "state": "OH",
    "zip_code": "43215",
    "phone": "(614) 555-0123",
    "ssn_choice": "provide_to_harp",
    "facility_name": "Sunny Acres Care Center",
}
USER_ID = "jdoe_pso"
PASSWORD = "Correct-Horse-42x"
CHALLENGE_ANSWER = "blue bicycle"
CCN = "015009"


def make_app(data_dir: Path, clock: FrozenClock | None = None, *, signed_in: bool = False):
    """The app as a user would get it, with time, codes and secrets frozen. ``signed_in``
    stands for a user who has just signed in to iQIES (a session fact nothing stores)."""
    from screens.app import OnboardingApp
    from wizard.store import Store

    app = OnboardingApp(
        Store(data_dir),
        clock=clock or FrozenClock(),
        randbelow=SequentialCodes(),
        totp_secret_factory=lambda: FIXED_TOTP_SECRET,
        seed_factory=lambda: "test-seed",
        blink=False,
        catch_errors=False,
    )
    app.flow.signed_in = signed_in
    return app


def app_at(data_dir: Path, step, device: str = "sms"):
    """The app opened on ``step``, the earlier steps done through the domain
    (tests/states.advance_to), not clicked through: the one factory of the page tests and
    snapshots. From Welcome on, the user has just signed in to iQIES."""
    from tests.states import advance_to
    from wizard.steps import Step

    flow = advance_to(data_dir, step, device=device)
    return make_app(data_dir, flow.clock, signed_in=step >= Step.WELCOME)


def account_form() -> dict:
    from wizard.catalogue import challenge_questions

    return {
        "user_id": USER_ID,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "challenge_question": challenge_questions()[0],
        "challenge_answer": CHALLENGE_ANSWER,
        "user_id_permanent_ok": True,
    }
