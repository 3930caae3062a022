"""Next's argon2id work prepared ahead (wizard/hashing.py prepare_hash / prepare_verify, a step's
``prepare``, OnboardingFlow.prepare, and the page that calls it when typing pauses): Next then
finds the hash or the password check done. Prepared work is used once, for the same secret only,
and the table that holds it never holds a secret."""

from __future__ import annotations

import pytest

from tests.factory import PASSWORD, PROFILE, account_form, app_at, make_app
from tests.pilot_helpers import fill, step_of
from tests.test_flow import do_account, do_profile, do_proofing, form, sms_setup_form
from wizard import hashing
from wizard.steps import Step


@pytest.fixture(autouse=True)
def fresh_table():
    hashing.forget_prepared()
    yield
    hashing.forget_prepared()


@pytest.fixture
def argon2_calls(monkeypatch):
    """Every argon2id hash and verify actually computed, by kind."""
    calls: list[str] = []
    real = hashing._password_hasher

    class Counted:
        def __init__(self) -> None:
            self.inner = real()

        def hash(self, value):
            calls.append("hash")
            return self.inner.hash(value)

        def verify(self, stored, value):
            calls.append("verify")
            return self.inner.verify(stored, value)

    monkeypatch.setattr(hashing, "_password_hasher", Counted)
    return calls


def test_a_prepared_hash_is_used_once_and_only_for_its_secret(argon2_calls):
    hashing.prepare_hash("Secret-123")
    assert argon2_calls == ["hash"]
    made = hashing.hash_secret("Secret-123")
    assert argon2_calls == ["hash"] and hashing.verify_secret(made, "Secret-123")
    hashing.hash_secret("Secret-123")  # used up: made again
    hashing.prepare_hash("Secret-124")
    hashing.hash_secret("Secret-125")  # another secret: not the prepared one
    assert argon2_calls.count("hash") == 4


def test_a_prepared_password_check_answers_for_that_hash_and_password_only(argon2_calls):
    stored = hashing.hash_secret("Secret-123")
    other = hashing.hash_secret("Other-456")
    argon2_calls.clear()
    hashing.prepare_verify(stored, "Secret-123")
    hashing.prepare_verify(stored, "wrong")
    assert argon2_calls == ["verify", "verify"]
    assert hashing.verify_secret(stored, "Secret-123") is True
    assert hashing.verify_secret(stored, "wrong") is False
    assert hashing.verify_secret(other, "Secret-123") is False  # another account's hash
    assert argon2_calls == ["verify", "verify", "verify"]
    hashing.prepare_verify(None, "Secret-123")  # no account yet: nothing to prepare
    assert hashing.verify_secret(None, "Secret-123") is False


def test_the_table_holds_no_secret_and_only_a_few_pieces(monkeypatch):
    secrets = [f"Secret-{n}-typed" for n in range(10)]
    for secret in secrets:
        hashing.prepare_hash(secret)
    assert len(hashing._prepared) == hashing._KEPT
    for key, work in hashing._prepared.items():
        for secret in secrets:
            assert secret.encode() not in key and secret not in str(work.result)
    # a hash prepared with other argon2 parameters is not one of these
    hashing.forget_prepared()
    hashing.prepare_hash("Secret-1")
    monkeypatch.setattr(hashing, "PARAMETERS", {**hashing.PARAMETERS, "time_cost": 2})
    assert "t=2" in hashing.hash_secret("Secret-1")


def test_flow_prepare_makes_the_account_pages_two_hashes_ahead(flow, argon2_calls):
    do_profile(flow)
    typed = form(Step.ACCOUNT, flow, account=account_form())
    flow.prepare(Step.ACCOUNT, typed)
    assert argon2_calls == ["hash", "hash"]  # the password and the challenge answer
    argon2_calls.clear()
    assert flow.submit(Step.ACCOUNT, typed).ok
    assert argon2_calls == []  # Next found both made
    assert hashing.verify_secret(flow.record.password_hash, PASSWORD)


def test_flow_prepare_checks_the_password_of_the_sign_in_pages_ahead(flow, argon2_calls):
    do_profile(flow)
    do_account(flow)
    do_proofing(flow)
    argon2_calls.clear()
    typed = sms_setup_form()
    flow.prepare(Step.TWO_FACTOR_SETUP, typed)
    assert argon2_calls == ["verify"]
    assert flow.submit(Step.TWO_FACTOR_SETUP, typed).ok
    assert argon2_calls == ["verify"]


def test_flow_prepare_never_fails_and_changes_nothing(flow):
    do_profile(flow)
    before = flow.record.model_dump()
    for garbage in ({}, {"password": None}, {"password": 12, "challenge_answer": object()},
                    {"user_id": "x" * 10_000, "password": "\x00" * 5_000}):
        flow.prepare(Step.ACCOUNT, garbage)
        flow.prepare(Step.IQIES_SIGN_IN, garbage)
        flow.prepare(Step.PROFILE, garbage)  # a step with nothing to prepare
    assert flow.record.model_dump() == before


async def test_the_account_page_prepares_when_typing_pauses_and_next_uses_it(data_dir, argon2_calls):
    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.PREPARE_DELAY = 0.01  # the pause after the last key, shortened
        typed = account_form()
        typed.pop("user_id_permanent_ok")
        await fill(pilot, typed)
        for _ in range(100):  # the prepare worker's two hashes
            await pilot.pause(0.01)
            if argon2_calls.count("hash") >= 2 and not any(
                    w.group == "prepare" and not w.is_finished for w in app.workers):
                break
        assert argon2_calls.count("hash") == 2
        argon2_calls.clear()
        await pilot.press("ctrl+n")  # the User ID confirmation, then Yes
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert step_of(pilot) == Step.PROOFING
        assert argon2_calls == []  # Next hashed nothing itself


async def test_a_page_without_slow_work_prepares_nothing(data_dir, monkeypatch):
    called: list[str] = []
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(app.flow, "prepare", lambda step, form: called.append(step.key))
        app.screen.PREPARE_DELAY = 0.0
        await fill(pilot, PROFILE)
        await pilot.pause(0.05)
        assert called == [] and app.screen._prepare_timer is None
