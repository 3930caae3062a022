"""Shared fixtures: every test gets its own data directory (never the user's real one), a
frozen clock and fixed secrets, so runs and snapshots are deterministic."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests import pilot_helpers

FROZEN_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
FIXED_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, test only


class FrozenClock:
    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**kwargs)


class SequentialCodes:
    """randbelow() stand-in: SMS codes 123456, 123457, ..."""

    def __init__(self, start: int = 123456) -> None:
        self.counter = itertools.count(start)

    def __call__(self, n: int) -> int:
        return next(self.counter) % n


# Pilot's press and click wait as a user waits for "Checking..." to end (screens/checking.py)
pilot_waits_for_checks = pytest.fixture(autouse=True)(pilot_helpers.pilot_waits_for_checks)


@pytest.fixture(autouse=True)
def _isolate_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user data directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("IQIES_ONBOARD_HOME", str(home / "iqies-onboard"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def store(data_dir: Path):
    from wizard.store import Store

    return Store(data_dir)


@pytest.fixture
def flow(store, clock):
    from wizard.flow import OnboardingFlow

    return OnboardingFlow(
        store, clock=clock, randbelow=SequentialCodes(), totp_secret_factory=lambda: FIXED_TOTP_SECRET,
        seed_factory=lambda: "test-seed",
    )
