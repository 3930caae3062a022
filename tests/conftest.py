"""Shared fixtures: every test gets its own data directory (never the user's real one), a
frozen clock and fixed secrets, so runs and snapshots are deterministic."""

from __future__ import annotations

import gc
import itertools
import os
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


# Pilot waits for the app to go idle after every key and in every pause, in 20 ms slices
# (textual._wait): a slice with under 1 ms of CPU is idle, so each wait sleeps 20-40 ms, most
# of a Pilot test's time spent asleep. Here every such wait sleeps in 2 ms slices instead, with
# the same test (a slice with under 1/20 of it in CPU), and it ends once the app's screen has
# nothing left to do: no layout, scroll, repaint or recompose pending, no widget dirty, no
# call_after_refresh callback waiting (a frame its 1/60 s update timer would draw is drawn at
# once, as Pilot.pause draws it), no message in a queue of the app or the screen's widgets, no
# resize held back (Textual sends a window's new size to its screens 1/120 s later).
# A screen that never settles (a cursor blinking) ends the wait after 20 ms idle, as before.
QUICK_SLICE = 0.002


def _screen_settled() -> bool:
    from textual._context import active_app

    app = active_app.get(None)
    if app is None or not app.is_running or not app._screen_stack:
        return True
    if app._resize_event is not None:  # a resize waits 1/120 s for the next (App._on_resize)
        return False
    screen = app.screen
    if (screen._layout_required or screen._scroll_required or screen._repaint_required
            or screen._recompose_required or screen._dirty_widgets or screen._callbacks):
        screen._on_timer_update()  # the frame its update timer would draw, now (as Pilot.pause does)
        return False
    return all(pump._message_queue.empty() and not pump._next_callbacks
               for pump in (app, *screen.walk_children(with_self=True)))


def _settle_in_short_slices() -> None:
    import asyncio
    import time

    import textual.app
    import textual.pilot
    from textual._wait import SLEEP_GRANULARITY

    async def wait_for_idle(min_sleep: float = 0, max_sleep: float = 1) -> None:
        start = idle_since = time.monotonic()
        while True:
            cpu = time.process_time()
            await asyncio.sleep(QUICK_SLICE)
            now = time.monotonic()
            elapsed = now - start
            if elapsed >= max_sleep:
                return
            if time.process_time() - cpu >= QUICK_SLICE / 20:
                idle_since = now
            elif elapsed > min_sleep and (_screen_settled() or now - idle_since >= SLEEP_GRANULARITY):
                return

    textual.app.wait_for_idle = wait_for_idle  # Pilot.press, each key (App._press_keys)
    textual.pilot.wait_for_idle = wait_for_idle  # Pilot.pause, and so click, resize, ...


_settle_in_short_slices()


def _share_parsed_css_between_apps() -> None:
    """Textual parses the same CSS (every widget's DEFAULT_CSS, the app's) again for each new
    App, and a test run builds ~800 of them in a worker. A Stylesheet already keeps its parsed
    rule sets for re-use (it never changes them); here they are shared between the apps of one
    process, keyed as Textual keys them plus the theme variables they were parsed with."""
    from textual.css.stylesheet import Stylesheet

    parse_rules = Stylesheet._parse_rules
    shared: dict[tuple, list] = {}

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(sorted(self._variables.items())))
        rules = shared.get(key)
        if rules is None:
            rules = shared[key] = parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        return rules

    Stylesheet._parse_rules = _parse_rules


_share_parsed_css_between_apps()


# Pilot's press and click wait as a user waits for "Checking..." to end (screens/checking.py)
pilot_waits_for_checks = pytest.fixture(autouse=True)(pilot_helpers.pilot_waits_for_checks)


@pytest.fixture(autouse=True)
def _isolate_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user data directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("IQIES_ONBOARD_HOME", str(home / "iqies-onboard"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


# The cheapest argon2id the library takes: hashes are still real argon2id, checked the same way,
# at a fraction of a millisecond instead of ~60 ms each (a walk past the account page made two).
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


# Python's cyclic garbage collector, as a test worker uses it: each test starts and drops apps
# (thousands of objects in cycles), so automatic full collections came every few tests and each
# walked the worker's whole heap: about a quarter of the CPU of the Pilot tests (gc.callbacks:
# 19 of 79 s in four Pilot files, 90 full collections). Here collections start after 10,000 new
# objects instead of 700, the oldest generation is left to one full collection every
# COLLECT_EVERY tests, between tests (those four files: 79 s to 55 s, peak RSS 133 to 169 MB).
# The app's own collector handling (screens/collector.py) is tested as it runs for a user.
GC_THRESHOLDS = (10_000, 50, 1_000)
COLLECT_EVERY = 25
_tests_since_collect = 0


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    global _tests_since_collect
    _tests_since_collect += 1
    if _tests_since_collect >= COLLECT_EVERY:
        _tests_since_collect = 0
        gc.collect()


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    # Every save fsyncs (the store is crash-safe): ~3 ms each on this disk, thousands of them a
    # run. On a tmpfs the same calls return at once, so the tests' data directories go there
    # (pytest's numbered, self-cleaning pytest-of-USER directories, only under another root).
    shm = Path("/dev/shm")
    if (config.option.basetemp is None and "PYTEST_DEBUG_TEMPROOT" not in os.environ
            and shm.is_dir() and os.access(shm, os.W_OK)):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(shm)
    config.addinivalue_line("markers", "real_argon2: the test checks the real argon2id parameters "
                            "(wizard/hashing.py), so the cheap ones are not put in")


@pytest.fixture(autouse=True)
def _cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test in this process hashes with CHEAP_ARGON2 unless marked ``real_argon2``.
    Wizards started as subprocesses keep the real parameters."""
    if request.node.get_closest_marker("real_argon2"):
        return
    from wizard import hashing

    monkeypatch.setattr(hashing, "PARAMETERS", CHEAP_ARGON2)


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
