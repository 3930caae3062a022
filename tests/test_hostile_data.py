"""Hostile files and parallel guessers (issue 16): each item, repeated, is refused in one clear
line, loses nothing and writes nothing outside the data directory."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.conftest import FrozenClock
from tests.factory import PASSWORD, USER_ID
from tests.states import advance_to, new_flow
from wizard import otp
from wizard.steps import Step


def _guess(data_dir: str, now, barrier) -> str:
    flow = new_flow(Path(data_dir), FrozenClock(now))
    barrier.wait()
    return flow.verify_sign_in(USER_ID, SecretStr(PASSWORD), "000000")


@pytest.mark.parametrize("processes", [10, 20])
def test_parallel_wrong_codes_lock(tmp_path, processes):
    """Processes signing one account in with the right password and a wrong code at the same
    moment: every wrong code is counted and the factor locks at the fifth."""
    clock = FrozenClock()
    flow = advance_to(tmp_path, Step.WELCOME, device="google_authenticator", clock=clock)
    assert otp.usable_totp_code(flow.record.factor, clock()) != "000000"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(processes)
        with ctx.Pool(processes) as pool:
            refusals = pool.starmap(_guess, [(str(tmp_path), clock.now, barrier)] * processes)
    factor = new_flow(tmp_path, FrozenClock(clock.now)).record.factor
    assert factor.failures == otp.FAILURES_BEFORE_LOCK, (factor.failures, refusals)
    assert factor.locked_until is not None and factor.locked_until > clock.now
    locked = [r for r in refusals if r.startswith("Too many wrong codes")]
    assert len(locked) == processes - (otp.FAILURES_BEFORE_LOCK - 1), refusals
