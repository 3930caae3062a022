"""wizard/otp.py: RFC 6238 TOTP, SMS/voice codes, single use, look-around and lockout."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
from wizard import otp
from wizard.otp import FactorState, SecondFactor

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of ASCII "12345678901234567890"


def test_rfc_secret_is_the_ascii_key():
    assert base64.b32decode(RFC_SECRET) == b"12345678901234567890"


@pytest.mark.parametrize(
    "unix_time, code",
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_sha1_vectors(unix_time, code):
    at = datetime.fromtimestamp(unix_time, tz=timezone.utc)
    assert otp.totp_code(RFC_SECRET, at, digits=8) == code


def test_totp_code_default_is_six_digits():
    code = otp.totp_code(FIXED_TOTP_SECRET, datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc))
    assert len(code) == 6 and code.isdigit()


# -- secrets and enrolment ----------------------------------------------------------------------


def test_new_totp_secret_is_160_bits():
    secret = otp.new_totp_secret()
    assert len(secret) == 32
    assert len(base64.b32decode(secret)) == 20  # 160 bits


def test_new_totp_secrets_differ():
    assert len({otp.new_totp_secret() for _ in range(20)}) == 20


def test_provisioning_uri_format():
    uri = otp.provisioning_uri(FIXED_TOTP_SECRET, "jdoe_pso")
    assert uri.startswith("otpauth://totp/")
    parsed = urlparse(uri)
    assert unquote(parsed.path) == f"/{otp.TOTP_ISSUER}:jdoe_pso"
    query = parse_qs(parsed.query)
    assert query["secret"] == [FIXED_TOTP_SECRET]
    assert query["issuer"] == [otp.TOTP_ISSUER]
    # defaults that authenticator apps assume: SHA1, 6 digits, 30 s
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]


def test_group_secret_for_manual_entry():
    assert otp.group_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"


# -- authenticator ------------------------------------------------------------------------------


@pytest.fixture
def factor(clock) -> SecondFactor:
    return SecondFactor(clock, SequentialCodes())


def authenticator() -> FactorState:
    return FactorState(device_type="google_authenticator", totp_secret=FIXED_TOTP_SECRET)


def test_authenticator_current_code_accepted(factor, clock):
    result, state = factor.check(authenticator(), otp.totp_code(FIXED_TOTP_SECRET, clock()))
    assert result.ok and not result.locked
    assert state.last_totp_step is not None
    assert state.failures == 0


def test_authenticator_same_code_refused_second_time(factor, clock):
    code = otp.totp_code(FIXED_TOTP_SECRET, clock())
    first, state = factor.check(authenticator(), code)
    second, state = factor.check(state, code)
    assert first.ok
    assert not second.ok
    assert "already used" in second.message
    assert state.failures == 1


@pytest.mark.parametrize("offset", [-30, 30])
def test_authenticator_adjacent_step_accepted(factor, clock, offset):
    code = otp.totp_code(FIXED_TOTP_SECRET, clock() + timedelta(seconds=offset))
    result, _ = factor.check(authenticator(), code)
    assert result.ok


@pytest.mark.parametrize("offset", [-60, 60, -90, 90])
def test_authenticator_two_steps_away_refused(factor, clock, offset):
    code = otp.totp_code(FIXED_TOTP_SECRET, clock() + timedelta(seconds=offset))
    assert code != otp.totp_code(FIXED_TOTP_SECRET, clock())
    result, state = factor.check(authenticator(), code)
    assert not result.ok
    assert state.failures == 1


def test_authenticator_earlier_step_refused_after_later_one_used(factor, clock):
    nxt = otp.totp_code(FIXED_TOTP_SECRET, clock() + timedelta(seconds=30))
    now = otp.totp_code(FIXED_TOTP_SECRET, clock())
    ok, state = factor.check(authenticator(), nxt)
    replay, _ = factor.check(state, now)
    assert ok.ok and not replay.ok


def test_authenticator_next_step_code_accepted_after_30s(factor, clock):
    ok, state = factor.check(authenticator(), otp.totp_code(FIXED_TOTP_SECRET, clock()))
    clock.advance(seconds=30)
    again, _ = factor.check(state, otp.totp_code(FIXED_TOTP_SECRET, clock()))
    assert ok.ok and again.ok


def test_authenticator_code_with_spaces_accepted(factor, clock):
    code = otp.totp_code(FIXED_TOTP_SECRET, clock())
    result, _ = factor.check(authenticator(), f"{code[:3]} {code[3:]}")
    assert result.ok


def _wrong_totp(clock) -> str:
    near = {otp.totp_code(FIXED_TOTP_SECRET, clock() + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def test_authenticator_wrong_code_hint(factor, clock):
    result, state = factor.check(authenticator(), _wrong_totp(clock))
    assert not result.ok and state.failures == 1
    assert "authenticator app" in result.message


@pytest.mark.parametrize("typed", ["١٢٣٤٥٦", "12345é"])
def test_authenticator_non_ascii_code_refused_not_crash(factor, typed):
    result, state = factor.check(authenticator(), typed)
    assert not result.ok and state.failures == 1


def test_authenticator_without_secret_refuses(factor, clock):
    state = FactorState(device_type="okta_verify")
    result, state = factor.check(state, otp.totp_code(FIXED_TOTP_SECRET, clock()))
    assert not result.ok and state.failures == 1


# -- SMS / voice codes ----------------------------------------------------------------------------


def sms() -> FactorState:
    return FactorState(device_type="sms", phone="+16145550123")


def test_issued_code_is_six_digits_from_randbelow(factor):
    code, state = factor.issue_code(sms())
    assert code == "123456"
    assert state.code_hash and state.code_salt
    assert code not in state.model_dump_json()


def test_issued_code_zero_padded(clock):
    code, _ = SecondFactor(clock, lambda n: 42).issue_code(sms())
    assert code == "000042"


def test_sms_code_accepted_once(factor):
    code, state = factor.issue_code(sms())
    first, state = factor.check(state, code)
    second, state = factor.check(state, code)
    assert first.ok
    assert not second.ok
    assert state.code_hash is None


def test_sms_code_valid_for_ten_minutes(factor, clock):
    code, state = factor.issue_code(sms())
    clock.advance(minutes=10)
    result, _ = factor.check(state, code)
    assert result.ok


def test_sms_code_refused_after_ten_minutes(factor, clock):
    code, state = factor.issue_code(sms())
    clock.advance(minutes=10, seconds=1)
    result, state = factor.check(state, code)
    assert not result.ok
    assert "expired" in result.message
    assert "newest code" in result.message


def test_new_sms_code_voids_the_old_one(factor):
    old, state = factor.issue_code(sms())
    new, state = factor.issue_code(state)
    assert old != new
    refused, state = factor.check(state, old)
    accepted, state = factor.check(state, new)
    assert not refused.ok and accepted.ok


def test_sms_without_code_issued_refuses(factor):
    result, state = factor.check(sms(), "123456")
    assert not result.ok and state.failures == 1


# -- lockout --------------------------------------------------------------------------------------


def fail(factor: SecondFactor, state: FactorState, times: int) -> tuple[otp.CodeCheck, FactorState]:
    result = None
    for _ in range(times):
        result, state = factor.check(state, "000000")
    return result, state


def test_wrong_codes_count_down_to_lock(factor):
    code, state = factor.issue_code(sms())
    result, state = fail(factor, state, 1)
    assert "4 more wrong codes lock" in result.message
    result, state = fail(factor, state, 3)
    assert "1 more wrong code locks" in result.message
    assert not result.locked


def test_five_wrong_codes_lock(factor, clock):
    code, state = factor.issue_code(sms())
    result, state = fail(factor, state, 5)
    assert result.locked and not result.ok
    assert "this device is locked" in result.message
    assert state.failures == 5
    assert state.locked_until == clock() + timedelta(seconds=30)



def test_lock_message_states_30_seconds(factor):
    _, state = factor.issue_code(sms())
    result, state = fail(factor, state, 5)
    assert "Try again in 30 seconds." in result.message


def test_lock_message_counts_down(factor, clock):
    _, state = factor.issue_code(sms())
    _, state = fail(factor, state, 5)
    clock.advance(seconds=20.5)
    assert "Try again in 10 seconds." in factor.lock_message(state)


def test_locked_factor_refuses_right_code_without_counting(factor, clock):
    code, state = factor.issue_code(sms())
    _, state = fail(factor, state, 5)
    clock.advance(seconds=29)
    result, after = factor.check(state, code)
    assert not result.ok and result.locked
    assert after.failures == 5
    assert after == state


def test_lock_lifts_after_30_seconds(factor, clock):
    code, state = factor.issue_code(sms())
    _, state = fail(factor, state, 5)
    clock.advance(seconds=30)
    result, state = factor.check(state, code)
    assert result.ok
    assert state.failures == 0 and state.locked_until is None


def test_second_lock_lasts_60_seconds(factor, clock):
    code, state = factor.issue_code(sms())
    _, state = fail(factor, state, 5)
    clock.advance(seconds=30)
    result, state = fail(factor, state, 5)
    assert result.locked and state.failures == 10
    assert state.locked_until == clock() + timedelta(seconds=60)
    clock.advance(seconds=59)
    assert factor.check(state, code)[0].locked
    clock.advance(seconds=1)
    assert factor.check(state, code)[0].ok


def test_lock_doubles_and_is_capped_at_15_minutes(factor, clock):
    _, state = factor.issue_code(sms())
    lengths = []
    for _ in range(8):
        _, state = fail(factor, state, 5)
        lengths.append(state.locked_until - clock())
        clock.advance(seconds=lengths[-1].total_seconds())
    assert lengths == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900, 900, 900)]


def test_lock_message_in_minutes_for_long_locks(factor, clock):
    _, state = factor.issue_code(sms())
    state = state.model_copy(update={"failures": 29})
    state = factor.record_failure(state)
    assert state.locked_until == clock() + otp.LONGEST_LOCK
    assert "15 minutes" in factor.lock_message(state)


def test_hundred_wrong_codes_lock_for_good(factor, clock):
    code, state = factor.issue_code(sms())
    state = state.model_copy(update={"failures": otp.HARD_LIMIT})
    clock.advance(days=365)
    result, after = factor.check(state, code)
    assert result.locked and not result.ok
    assert "help desk" in result.message
    assert after.failures == otp.HARD_LIMIT


def test_success_resets_the_count(factor):
    code, state = factor.issue_code(sms())
    _, state = fail(factor, state, 3)
    assert state.failures == 3
    result, state = factor.check(state, code)
    assert result.ok and state.failures == 0


def test_resending_does_not_reset_the_count(factor):
    _, state = factor.issue_code(sms())
    _, state = fail(factor, state, 4)
    code, state = factor.issue_code(state)
    assert state.failures == 4
    result, state = fail(factor, state, 1)
    assert result.locked  # the fifth wrong code still locks


def test_resending_does_not_lift_a_lock(factor):
    _, state = factor.issue_code(sms())
    _, state = fail(factor, state, 5)
    code, state = factor.issue_code(state)
    result, _ = factor.check(state, code)
    assert result.locked and not result.ok


def test_authenticator_locks_like_sms(factor, clock):
    state = authenticator()
    _, state = fail(factor, state, 5)
    result, _ = factor.check(state, otp.totp_code(FIXED_TOTP_SECRET, clock()))
    assert result.locked and not result.ok


def test_lock_remaining_none_when_free(factor):
    assert factor.lock_remaining(sms()) is None
    assert factor.lock_message(sms()) is None


def test_factor_state_is_authenticator():
    assert FactorState(device_type="google_authenticator").is_authenticator
    assert FactorState(device_type="okta_verify").is_authenticator
    assert not FactorState(device_type="sms").is_authenticator
    assert not FactorState(device_type="voice").is_authenticator


def test_frozen_clock_helper():
    clock = FrozenClock()
    before = clock()
    clock.advance(seconds=5)
    assert clock() - before == timedelta(seconds=5)
