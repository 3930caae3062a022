"""Security codes are read from the simulated phone's own code entry, never from the wording
of the message; the entry is kept encrypted like the message's text (wizard/codes.py)."""

from __future__ import annotations

from tests.states import advance_to
from wizard import codes, otp
from wizard.steps import Step


def _files_text(flow) -> bytes:
    return b"".join(p.read_bytes() for p in flow.store.data_dir.rglob("*") if p.is_file())


def test_the_code_comes_from_the_messages_code_entry_not_its_wording(data_dir):
    flow = advance_to(data_dir, Step.TWO_FACTOR_VERIFY)
    sent = flow.code_on_phone()
    assert sent is not None and len(sent) == 6
    flow.send_message("sms", "(614) 555-0123", "HARP security code", "Worded any way at all.", code="987123")
    assert flow.code_on_phone() == "987123"
    flow.send_message("sms", "(614) 555-0123", "HARP", "Your HARP security code is 111222.")  # no entry
    assert flow.code_on_phone() == "987123"  # the wording is never parsed
    assert b"987123" not in _files_text(flow)  # kept encrypted on disk


def test_the_right_and_the_wrong_code_for_a_text_message(data_dir):
    flow = advance_to(data_dir, Step.TWO_FACTOR_VERIFY)
    right = codes.correct_code(flow)
    assert right == flow.code_on_phone() and codes.wrong_code(flow) != right
    assert codes.code_source(flow) == "read from the sandbox phone"
    assert flow.submit(Step.TWO_FACTOR_VERIFY, Step.TWO_FACTOR_VERIFY.form_from({"two_factor": {}}, flow, "wrong")).ok is False
    assert flow.submit(Step.TWO_FACTOR_VERIFY, Step.TWO_FACTOR_VERIFY.form_from({"two_factor": {}}, flow)).ok


def test_the_right_and_the_wrong_code_for_an_authenticator(data_dir):
    flow = advance_to(data_dir, Step.TWO_FACTOR_VERIFY, device="google_authenticator")
    factor = flow.record.factor
    assert factor is not None and factor.totp_secret
    right = codes.correct_code(flow)
    assert right == otp.usable_totp_code(factor, flow.clock())
    assert codes.wrong_code(flow) != right
    assert codes.code_source(flow) == "computed from the authenticator secret"
