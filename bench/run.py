"""Performance bench of iqies-onboard: one run measures everything and checks it against targets.

    .venv/bin/python bench/run.py [--quick] [--with-tests] [--only SECTIONS] [--out PATH]

What it measures (each row of the table: metric, value, target, met?):

  cold    Cold start to the first interactive screen, headless: fresh subprocesses, alternating a
          bare Textual app (one Static) and iqies-onboard (OnboardingApp on an empty data dir),
          each exiting via call_after_refresh(exit) once its first screen is mounted. Median of
          each and the ratio ours/bare (target <= 1.3x). A third app, a bare one whose page has
          the same count and kinds of stock widgets as our Profile page, splits the gap into
          Textual's per-widget cost and ours (code, CSS); the widget counts are in the rows.
  search  Provider search per keystroke: ProviderDirectory.search(prefix) for every prefix of some
          CCNs, Facility IDs and names, and OnboardingFlow.find_organization (what the
          Organizations page calls per keystroke). Median / p95 per kind (target <= 5 ms).
  next    Next pressed -> next screen painted: the whole happy path through the real screens with
          Pilot (headless), timed from the key press to the first frame of the new screen, and
          the pure domain part, flow.submit(step, form), per step. Median and p95 (target
          <= 16 ms median). Keystrokes on the way: the password typed key by key on the account
          page (its live checklist) and a CCN in "Search for" on Add Organizations, each key
          timed to the first frame it causes (target <= 16 ms p95 per field).
  store   A step save with 100 / 1,000 / 10,000 accounts and their role requests in the store:
          flow.save() and store.add_message() (target <= 10 ms at 1,000, <= 50 ms at 10,000).
  rss     Peak RSS (ru_maxrss) of a subprocess running the happy path headless, and of the bare
          app for comparison (target <= 80 MB).
  tests   Wall time of `.venv/bin/python -m pytest -q -p no:cacheprovider` (only with
          --with-tests; 2-4 minutes; target <= 60 s). Hypothesis's database and a snapshot
          report, if any, go to the temp dir.

  The table lists cold and rss first: subprocess sections run while this process is small,
  because Linux carries a parent's RSS at fork into a child's ru_maxrss.

Prints a table and writes JSON (machine info included) to bench/results/latest.json. Everything
else it writes goes to one temporary directory, removed at the end (compiled bytecode of the
subprocesses included: PYTHONPYCACHEPREFIX points there). No network. A full default run takes
about 3 minutes on 2 cores (2 of them the 40 saves at 10,000 accounts); --quick under 2 minutes;
--with-tests adds the test suite's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.dont_write_bytecode = True  # the bench writes nothing into the project (no __pycache__ either)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SECTIONS = ("cold", "search", "next", "store", "rss", "tests")
MIB = 1024 * 1024

# --- small statistics -------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """The p-th percentile, linear between closest ranks (numpy's default)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


# --- rows of the table ------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.details: dict[str, Any] = {}
        self.notes: list[str] = []

    def row(self, section: str, metric: str, value: str, target: str = "-", met: bool | None = None,
            **data: Any) -> None:
        self.rows.append({
            "section": section, "metric": metric, "value": value, "target": target,
            "met": "n/a" if met is None else ("yes" if met else "no"), **data,
        })

    def error(self, section: str, err: BaseException) -> None:
        text = f"{type(err).__name__}: {err}"
        self.row(section, f"{section}: could not be measured", text[:120], "-", False)
        self.details.setdefault("errors", {})[section] = traceback.format_exc()

    def table(self) -> str:
        head = ("metric", "value", "target", "met?")
        body = [(r["metric"], r["value"], r["target"], r["met"]) for r in self.rows]
        widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(4)]
        lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |",
                 "| " + " | ".join("-" * w for w in widths) + " |"]
        for r in body:
            lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        return "\n".join(lines)


# --- machine ---------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total_mib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_mib = round(int(line.split()[1]) / 1024)
                break
    except (OSError, ValueError):
        pass
    commit = dirty = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout
        dirty = len([line for line in status.splitlines() if line.strip()])
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_total_mib": mem_total_mib,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "textual": ver("textual"),
        "pydantic": ver("pydantic"),
        "tinydb": ver("tinydb"),
        "git_commit": commit,
        "git_uncommitted_files": dirty,
    }


# --- subprocess environment -------------------------------------------------------------------


def child_env(tmp: Path) -> dict[str, str]:
    """Subprocesses never touch the user's data directory, and compile into the temp dir."""
    env = dict(os.environ)
    env["IQIES_ONBOARD_HOME"] = str(tmp / "home" / "iqies-onboard")
    env["XDG_DATA_HOME"] = str(tmp / "home" / ".local" / "share")
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# =============================================================================================
# 1. cold start
# =============================================================================================

BARE_CHILD = r"""
import json, resource
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("Hello from a bare Textual app")
    def on_mount(self):
        self.call_after_refresh(self.exit)

Bare().run(headless=True)
print(json.dumps({"ready": True, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

OURS_CHILD = r"""
import json, os, resource, tempfile
from wizard.memory import return_large_blocks_to_os
return_large_blocks_to_os()  # as app.cli.main does first
with tempfile.TemporaryDirectory(prefix="cold-", dir=os.environ.get("BENCH_TMP")) as tmp:
    from screens.app import OnboardingApp
    from screens.base import StepScreen
    from wizard.store import Store

    reached, kinds = [], {}
    _on_mount = StepScreen.on_mount

    def on_mount(self):  # the first StepScreen is mounted: exit after its first refresh
        _on_mount(self)
        reached.append(type(self).__name__)
        self.call_after_refresh(done, self)

    def done(screen):
        for widget in screen.walk_children(with_self=False):  # the first page's widgets
            kinds[type(widget).__name__] = kinds.get(type(widget).__name__, 0) + 1
        screen.app.exit()

    StepScreen.on_mount = on_mount
    OnboardingApp(Store(os.path.join(tmp, "data"))).run(headless=True)
print(json.dumps({"ready": bool(reached), "screen": reached[0] if reached else None,
                  "widgets": sum(kinds.values()), "kinds": kinds,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

# The floor under our first page: a bare Textual app whose first screen has the same count and
# kinds of widgets as our Profile page (same tree: top bar, step list in one widget, 15 field rows
# of label + control (+ note), the same Selects' options, radio set, checkbox, buttons, a footer
# with the same keys; keep it in step with the page: the row shows both counts), stock widgets and Textual's default CSS only, plus three layout rules so the rows
# take the height of their content as ours do (without them they would be 1fr and mostly
# unrendered). ours - this is our own cost (code, CSS); this - bare is Textual's per-widget cost.
BARE_PAGE_CHILD = r"""
import json, resource
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, RadioButton, RadioSet, Select, Static

STATES = __STATES__
SUFFIXES = __SUFFIXES__
STEPS = __STEPS__

class Page(Screen):
    BINDINGS = [Binding("f1", "help", "Help"), Binding("f2", "phone", "Phone"),
                Binding("escape", "back", "Back"), Binding("ctrl+n", "next", "Next"),
                Binding("ctrl+q", "app.quit", "Quit", priority=True)]
    def row(self, label, control, note=None):
        with Vertical():
            with Horizontal():
                yield Label(label)
                yield control
            if note:  # (no error line: ours makes a row's with its first error)
                yield Static(note)
    def compose(self):
        yield Static("")
        with Vertical():
            with Horizontal():
                yield Static("Sandbox: nothing you type leaves this computer")
                yield Static("step 1 of 12")
            with Horizontal():
                yield Static("HARP > Profile Information")
                yield Static("real page: harp.cms.gov/register")
        with Horizontal(id="body"):
            yield Static("\n".join(STEPS), id="steps")  # ours draws its lines in one widget too
            with VerticalScroll():
                yield Static("Enter your profile as HARP asks for it. Fields marked * are required.")
                yield Static("")
                yield Static("Your name")
                for label in ("First name *", "Middle name", "Last name *"):
                    yield from self.row(label, Input(compact=True))
                yield from self.row("Suffix", Select([(s, s) for s in SUFFIXES], prompt="(none)", compact=True))
                yield from self.row("Date of birth *", Input(placeholder="MM/DD/YYYY", compact=True))
                yield Static("Contact")
                yield from self.row("Email *", Input(compact=True), "Use your work (corporate) email address.")
                yield from self.row("Confirm email *", Input(compact=True))
                yield from self.row("Personal email only if:", Checkbox("Personal email allowed", compact=True))
                yield from self.row("Phone *", Input(compact=True))
                yield Static("Home address")
                for label in ("Street *", "City *"):
                    yield from self.row(label, Input(compact=True))
                yield from self.row("State *", Select([(f"{c}  {n}", c) for c, n in STATES], compact=True))
                yield from self.row("ZIP code *", Input(compact=True))
                yield Static("Social Security Number")
                yield Static("This practice app never asks for your SSN.")
                yield from self.row("SSN *", RadioSet(RadioButton("I will provide my SSN to HARP"),
                                                      RadioButton("I will use manual proofing"), compact=True))
                yield Static("Your facility")
                yield from self.row("Facility name", Input(compact=True), "Sandbox only.")
                with Horizontal():
                    yield Button("Back")
                    yield Button("Next", variant="primary")
        yield Footer()
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        for widget in self.walk_children(with_self=False):
            kinds[type(widget).__name__] = kinds.get(type(widget).__name__, 0) + 1
        self.app.exit()

kinds = {}

class BarePage(App):
    CSS = "Vertical, Horizontal { height: auto; } #body { height: 1fr; } #steps { width: 26; }"
    def on_mount(self):
        self.push_screen(Page())

BarePage().run(headless=True)
print(json.dumps({"ready": True, "widgets": sum(kinds.values()), "kinds": kinds,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bare_page_child() -> str:
    """BARE_PAGE_CHILD with the Profile page's options and step list (data only, taken here so
    the child imports none of our code)."""
    from wizard import rules
    from wizard.steps import Step

    steps = ["HARP account"] + [f"  {s.number:>2} {s.info.label}" for s in Step]
    steps.insert(1 + [s.info.system for s in Step].index("iQIES"), "iQIES role request")
    return (BARE_PAGE_CHILD.replace("__STATES__", repr(list(rules.US_STATES.items())))
            .replace("__SUFFIXES__", repr(list(rules.SUFFIXES))).replace("__STEPS__", repr(steps)))


def run_child(code: str, env: dict[str, str], timeout: float = 120) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    info = json.loads(last)
    if not info.get("ready"):
        raise RuntimeError(f"child never reached its first screen: {proc.stdout[-400:]} {proc.stderr[-400:]}")
    return elapsed, info


def bench_cold(rep: Report, tmp: Path, runs: int) -> None:
    env = child_env(tmp)
    env["BENCH_TMP"] = str(tmp)
    page_child = bare_page_child()
    # one warm-up of each (not counted): fills the bytecode cache in the temp dir
    run_child(BARE_CHILD, env)
    run_child(page_child, env)
    run_child(OURS_CHILD, env)
    bare, page, ours, rss_bare, rss_ours, screens = [], [], [], [], [], set()
    widgets: dict[str, dict[str, int]] = {}
    kinds = ("bare", "page", "ours")
    for i in range(runs):
        # alternate the order too: each kind goes first, second and third in turn
        for kind in kinds[i % 3:] + kinds[:i % 3]:
            if kind == "bare":
                t, info = run_child(BARE_CHILD, env)
                bare.append(t)
                rss_bare.append(info["rss_kib"])
            elif kind == "page":
                t, info = run_child(page_child, env)
                page.append(t)
                widgets["page"] = info["kinds"]
            else:
                t, info = run_child(OURS_CHILD, env)
                ours.append(t)
                rss_ours.append(info["rss_kib"])
                screens.add(info.get("screen"))
                widgets["ours"] = info["kinds"]
        print(f"\r  cold start {i + 1}/{runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    mb, mp, mo = med(bare), med(page), med(ours)
    ratio = mo / mb
    n_ours, n_page = sum(widgets["ours"].values()), sum(widgets["page"].values())
    rep.row("cold", f"cold start, bare Textual app, headless (median of {runs})", f"{ms(mb):.0f} ms")
    rep.row("cold", f"cold start, bare Textual app with a page of the same widgets ({n_page})",
            f"{ms(mp):.0f} ms ({mp / mb:.2f}x)", ratio=round(mp / mb, 3))
    rep.row("cold", f"cold start, iqies-onboard to first step screen ({n_ours} widgets)",
            f"{ms(mo):.0f} ms", widgets=n_ours)
    rep.row("cold", "cold start ratio ours / bare", f"{ratio:.2f}x", "<= 1.3x", ratio <= 1.3,
            ratio=round(ratio, 3))
    rep.row("cold", "  of which Textual's cost of the widgets / ours (code, CSS)",
            f"{ms(mp - mb):.0f} / {ms(mo - mp):.0f} ms")
    rep.details["cold_start"] = {
        "runs_each": runs,
        "order": "rotating (bare, page, ours), (page, ours, bare), ...; one uncounted warm-up each",
        "bare_s": [round(x, 4) for x in bare], "bare_page_s": [round(x, 4) for x in page],
        "ours_s": [round(x, 4) for x in ours],
        "bare_median_ms": ms(mb), "bare_page_median_ms": ms(mp), "ours_median_ms": ms(mo),
        "ratio": round(ratio, 3), "bare_page_ratio": round(mp / mb, 3),
        "widgets_ours": widgets["ours"], "widgets_bare_page": widgets["page"],
        "ours_first_screen": sorted(s for s in screens if s),
        "rss_bare_kib_median": med(rss_bare), "rss_ours_first_screen_kib_median": med(rss_ours),
        "how": "wall time of `python -c ...` from spawn to exit; each app exits via "
               "call_after_refresh(exit) once its first screen is mounted; the bare page is "
               "BARE_PAGE_CHILD (stock widgets, the same count and kinds as our Profile page)",
    }


# =============================================================================================
# 2. Next -> next screen painted (UI, Pilot) and flow.submit (domain)
# =============================================================================================


class PaintRecorder:
    """Wraps app._display (called with each compositor update of the top screen). Headless
    Textual skips turning the update into terminal escapes; the recorder does that part too
    (``render_segments``, written nowhere) so a "paint" costs what it costs in a terminal."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.paints: list[tuple[float, Any]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            self.paints.append((time.perf_counter(), screen))

        app._display = display


async def drive_happy_path(app: Any, timed: Callable[..., Any] | None = None) -> None:
    """The happy path of tests/test_pilot_happy_path.py, through the real screens. ``timed``
    (an async context factory) wraps each Next press; without it nothing is timed."""
    from textual.widgets import Static

    from tests.factory import CCN, PASSWORD, PROFILE, account_form
    from tests.pilot_helpers import fill, step_of, until_checked
    from wizard.steps import Step

    async with app.run_test(size=(80, 24)) as pilot:

        async def step(label: str, action: Callable[[], Any], expect: Any) -> None:
            if timed is None:
                await action()
                await until_checked(pilot)  # Next's check runs in a thread (screens/checking.py)
                await pilot.pause()
            else:
                await timed(pilot, label, action)
            got = pilot.app.screen
            ok = (got.STEP == expect) if isinstance(expect, Step) else type(got).__name__ == expect
            if not ok:
                raise AssertionError(f"{label}: expected {expect}, on {type(got).__name__}: "
                                     f"{getattr(got, 'STEP', '')}")

        def press() -> Any:
            return pilot.press("ctrl+n")

        await pilot.pause()
        assert step_of(pilot) == Step.PROFILE, step_of(pilot)
        await fill(pilot, PROFILE)
        await step("profile -> account", press, Step.ACCOUNT)
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, form)
        if timed is not None and hasattr(timed, "keystrokes"):  # the password, key by key, live checklist
            await timed.keystrokes(pilot, form["password"], "password", "the password")
        await step("account -> confirm dialog", press, "ConfirmScreen")
        # Yes by the keyboard (Tab to it, untimed, then Enter): Pilot's click waits for the app
        # to idle between the mouse down, up and click, which a terminal sends at once
        app.screen.query_one("#confirm-yes").focus()
        await pilot.pause()
        await step("confirm yes -> proofing", lambda: pilot.press("enter"), Step.PROOFING)
        answers: dict[str, Any] = {f"q{i}": q.correct for i, q in enumerate(app.flow.proofing_questions())}
        answers["not_a_robot"] = True
        await fill(pilot, answers)
        await step("proofing -> 2FA setup", press, Step.TWO_FACTOR_SETUP)
        await fill(pilot, {"password": PASSWORD, "device_type": "sms", "phone": PROFILE["phone"]})
        await step("2FA setup -> verify", press, Step.TWO_FACTOR_VERIFY)
        await fill(pilot, {"code": app.flow.code_on_phone()})
        await step("verify -> iQIES sign-in", press, Step.IQIES_SIGN_IN)
        await fill(pilot, {"password": PASSWORD})
        await pilot.click("#send-code")
        await pilot.pause()
        await fill(pilot, {"code": app.flow.code_on_phone()})
        await step("sign-in -> welcome", press, Step.WELCOME)
        await step("welcome -> category", press, Step.CATEGORY)
        await fill(pilot, {"category": "provider"})
        await step("category -> role", press, Step.ROLE)
        await fill(pilot, {"relationship": "employee", "role": "pso"})
        await step("role -> organizations", press, Step.ORGANIZATIONS)
        if timed is not None and hasattr(timed, "keystrokes"):
            await timed.keystrokes(pilot, CCN)  # type the CCN key by key, each timed to its frame
        else:
            await fill(pilot, {"search_for": CCN})
        preview = str(app.screen.query_one("#search-preview", Static).render())
        assert "BURNS NURSING HOME" in preview, preview
        await pilot.click("#add-org")
        await pilot.pause()
        await step("organizations -> review", press, Step.REVIEW)
        await step("review -> pending requests", press, Step.AWAIT_APPROVAL)


class NextTimer:
    """Times each Next: from just before the key press (or click) to the first frame of the new
    screen (``paint_ms``); also the wall time of Pilot's press + pause (``pilot_ms``).

    ``reads`` (seconds): before each Next, wait as a user reading the page would, until the
    app's page built ahead for the next step is ready and the page's work prepared ahead
    (argon2id, flow.prepare) is done, for at most that long (a page whose next page is not built
    ahead, such as the dialog, waits the whole time). 0: Next at once, as soon as the fields
    are filled (no user is that fast; pages are then mostly built on Next)."""

    def __init__(self, recorder: PaintRecorder, reads: float = 0.0) -> None:
        self.rec = recorder
        self.reads = reads
        self.samples: list[dict[str, Any]] = []
        self.keys: list[dict[str, Any]] = []

    async def _read_the_page(self, pilot: Any) -> bool:
        """Wait as a reader would (see ``reads``); whether the next page was ready by then."""
        app = pilot.app

        def ready() -> bool:
            page = app.screen
            preparing = getattr(page, "_prepare_timer", None) is not None or any(
                w.group == "prepare" and not w.is_finished for w in app.workers)
            return (getattr(app, "_ahead", None) is not None and app._ahead[0].ready
                    and not preparing)

        deadline = time.perf_counter() + self.reads
        while self.reads and not ready() and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        await pilot.pause()
        return ready()

    async def __call__(self, pilot: Any, label: str, action: Callable[[], Any]) -> None:
        app = pilot.app
        built_ahead = await self._read_the_page(pilot)
        before = app.screen
        # a page under a dialog (the User ID confirmation) is shown again first, while Next's
        # check runs: the new page is one that was not on the stack before the press
        earlier = list(app.screen_stack)
        paints = self.rec.paints
        paints.clear()
        t0 = time.perf_counter()
        await action()
        t_action = time.perf_counter()
        deadline = t0 + 30
        first = None
        while first is None:
            current = app.screen
            if current is not before and current not in earlier:
                first = next((t for t, s in paints if s is current), None)
            if first is None:
                if app._exception is not None or not app.is_running:
                    raise RuntimeError(f"{label}: the app stopped ({app._exception!r})")
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{label}: no frame of a new screen within 30 s")
                await asyncio.sleep(0.0005)
        await pilot.pause()
        t_pause = time.perf_counter()
        current = app.screen
        last = max((t for t, s in paints if s is current and t <= t_pause), default=first)
        self.samples.append({
            "step": label, "paint_ms": ms(first - t0), "settled_ms": ms(last - t0),
            "press_returned_ms": ms(t_action - t0), "pilot_ms": ms(t_pause - t0),
            "reads_s": self.reads, "next_page_was_built_ahead": built_ahead,
        })

    async def keystrokes(self, pilot: Any, text: str, field: str = "search_for",
                         label: str = "Search for") -> None:
        """Type ``text`` into ``field`` (focused, emptied first), timing each key to the frame it causes."""
        app = pilot.app
        control = app.screen.query_one(f"#field-{field}").control
        control.value = ""
        control.focus()
        await pilot.pause()
        paints = self.rec.paints
        for ch in text:
            paints.clear()
            t0 = time.perf_counter()
            await pilot.press(ch)
            deadline = t0 + 10
            while not paints and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            first = paints[0][0] if paints else float("nan")
            await pilot.pause()
            self.keys.append({"field": label, "key": "*" if field == "password" else ch,
                              "paint_ms": ms(first - t0)})


def domain_path(data_dir: Path) -> list[tuple[str, float]]:
    """flow.submit(step, form) for every step of the happy path, timed; no UI."""
    from tests.states import answers_for, new_flow
    from wizard.steps import LeftOpen, Step

    flow = new_flow(data_dir)
    answers = answers_for("sms")
    out: list[tuple[str, float]] = []

    def submit(step: Step, form: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        outcome = flow.submit(step, form)
        out.append((step.key, time.perf_counter() - t0))
        assert outcome.ok, (step, outcome)

    # each form made by its spec from answers sections (as run --answers makes it), untimed; a
    # page the spec fills itself first (its draft_from_answers: the organizations added)
    while flow.current_step.next is not None:
        step = flow.current_step
        if step.draft_from_answers is not None:
            step.draft_from_answers(flow, answers)
        try:
            form = step.form_from(answers, flow, "correct")
        except LeftOpen as why:
            raise AssertionError(f"{step.key}: {why}") from None
        submit(step, form)
    assert flow.current_step == Step.AWAIT_APPROVAL
    return out


def argon2_cost() -> dict[str, float]:
    """What one hash and one verify cost here (the account step hashes twice; 2FA setup and
    sign-in verify once each): the part of Next that is slow on purpose."""
    from wizard.flow import hash_secret, verify_secret

    h = hash_secret("Correct-Horse-42x")
    hashes, verifies = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        hash_secret("Correct-Horse-42x")
        hashes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        verify_secret(h, "Correct-Horse-42x")
        verifies.append(time.perf_counter() - t0)
    return {"hash_ms": ms(med(hashes)), "verify_ms": ms(med(verifies))}


def reference_screen_switch(presses: int) -> tuple[list[float], int]:
    """Bare Textual, default CSS: ctrl+n switches to a fresh screen of about the size of a step
    page (a top line, a 12-line list, 6 label/input/note/error rows, 2 buttons, a Footer). What
    "a new Screen per Next" costs in Textual itself on this machine, measured like ours."""
    from textual.app import App
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.screen import Screen
    from textual.widgets import Button, Footer, Input, Label, Static

    class Page(Screen):
        BINDINGS = [("ctrl+n", "next", "Next"), ("f1", "noop", "Help"), ("f2", "noop", "Phone"),
                    ("escape", "noop", "Back")]

        def compose(self):  # type: ignore[override]
            yield Static("top bar")
            with Horizontal():
                yield Vertical(*[Static(f"step {i}") for i in range(12)])
                with VerticalScroll():
                    for i in range(6):
                        with Vertical():
                            yield Label(f"field {i}")
                            yield Input()
                            yield Static("note")
                            yield Static("")
                    with Horizontal():
                        yield Button("Back")
                        yield Button("Next")
            yield Footer()

        def action_next(self) -> None:
            self.app.switch_screen(Page())

        def action_noop(self) -> None:
            pass

    class Reference(App):
        def on_mount(self) -> None:
            self.push_screen(Page())

    app = Reference()
    timer = NextTimer(PaintRecorder(app))
    widgets = 0

    async def drive() -> None:
        nonlocal widgets
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for _ in range(presses):
                await timer(pilot, "reference", lambda: pilot.press("ctrl+n"))
            widgets = len(list(app.screen.walk_children(with_self=True)))

    asyncio.run(drive())
    return [s["paint_ms"] for s in timer.samples], widgets


# Before each Next a user reads the page; the bench waits as long as the next page takes to be
# built ahead, for at most this long (NextTimer.reads). The at-once run is kept beside it.
READS_THE_PAGE = 2.0


def bench_next(rep: Report, tmp: Path, ui_runs: int, domain_runs: int) -> None:
    from tests.factory import make_app

    # the domain part
    per_step: dict[str, list[float]] = {}
    allv: list[float] = []
    for i in range(domain_runs):
        for key, dt in domain_path(tmp / f"domain{i}" / "data"):
            per_step.setdefault(key, []).append(dt)
            allv.append(dt)
        shutil.rmtree(tmp / f"domain{i}", ignore_errors=True)
    argon = argon2_cost()

    # through the screens
    samples: list[dict[str, Any]] = []
    at_once: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for i in range(ui_runs):
        for reads in (READS_THE_PAGE, 0.0):  # alternating, in one process
            app = make_app(tmp / f"ui{i}-{reads}" / "data")
            timer = NextTimer(PaintRecorder(app), reads=reads)
            asyncio.run(drive_happy_path(app, timer))
            for s in timer.samples:
                s["run"] = i
            (samples if reads else at_once).extend(timer.samples)
            keys += timer.keys
            shutil.rmtree(tmp / f"ui{i}-{reads}", ignore_errors=True)
        print(f"\r  happy path through the screens {i + 1}/{ui_runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    ref, ref_widgets = reference_screen_switch(12)
    paint = [s["paint_ms"] for s in samples]
    quick = [s["paint_ms"] for s in at_once]
    pilot = [s["pilot_ms"] for s in samples]
    settled = [s["settled_ms"] for s in samples]
    n = len(paint)
    rep.row("next", f"Next -> new screen's first frame, UI, median ({n} presses)", f"{med(paint):.1f} ms",
            "<= 16 ms", med(paint) <= 16, median_ms=med(paint))
    rep.row("next", "Next -> new screen's first frame, UI, p95", f"{pct(paint, 95):.1f} ms", "<= 50 ms",
            pct(paint, 95) <= 50, p95_ms=pct(paint, 95))
    rep.row("next", f"  same, Next at once (no reading time: pages built on Next), median / p95",
            f"{med(quick):.1f} / {pct(quick, 95):.1f} ms", median_ms=med(quick), p95_ms=pct(quick, 95))
    rep.row("next", "  same, until the screen settled (last frame before idle), median",
            f"{med(settled):.1f} ms")
    rep.row("next", "  Pilot press + pause wall time, median (includes Pilot's own waiting)",
            f"{med(pilot):.1f} ms")
    rep.row("next", f"  reference: bare Textual, Next to a fresh {ref_widgets}-widget screen, median / p95",
            f"{med(ref):.1f} / {pct(ref, 95):.1f} ms")
    dom = [x * 1000 for x in allv]
    rep.row("next", f"flow.submit(step, form), domain only, median ({len(dom)} submits)", f"{med(dom):.1f} ms",
            "<= 16 ms", med(dom) <= 16, median_ms=med(dom))
    rep.row("next", "flow.submit(step, form), domain only, p95", f"{pct(dom, 95):.1f} ms", p95_ms=pct(dom, 95))
    for label in dict.fromkeys(k["field"] for k in keys):
        kp = [k["paint_ms"] for k in keys if k["field"] == label]
        rep.row("next", f"keystroke in {label} -> its frame, UI, p95 ({len(kp)} keys; median {med(kp):.1f} ms)",
                f"{pct(kp, 95):.1f} ms", "<= 16 ms", pct(kp, 95) <= 16, p95_ms=pct(kp, 95), median_ms=med(kp))

    by_label: dict[str, list[float]] = {}
    for s in samples:
        by_label.setdefault(s["step"], []).append(s["paint_ms"])
    rep.details["next"] = {
        "ui_runs": ui_runs, "domain_runs": domain_runs, "reads_the_page_s": READS_THE_PAGE,
        "ui_samples": samples, "ui_samples_next_at_once": at_once, "keystroke_samples": keys,
        "ui_median_paint_ms_by_step": {k: med(v) for k, v in by_label.items()},
        "domain_median_ms_by_step": {k: ms(med(v)) for k, v in per_step.items()},
        "domain_p95_ms_by_step": {k: ms(pct(v, 95)) for k, v in per_step.items()},
        "argon2": argon,
        "reference_bare_textual_switch_ms": ref, "reference_widgets": ref_widgets,
        "how": "UI: before each Next the bench waits as a reader would, until the page built "
               "ahead for the next step is ready, at most reads_the_page_s (the at-once run does "
               "not wait). t0 just before pilot.press('ctrl+n') (or Enter on Yes of the User ID "
               "confirmation); paint = first compositor frame of the new screen (headless, with the "
               "escape sequences rendered but not written); settled = last frame of it before "
               "Pilot's pause returned; pilot = press + pause wall time, which adds Pilot's own "
               "idle-waiting (wait_for_idle sleeps, _wait_for_screen). Screens use a frozen clock "
               "and fixed codes (tests/factory.make_app), size 80x24. The first run in the process "
               "includes first-use costs (a user meets them once).",
    }


# =============================================================================================
# 3. store with N accounts and requests
# =============================================================================================


def bench_store(rep: Report, tmp: Path, sizes: list[int], reps: dict[int, int]) -> None:
    from tests.factory import PROFILE, account_form
    from tests.states import advance_to, new_flow
    from wizard.steps import Step
    from wizard.store import Store

    from wizard.store import AtomicJSONStorage, PRACTICE_ACCOUNTS_DIR, USERS_NAME

    seed = advance_to(tmp / "store-seed" / "data", Step.AWAIT_APPROVAL)
    raw = seed.store.db.storage.read()
    assert raw is not None
    mine = AtomicJSONStorage(seed.store.account_path).read() or {}
    acct = next(iter(mine["accounts"].values()))
    req = next(iter(raw["requests"].values()))
    outbox = mine.get("outbox", {})
    doc_sizes = {"account_bytes": len(json.dumps(acct, separators=(",", ":"))),
                 "request_bytes": len(json.dumps(req, separators=(",", ":"))),
                 "outbox_messages_of_the_user": len(outbox)}
    message = {"kind": "sms", "to": PROFILE["phone"], "subject": "HARP security code",
               "body": "Your HARP security code is 123456.", "sent_at": "2026-11-23T15:00:00+00:00"}
    results: dict[str, Any] = {"documents": doc_sizes, "sizes": {}}
    for n in sizes:
        d = tmp / f"store{n}" / "data"
        store = Store(d)
        with store.lock:
            data = store.db.storage.read() or {}
            requests = {"1": req}
            users = {"1": {"user_id": acct["user_id"], "key": acct["user_id"].casefold(), "profile": "default"}}
            AtomicJSONStorage(store.account_path).write({"accounts": {"1": acct}, "outbox": dict(outbox)})
            for i in range(2, n + 1):  # one small file per trainee, as the app writes them
                uid = f"{acct['user_id']}{i}"
                path = d / PRACTICE_ACCOUNTS_DIR / f"trainee{i}.json"
                path.write_text(json.dumps({"accounts": {"1": {**acct, "user_id": uid}}, "outbox": dict(outbox)}))
                requests[str(i)] = {**req, "id": f"{i:012x}", "user_id": uid}
                users[str(i)] = {"user_id": uid, "key": uid.casefold(), "profile": f"trainee{i}"}
            # sealed as the store seals them (schema 5, wizard/seal.py): unsealed ones are ignored
            from wizard import seal

            request_sealer = seal.Sealer(store.vault, seal.REQUEST, create=True)
            user_sealer = seal.Sealer(store.vault, seal.USER_ID, create=True)
            data["requests"] = {k: request_sealer.seal(r) for k, r in requests.items()}
            store.db.storage.write(data)  # one bulk write
            AtomicJSONStorage(d / USERS_NAME).write({"users": {k: user_sealer.seal(u) for k, u in users.items()}})
        file_mb = sum(p.stat().st_size for p in d.rglob("*.json")) / MIB
        flow = new_flow(d)
        assert flow.record.user_id == acct["user_id"], "the real account must be practice account 'default'"
        flow.save()  # warm-up, not counted
        live_form = {**account_form(), "user_id": "new_user_id"}
        r = reps[n]
        saves, adds, checks = [], [], []
        for _ in range(r):
            t0 = time.perf_counter()
            flow.save()
            saves.append(time.perf_counter() - t0)
        for _ in range(r):
            t0 = time.perf_counter()
            flow.store.add_message(message)
            adds.append(time.perf_counter() - t0)
        for _ in range(5 if n >= 10000 else 10):
            t0 = time.perf_counter()
            # the live check a keystroke on the account page runs: it reads every account's User ID
            flow.validate(Step.ACCOUNT, live_form)
            checks.append(time.perf_counter() - t0)
        shutil.rmtree(tmp / f"store{n}", ignore_errors=True)
        target = {1000: 10.0, 10000: 50.0}.get(n)
        for name, vals in (("flow.save() (a step save)", saves), ("store.add_message()", adds)):
            m = med(vals) * 1000
            rep.row("store", f"{name}, {n:,} accounts + requests ({file_mb:.1f} MB), median of {r}",
                    f"{m:.1f} ms", f"<= {target:g} ms" if target else "-",
                    (m <= target) if target else None, median_ms=round(m, 3), n=n)
        rep.row("store", f"  account page live check per keystroke (reads all User IDs), {n:,} accounts, median",
                f"{med(checks) * 1000:.1f} ms", n=n)
        results["sizes"][str(n)] = {
            "file_mib": round(file_mb, 2), "repetitions": r,
            "save_ms": [ms(x) for x in saves], "add_message_ms": [ms(x) for x in adds],
            "validate_ms": [ms(x) for x in checks],
            "save_median_ms": ms(med(saves)), "add_message_median_ms": ms(med(adds)),
            "validate_median_ms": ms(med(checks)),
        }
        print(f"  store with {n:,} accounts: save {med(saves) * 1000:.1f} ms", file=sys.stderr)
    shutil.rmtree(tmp / "store-seed", ignore_errors=True)
    results["how"] = ("N practice accounts (copies of a real account saved at AWAIT_APPROVAL, one file "
                      "each, user_id varied, all in users.json) and N role requests in the shared "
                      "file; the real account is practice account 'default'. Timed: flow.save() and "
                      "store.add_message() of a text-message code; every Next does 1-3 such saves. "
                      "MB: all JSON files of the data directory.")
    rep.details["store"] = results


# =============================================================================================
# 4. provider search per keystroke
# =============================================================================================


def bench_search(rep: Report, tmp: Path, repeats: int) -> None:
    from wizard.directory import ProviderDirectory, default_directory
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    # first use in a process: the file is read (lookup) and the search index built (search)
    t0 = time.perf_counter()
    ProviderDirectory().by_ccn("015009")
    cold_lookup = time.perf_counter() - t0
    t0 = time.perf_counter()
    ProviderDirectory().search("B")
    cold_search = time.perf_counter() - t0

    directory = default_directory()
    directory.load(search=True)
    rng = random.Random(20261123)
    rows = [directory.by_ccn("015009")] + rng.sample(list(directory), 4)
    ccns = [p.ccn for p in rows]
    fids = [p.facility_id for p in rows]
    names = [p.name for p in rows]

    def prefixes(words: list[str]) -> list[str]:
        return [w[:i] for w in words for i in range(1, len(w) + 1)]

    flow = OnboardingFlow(Store(tmp / "search" / "data"), directory=directory)
    kinds: dict[str, tuple[Callable[[str], Any], list[str]]] = {
        "search, CCN prefixes": (directory.search, prefixes(ccns)),
        "search, Facility ID prefixes": (directory.search, prefixes(fids)),
        "search, name prefixes": (directory.search, prefixes(names)),
        "find_organization('ccn', ...)": (lambda t: flow.find_organization("ccn", t), prefixes(ccns)),
        "find_organization('facility_id', ...)": (lambda t: flow.find_organization("facility_id", t),
                                                  prefixes(fids)),
    }
    out: dict[str, Any] = {
        "cold_lookup_ms": ms(cold_lookup), "cold_search_ms": ms(cold_search), "providers": len(directory),
        "ccns": ccns, "facility_ids": fids, "names": names, "repeats": repeats, "kinds": {},
    }
    for kind, (fn, texts) in kinds.items():
        vals = []
        for _ in range(repeats):
            for text in texts:
                t0 = time.perf_counter()
                fn(text)
                vals.append(time.perf_counter() - t0)
        m, p = med(vals) * 1000, pct(vals, 95) * 1000
        worst = max(vals) * 1000
        rep.row("search", f"{kind}, median / p95 ({len(texts)} prefixes x {repeats})",
                f"{m:.3f} / {p:.3f} ms", "<= 5 ms", m <= 5 and p <= 5, median_ms=m, p95_ms=p, max_ms=worst)
        out["kinds"][kind] = {"median_ms": round(m, 4), "p95_ms": round(p, 4), "max_ms": round(worst, 4),
                              "prefixes": len(texts)}
    rep.row("search", "  first lookup after launch (reads providers.csv), once", f"{ms(cold_lookup):.1f} ms")
    rep.row("search", "  first search after launch (reads file + builds index), once",
            f"{ms(cold_search):.1f} ms")
    rep.details["search"] = out
    shutil.rmtree(tmp / "search", ignore_errors=True)


# =============================================================================================
# 6. peak RSS
# =============================================================================================


def _child_rss(kind: str) -> None:
    """Runs in a subprocess: the happy path (ours) or the bare app, then prints ru_maxrss."""
    import resource
    import types

    if kind == "ours":
        # tests/factory.py imports tests/conftest.py, which imports pytest (14 MB of RSS a user's
        # wizard never loads); a stand-in with pytest.fixture is all conftest needs at import.
        stub = types.ModuleType("pytest")

        def fixture(*args: Any, **kwargs: Any) -> Any:
            return args[0] if args and callable(args[0]) else (lambda f: f)

        stub.fixture = fixture  # type: ignore[attr-defined]
        sys.modules["pytest"] = stub
        from tests.factory import make_app
        from wizard.memory import return_large_blocks_to_os

        return_large_blocks_to_os()  # as app.cli.main does first

        from tests.pilot_helpers import until_checked

        steps: list[dict[str, Any]] = [{"step": "before make_app", **_status_kib()}]

        async def each_next(pilot: Any, label: str, action: Callable[[], Any]) -> None:
            # what drive_happy_path does untimed, then VmRSS/VmHWM: where the peak is made
            await action()
            await until_checked(pilot)
            await pilot.pause()
            steps.append({"step": label, **_status_kib()})

        with tempfile.TemporaryDirectory(prefix="rss-", dir=os.environ.get("BENCH_TMP")) as tmp:
            app = make_app(Path(tmp) / "data")
            asyncio.run(drive_happy_path(app, each_next))
            step = app.flow.current_step.key
    else:
        from textual.app import App
        from textual.widgets import Static

        class Bare(App):
            def compose(self):  # type: ignore[override]
                yield Static("Hello from a bare Textual app")

        async def drive() -> None:
            async with Bare().run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                await pilot.press("tab")
                await pilot.pause()

        asyncio.run(drive())
        step = "bare"
        steps = []
    print(json.dumps({"ready": True, "step": step, "vm_hwm_kib": vm_hwm_kib(), "steps": steps,
                      "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def _status_kib() -> dict[str, int]:
    """This process's VmRSS (now, with its anonymous and file-backed parts) and VmHWM (peak so
    far), in KiB, from /proc/self/status (Linux; empty elsewhere)."""
    out: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[name.lower() + "_kib"] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def vm_hwm_kib() -> int | None:
    """Peak RSS of this process's own address space (Linux), a cross-check of ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def bench_rss(rep: Report, tmp: Path) -> None:
    env = child_env(tmp)
    env["BENCH_TMP"] = str(tmp)
    import resource

    parent_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = {}
    for kind in ("bare", "ours"):
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-rss", kind], cwd=ROOT,
                              env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"rss child {kind} exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
        results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
    ours = results["ours"]["rss_kib"] / 1024
    bare = results["bare"]["rss_kib"] / 1024
    if parent_kib >= min(results["ours"]["rss_kib"], results["bare"]["rss_kib"]):
        rep.notes.append("rss: this process was already as big as a child when it started it, so the "
                         "children's ru_maxrss may show this process's size; see vm_hwm_kib in details.rss")
    rep.row("rss", f"peak RSS, iqies-onboard through the happy path (ended at {results['ours']['step']})",
            f"{ours:.1f} MB", "<= 80 MB", ours <= 80, mib=round(ours, 1))
    rep.row("rss", "peak RSS, bare Textual app (same harness: run_test + Pilot)", f"{bare:.1f} MB",
            mib=round(bare, 1))
    steps = [st for st in results["ours"].get("steps", []) if "vmhwm_kib" in st]
    if steps:  # the first Next after which VmHWM reached its final value is where the peak was made
        at = next(st for st in steps if st["vmhwm_kib"] == steps[-1]["vmhwm_kib"])
        rep.row("rss", f"  peak made during: {at['step']}; resident at the end: "
                       f"{steps[-1]['vmrss_kib'] / 1024:.1f} MB", f"{at['vmhwm_kib'] / 1024:.1f} MB")
    cold = rep.details.get("cold_start", {})
    if cold.get("rss_ours_first_screen_kib_median"):
        rep.row("rss", "  peak RSS at the first screen, app.run(headless=True): ours / bare",
                f"{cold['rss_ours_first_screen_kib_median'] / 1024:.1f} / "
                f"{cold['rss_bare_kib_median'] / 1024:.1f} MB")
    rep.details["rss"] = {"ours_kib": results["ours"]["rss_kib"], "bare_kib": results["bare"]["rss_kib"],
                          "ours_vm_hwm_kib": results["ours"].get("vm_hwm_kib"),
                          "bare_vm_hwm_kib": results["bare"].get("vm_hwm_kib"),
                          "bench_process_kib_when_starting_children": parent_kib,
                          "ours_steps": results["ours"].get("steps", []),
                          "ours_steps_how": "after each Next of the happy path (its check done, one "
                                            "pause): VmRSS, RssAnon, RssFile now and VmHWM so far",
                          "unit": "MB here means MiB (ru_maxrss is in KiB on Linux)",
                          "how": "a subprocess per app: ours runs the Pilot happy path (make_app, "
                                 "80x24, pytest not imported), bare shows one Static under the same "
                                 "harness; resource.getrusage(RUSAGE_SELF).ru_maxrss at the end"}


# =============================================================================================
# 5. the test command
# =============================================================================================


def bench_tests(rep: Report, run: bool, tmp: Path) -> None:
    if not run:
        rep.row("tests", "whole test command (pytest -q -p no:cacheprovider) wall time",
                "not run (add --with-tests)", "<= 60 s", None)
        return
    # The suite's own side files go to the temp dir, not the project: Hypothesis's example
    # database (.hypothesis/) and, when a snapshot differs, pytest-textual-snapshot's report.
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           f"--snapshot-report={tmp / 'snapshot_report.html'}"]
    env = dict(os.environ)
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(tmp / "hypothesis")
    print("  running pytest -q -p no:cacheprovider (about 2-4 minutes)", file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800)
    wall = time.perf_counter() - t0
    lines = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    summary = lines[-1] if lines else ""
    rep.row("tests", f"whole test command wall time (exit {proc.returncode}: {summary.strip('= ')[:60]})",
            f"{wall:.1f} s", "<= 60 s", wall <= 60, seconds=round(wall, 2))
    rep.details["tests"] = {"command": " ".join(cmd), "seconds": round(wall, 2), "exit_code": proc.returncode,
                            "summary": summary, "tail": "\n".join(lines[-25:])}


# =============================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure iqies-onboard's performance in one run; print a table and write JSON.",
        epilog="sections (--only):" + __doc__.split("What it measures (each row of the table: metric, value, "
                                                     "target, met?):", 1)[1].split("Prints a table", 1)[0]
        + "Writes bench/results/latest.json unless --out says otherwise.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions (1 UI path instead of 2, 4 domain paths instead of 6, "
                             "5 searches of each prefix instead of 20, 5 saves at 10,000 accounts instead "
                             "of 20): under 2 minutes instead of about 3; numbers are noisier")
    parser.add_argument("--with-tests", action="store_true",
                        help="also time the whole test command (about 2 minutes more); off by default")
    parser.add_argument("--only", metavar="SECTIONS",
                        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all; 'tests' "
                             "still needs --with-tests)")
    parser.add_argument("--cold-runs", type=int, metavar="N",
                        help="cold-start runs of each app (default 10)")
    parser.add_argument("--store-sizes", metavar="N,N,...", default="100,1000,10000",
                        help="account counts for the store section (default 100,1000,10000; the 40 "
                             "saves at 10,000 take about 2 minutes of a default run)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json",
                        help="where to write the JSON (default: bench/results/latest.json)")
    parser.add_argument("--child-rss", choices=("bare", "ours"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_rss:
        _child_rss(args.child_rss)
        return 0

    only = set(SECTIONS) if not args.only else {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    quick = args.quick
    cold_runs = max(1, args.cold_runs or 10)
    try:
        sizes = sorted({int(x) for x in args.store_sizes.split(",") if x.strip()})
    except ValueError:
        parser.error("--store-sizes takes whole numbers separated by commas, e.g. 100,1000")
    if not sizes or min(sizes) < 1:
        parser.error("--store-sizes needs at least one count of 1 or more")
    store_reps = {n: (5 if quick and n >= 10000 else 20) for n in sizes}

    rep = Report()
    machine = machine_info()
    t_start = time.perf_counter()
    print(f"iqies-onboard bench on {machine['cpu_model'] or platform.processor()} x{machine['cpu_count']}, "
          f"Python {machine['python']}, Textual {machine['textual']}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="iqies-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["IQIES_ONBOARD_HOME"] = str(tmp / "home" / "iqies-onboard")  # never the user's own
        plan: list[tuple[str, Callable[[], None]]] = [
            # subprocess sections first, while this process is small: Linux carries a parent's
            # peak RSS at fork into the child's ru_maxrss across exec
            ("cold", lambda: bench_cold(rep, tmp, cold_runs)),
            ("rss", lambda: bench_rss(rep, tmp)),
            ("search", lambda: bench_search(rep, tmp, 5 if quick else 20)),
            ("next", lambda: bench_next(rep, tmp, 1 if quick else 2, 4 if quick else 6)),
            ("store", lambda: bench_store(rep, tmp, sizes, store_reps)),
            ("tests", lambda: bench_tests(rep, args.with_tests, tmp)),
        ]
        for name, fn in plan:
            if name not in only:
                continue
            print(f"[{name}]", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                fn()
            except Exception as err:  # one broken section must not lose the others
                rep.error(name, err)
                print(rep.details["errors"][name], file=sys.stderr)
            rep.details.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 1)
    elapsed = time.perf_counter() - t_start
    if hasattr(os, "getloadavg"):
        machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    rep.notes = [
        "UI timings are headless: a frame is Textual's compositor update plus its rendering to escape "
        "sequences (done by the bench, written nowhere); a real terminal adds its own drawing.",
        "Pilot's press() and pause() add their own waiting (wait_for_idle sleeps in steps of "
        "SLEEP_GRANULARITY until the CPU is idle, and wait for every widget's queue): the 'Pilot press + "
        "pause' row is what a test sees, the 'first frame' rows are what a user sees.",
        "Next includes the save (flow.submit writes the store, fsync included) and, on purpose, argon2id "
        "hashing on the account, 2FA-setup and sign-in steps; see details.next.argon2.",
        "The test command is timed only with --with-tests." if not args.with_tests
        else "The test command ran last, alone (nothing else of the bench running).",
        f"Machine: {machine['cpu_model']} x{machine['cpu_count']}, load average at start "
        f"{machine['load_average_at_start']}; other work on the machine shows up in these numbers.",
    ]
    if quick:
        rep.notes.append("--quick: fewer repetitions; the store at 10,000 accounts is a median of 5 "
                         "saves, not 20.")
    payload = {
        "machine": machine,
        "options": {"quick": quick, "with_tests": args.with_tests, "sections": sorted(only),
                    "cold_runs": cold_runs, "store_sizes": sizes,
                    "store_repetitions": {str(k): v for k, v in store_reps.items()}},
        "elapsed_s": round(elapsed, 1),
        "rows": rep.rows,
        "notes": rep.notes,
        "details": rep.details,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(args.out.name + ".tmp")
    tmp_out.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp_out, args.out)

    print()
    print(rep.table())
    print()
    for note in rep.notes:
        print(f"- {note}")
    unmet = [r for r in rep.rows if r["met"] == "no"]
    print(f"\n{len(unmet)} target(s) not met; {elapsed:.0f} s; JSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
