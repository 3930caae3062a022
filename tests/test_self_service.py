"""HARP self-service (issue 19, items 1-3): Forgot User ID, Forgot password, "email already
exists", and the account page's changes, through the domain services (no UI)."""

from __future__ import annotations

from pydantic import SecretStr

from tests.states import PASSWORD, PROFILE, USER_ID, advance_to, last_code, new_flow
from wizard import recovery
from wizard.catalogue import challenge_questions
from wizard.hashing import verify_secret
from wizard.harp_account import HarpAccount
from wizard.recovery import Recovery
from wizard.steps import Step
from wizard.store import Store

NEW_PASSWORD = "Brand-New-Pass-77q"


def _mails(data_dir, subject: str) -> list[dict]:
    return [m for m in Store(data_dir).mailer.messages(to=PROFILE["email"]) if m.get("subject") == subject]


def test_forgot_user_id_mails_it(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    service = Recovery(Store(data_dir, practice_account="someone"), clock)
    known = service.forgot_user_id(PROFILE["email"].upper())
    unknown = service.forgot_user_id("nobody@sunnyacres.org")
    assert known == unknown == recovery.USER_ID_SENT  # the same words: nothing told on screen
    assert USER_ID not in known
    [mail] = _mails(data_dir, "Your HARP User ID")
    assert USER_ID in mail["body"]
    assert not Store(data_dir).mailer.messages(to="nobody@sunnyacres.org")
    assert "email" in service.forgot_user_id("not an address").lower()


def test_forgot_password_resets_with_challenge_answer(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    service = Recovery(Store(data_dir, practice_account="someone"), clock)
    assert "sent" in service.send_code(USER_ID)
    code = last_code(flow)
    # a wrong answer and a wrong code read the same, and an unknown User ID too
    wrong_answer = service.reset_password(USER_ID, "red bicycle", code, NEW_PASSWORD, NEW_PASSWORD)
    wrong_code = service.reset_password(USER_ID, "blue bicycle", "000000", NEW_PASSWORD, NEW_PASSWORD)
    unknown = service.reset_password("nobody_here", "blue bicycle", code, NEW_PASSWORD, NEW_PASSWORD)
    assert wrong_answer[2] == wrong_code[2] == unknown[2] == recovery.RESET_REFUSED
    assert not (wrong_answer[0] or wrong_code[0] or unknown[0])
    # the new password follows the creation rules, named
    weak = service.reset_password(USER_ID, "blue bicycle", code, "short", "short")
    assert not weak[0] and "new_password" in weak[1]
    service.send_code(USER_ID)
    ok, errors, message = service.reset_password(USER_ID, SecretStr("  Blue Bicycle "), last_code(flow),
                                                 SecretStr(NEW_PASSWORD), SecretStr(NEW_PASSWORD))
    assert ok, (errors, message)
    again = new_flow(data_dir, clock)
    assert verify_secret(again.record.password_hash, NEW_PASSWORD)
    assert not verify_secret(again.record.password_hash, PASSWORD)
    assert _mails(data_dir, "Your HARP password was changed")


def test_forgot_password_is_throttled_like_sign_in(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    service = Recovery(Store(data_dir, practice_account="someone"), clock)
    for _ in range(5):
        service.reset_password(USER_ID, "wrong answer", "123456", NEW_PASSWORD, NEW_PASSWORD)
    ok, _, message = service.reset_password(USER_ID, "blue bicycle", "123456", NEW_PASSWORD, NEW_PASSWORD)
    assert not ok and "locked" in message


def test_email_already_exists_is_refused(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    other = new_flow(data_dir, clock, practice_account="second")
    outcome = other.submit(Step.PROFILE, dict(PROFILE, email=PROFILE["email"].upper(),
                                              email_confirm=PROFILE["email"].upper()))
    assert not outcome.ok
    assert "already" in outcome.errors["email"] and "Forgot User ID" in outcome.errors["email"]
    assert other.record.profile is None
    # the same practice account running again is not "another account"; nor is one that never got
    # past the User ID step
    assert recovery.email_holder(Store(data_dir), PROFILE["email"]) is None
    assert recovery.email_holder(Store(data_dir, practice_account="second"), PROFILE["email"]) == "default"
    third = new_flow(data_dir, clock, practice_account="third")
    assert third.submit(Step.PROFILE, dict(PROFILE, email="x@sunnyacres.org", email_confirm="x@sunnyacres.org")).ok
    fourth = new_flow(data_dir, clock, practice_account="fourth")
    assert fourth.submit(Step.PROFILE, dict(PROFILE, email="x@sunnyacres.org", email_confirm="x@sunnyacres.org")).ok


def test_account_page_changes_password_and_challenge(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    page = HarpAccount(flow)
    assert page.change_password("wrong", NEW_PASSWORD, NEW_PASSWORD)[1] == {"old_password": "Your current password is not right."}
    assert "new_password" in page.change_password(PASSWORD, "jdoe_pso-Abc-12345", "jdoe_pso-Abc-12345")[1]
    assert "new_password_confirm" in page.change_password(PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")[1]
    assert page.change_password(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)[0]
    assert verify_secret(new_flow(data_dir, clock).record.password_hash, NEW_PASSWORD)
    question = challenge_questions()[1]
    assert not page.update_challenge(PASSWORD, question, "green kite")[0]  # the old password no longer works
    assert page.update_challenge(NEW_PASSWORD, question, "green kite")[0]
    stored = new_flow(data_dir, clock).record
    assert stored.challenge_question == question and verify_secret(stored.challenge_answer_hash, "green kite")
    assert _mails(data_dir, "Your HARP password was changed")
    assert _mails(data_dir, "Your HARP challenge question was changed")


def test_account_page_devices_never_the_last(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    page = HarpAccount(flow)
    assert not page.remove_device(0)[0]
    assert "only" in page.remove_device(0)[2]
    assert not page.add_device("sms", "not a phone")[0]
    assert page.add_device("voice", "(614) 555-0199")[0]
    assert len(page.devices()) == 2
    assert page.remove_device(0)[0]  # the second becomes the first
    assert [d["device_type"] for d in page.devices()] == ["voice"]
    assert new_flow(data_dir, clock).record.factor.device_type == "voice"
    assert not page.remove_device(0)[0]
    assert _mails(data_dir, "A two-factor device was added to your HARP account")


def test_account_page_edits_profile(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    page = HarpAccount(flow)
    values = page.profile_values()
    ok, errors, _ = page.edit_profile({**values, "zip_code": "12"})
    assert not ok and "zip_code" in errors
    assert page.edit_profile({**values, "city": "Dayton"})[0]
    assert new_flow(data_dir, clock).profile.city == "Dayton"
