"""Trainer mode (``iqies-onboard demo``): personas, the scenario library, jump to any step, reset.

Demo data lives in its own data directory, ``<data dir>/demo`` (0700), so a demo never mixes with
a real user's practice account or requests; the approver console opens on it with ``approve --demo``.
Each persona of ``data/personas.json`` is a practice account of that directory, named by its key.

A scenario is a persona the trainer plays plus a script: the people and approver actions that
happen *before* (its setup, run headlessly through :class:`wizard.runner.ScenarioRun`, the same
flow and rules as the screens), and what the trainer shows at each step, in the wizard and in
the approver console. This module is the domain side; the screens are in ``screens/demo.py``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from wizard.answers import (
    AnswersFile,
    AnswersFileError,
    Persona,
    PersonAnswers,
    personas,
)
from wizard.resources import data_path
from wizard.sanitize import clean_line
from wizard.steps import Step
from wizard.store import DataDirError, Store, prepare_data_dir
from wizard.trainer import (  # noqa: F401  (trainer mode's page filling and jumps)
    JumpResult,
    PageFill,
    app_code,
    configure_flow,
    jump,
    page_fill,
    phone_code,
    skipped_actions,
)

PROG = "iqies-onboard"
DEMO_DIR_NAME = "demo"
STATE_NAME = "demo-state.json"
NOTES_PATH = data_path("presenter_notes.json")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    from datetime import timezone

    return datetime.now(timezone.utc)


class DemoChoiceError(Exception):
    """An unknown or inconsistent --persona / --scenario; ``str(err)`` is one line."""


# --- the scenario library -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    key: str  # what --scenario names (the same name as its answers file in examples/)
    title: str
    persona: str  # the persona the trainer plays
    summary: str
    setup_people: tuple[str, ...] = ()  # personas who submit a request before the trainer starts
    setup_actions: tuple[dict[str, Any], ...] = ()  # then: actions of an answers file, in order
    setup_summary: str = ""  # what the setup did, in one sentence for the trainer
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # persona sections changed
    script: dict[Step, str] = field(default_factory=dict)  # what to show at each step
    ends: str = ""  # how the scenario ends
    # trainer actions the scenario needs done in the console before a step: (step, CCN whose
    # PSOs must all be removed, what to tell the trainer); a jump past that step without it warns
    required_removals: tuple[tuple[Step, str, str], ...] = ()

    @property
    def example(self) -> str:
        return f"examples/{self.key}.yaml"


_CONSOLE = "In the approver console ({console})"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="happy-path",
        title="Happy path: the first PSO of a nursing home",
        persona="maria",
        summary="Maria Lopez, Director of Nursing, becomes the first PSO of her nursing home. "
        "CMS approves her, because the provider has no PSO yet.",
        script={
            Step.PROFILE: "Every page is filled from the persona; talk through it, then press Next.",
            Step.TWO_FACTOR_VERIFY: "Press F2 to show the simulated phone and the code in it.",
            Step.REVIEW: "'Will be approved by: CMS': a provider's first PSO is approved by CMS.",
            Step.AWAIT_APPROVAL: _CONSOLE + ": Sign in as the CMS reviewer, open Maria's request "
            "(Enter), press a to approve. Within 2 seconds Pending Requests here shows it Active.",
        },
        ends="Maria's PSO role is active.",
    ),
    Scenario(
        key="proofing-fails-manual",
        title="Identity proofing fails twice: manual proofing",
        persona="robert",
        summary="Robert Chen answers the identity-proofing questions wrongly twice; HARP sends him "
        "to manual identity proofing.",
        script={
            Step.PROOFING: "The answers are filled in wrongly on purpose. Next: 1 attempt left, new "
            "questions (wrong again). Next: HARP sends Robert to manual proofing; explain whom to "
            "call, then Continue as if it had succeeded.",
        },
        ends="Robert is at manual identity proofing (Continue carries on as if it succeeded).",
    ),
    Scenario(
        key="wrong-codes-lockout",
        title="Wrong security codes until the device locks",
        persona="aisha",
        summary="Aisha Grant sets up Google Authenticator and mistypes her code until the device locks.",
        overrides={"two_factor": {"codes": ["wrong"] * 5}},
        script={
            Step.TWO_FACTOR_SETUP: "Google Authenticator: no phone number, no Send Code.",
            Step.TWO_FACTOR_VERIFY: "A wrong code is filled in. Press Submit five times: each refusal "
            "says how many tries are left; the fifth locks the device for a while. Resending would "
            "not reset the count. Reset the demo (F8) to show it again.",
        },
        ends="Aisha's device is locked after 5 wrong codes.",
    ),
    Scenario(
        key="vendor-asks-for-pso",
        title="A vendor asks to be PSO",
        persona="pat",
        summary="Pat Quinn works for a vendor and asks for the PSO role: refused, and told to ask "
        "for PBJ Submitter instead.",
        script={
            Step.ROLE: "Pat is a vendor and PSO is chosen: press Next. The refusal names the role "
            "to ask for. Choose PBJ Submitter, Next.",
            Step.AWAIT_APPROVAL: "A vendor's request is approved by that facility's PSO, not by CMS.",
        },
        ends="Pat's PBJ Submitter request waits for the facility's PSO.",
    ),
    Scenario(
        key="second-pso",
        title="A second PSO approved by the first",
        persona="tom",
        summary="Grace Park is already the PSO of Santa Fe Care Center. Tom Reyes asks for PSO "
        "too, and Grace approves him.",
        setup_people=("grace",),
        setup_actions=({"approve": {"as": "cms", "person": "grace"}},),
        setup_summary="Grace Park (gpark.practice) asked for PSO of Santa Fe Care Center and CMS approved her.",
        script={
            Step.ORGANIZATIONS: "Tom searches by Facility ID this time: the same provider.",
            Step.REVIEW: "'Will be approved by' names the provider's PSO: CMS only approves the first.",
            Step.AWAIT_APPROVAL: _CONSOLE + ": sign in as Grace (User ID gpark.practice; her practice "
            "password is in data/personas.json, persona grace; Send code, F2 shows her phone). Open "
            "Tom's request, press a. Pending Requests here shows it Active.",
        },
        ends="Tom's PSO role is active, approved by Grace.",
    ),
    Scenario(
        key="only-pso-left",
        title="The only PSO has left",
        persona="luis",
        summary="Ellen Brooks, the only PSO of Coosa Valley Healthcare Center, has left. CMS (for "
        "the iQIES Service Center) removes her, and approves Luis Moreno as the new PSO.",
        setup_people=("ellen",),
        setup_actions=({"approve": {"as": "cms", "person": "ellen"}}, {"advance_clock": 30}),
        setup_summary="Ellen Brooks became the only PSO of Coosa Valley Healthcare Center (CCN "
        "015010), approved by CMS; the sandbox clock then moved 30 days on.",
        script={
            Step.PROFILE: "Open the approver console beside the wizard: {console}. Sign in as the CMS "
            "reviewer, press p, CCN 015010: Ellen is the only PSO. Luis has no SSN for HARP.",
            Step.PROOFING: "No SSN, so HARP sends Luis to manual identity proofing: explain whom to "
            "call, then Continue.",
            Step.WELCOME: "While Ellen is listed, nobody at the provider can approve anything.",
            Step.ORGANIZATIONS: _CONSOLE + ": as the CMS reviewer, p, CCN 015010, Remove Ellen "
            "Brooks (standing in for the iQIES Service Center, who act when the provider asks).",
            Step.REVIEW: "'Will be approved by: CMS': the provider has no PSO any more. (Says "
            "'this provider's Provider Security Officials'? Ellen is still listed: remove her in "
            "the console, then Back and Next.)",
            Step.AWAIT_APPROVAL: _CONSOLE + ": as the CMS reviewer, open Luis's request (Enter), "
            "press a. Within 2 seconds Pending Requests here shows it Active.",
        },
        ends="Luis's PSO role is active, approved by CMS.",
        required_removals=((
            Step.REVIEW, "015010",
            "Ellen Brooks is still the PSO of CCN 015010: the scenario removes her in the approver "
            "console before Luis submits (as the CMS reviewer: p, CCN 015010, Remove). Jumping on "
            "without it sends Luis's request to Ellen, not to CMS.",
        ),),
    ),
    Scenario(
        key="employee-left",
        title="An employee left: the PSO removes their role",
        persona="sam",
        summary="Sam Ortiz asks for PBJ Submitter at Eastview and Nadia Hale, the PSO, approves it. "
        "When Sam leaves, Nadia removes his role in Manage access: no call to CMS needed.",
        setup_people=("nadia",),
        setup_actions=({"approve": {"as": "cms", "person": "nadia"}},),
        setup_summary="Nadia Hale (nhale.practice) asked for PSO of Eastview Rehabilitation & "
        "Healthcare Center (CCN 015014) and CMS approved her.",
        script={
            Step.PROFILE: "Open the approver console beside the wizard: {console}. Sam asks for PBJ "
            "Submitter, not PSO: his provider's PSO decides it, not CMS.",
            Step.ROLE: "PBJ Submitter is filled in: a role for the person who sends staffing data.",
            Step.REVIEW: "'Will be approved by' names the provider's Provider Security Officials.",
            Step.AWAIT_APPROVAL: _CONSOLE + ": sign in as Nadia (User ID nhale.practice; her practice "
            "password is in data/personas.json, persona nadia; Send code, F2 shows her phone). Open "
            "Sam's request, press a: Active here within 2 seconds. Then say Sam has left: in the "
            "console press Escape, m (Manage access), select Sam, Enter, type a reason (Left the "
            "provider), Enter. Pending Requests here shows the role Removed with the reason; F2 "
            "shows Sam's email. Try Nadia's own row too: the last PSO cannot remove herself.",
        },
        ends="Sam's PBJ Submitter role is removed by Nadia; Pending Requests shows Removed.",
    ),
    Scenario(
        key="forgot-password",
        title="Forgot password: HARP self-service",
        persona="maria",
        summary="Maria Lopez is already the PSO of her nursing home, and has forgotten her password. "
        "She recovers her User ID by email and resets the password with her challenge answer and a code.",
        setup_people=("maria",),
        setup_actions=({"approve": {"as": "cms", "person": "maria"}},),
        setup_summary="Maria Lopez (mlopez.practice) set up HARP, asked for PSO of The Chateau at "
        "Mountain Crest and CMS approved her. Now she is back at the iQIES sign-in page.",
        script={
            Step.IQIES_SIGN_IN: "Maria forgot her password. Press Ctrl+F. Forgot User ID: type "
            "maria.lopez@example.org, Email my User ID; F2 shows the email (the page never shows the "
            "User ID). Forgot password: User ID mlopez.practice, Send code, a wrong answer first (the "
            "refusal does not say which part was wrong), then her answer (tomato soup), the code from "
            "F2 and a new password twice. Esc, then sign in with the new password.",
            Step.AWAIT_APPROVAL: "Ctrl+T (or the menu by her name, My HARP account): change the "
            "password, the challenge question, add a second device (HARP suggests one). Each change "
            "sends an email (F2).",
        },
        ends="Maria signed in with her new password; her HARP account has a second device.",
    ),
)


def scenarios() -> dict[str, Scenario]:
    return {s.key: s for s in SCENARIOS}


def _one_of(names: list[str]) -> str:
    return ", ".join(names)


def resolve(persona: str | None, scenario: str | None) -> tuple[Persona, Scenario | None]:
    """The persona and scenario a command line names, or :class:`DemoChoiceError` (one line)."""
    people = personas()
    library = scenarios()
    chosen: Scenario | None = None
    if scenario is not None:
        chosen = library.get(scenario.strip().casefold())
        if chosen is None:
            raise DemoChoiceError(f"unknown scenario {clean_line(scenario)!r}; choose one of: {_one_of(list(library))}")
    if persona is not None:
        key = persona.strip().casefold()
        if key not in people:
            raise DemoChoiceError(f"unknown persona {clean_line(persona)!r}; choose one of: {_one_of(list(people))}")
        if chosen is not None and chosen.persona != key:
            raise DemoChoiceError(f"the scenario {chosen.key} is played as {chosen.persona}, not {key}; "
                                  "leave out --persona (or pick another scenario)")
        return people[key], chosen
    if chosen is None:
        raise DemoChoiceError("name a --persona or a --scenario")
    return people[chosen.persona], chosen


# --- the demo data directory ---------------------------------------------------------------------


def demo_data_dir(data_dir: Path) -> Path:
    """``<data dir>/demo``, created 0700 (and its parent): never the real practice accounts' database."""
    parent = prepare_data_dir(Path(data_dir))
    return prepare_data_dir(parent / DEMO_DIR_NAME)


@dataclass
class DemoSession:
    """What is being shown: the persona the trainer plays, in a scenario or on its own."""

    persona: Persona
    scenario: Scenario | None = None
    console_command: str = f"{PROG} approve --demo"
    setup_lines: list[str] = field(default_factory=list)

    @property
    def practice_account(self) -> str:
        return self.persona.key

    @property
    def name(self) -> str:
        p = self.persona.profile
        return f"{p.first_name} {p.last_name}" if p else self.persona.key

    @property
    def title(self) -> str:
        return self.scenario.title if self.scenario else f"Persona {self.persona.key}"

    @property
    def answers(self) -> PersonAnswers:
        """The persona's answers as this scenario plays them (wrong codes, for one)."""
        base = self.persona.answers()
        if not self.scenario or not self.scenario.overrides:
            return base
        changed = {}
        for section, values in self.scenario.overrides.items():
            current = getattr(base, section)
            changed[section] = current.model_copy(update=values) if current is not None else values
        return base.model_copy(update=changed)

    @property
    def jump_answers(self) -> PersonAnswers:
        """For jumping ahead: the persona's own answers (a jump past a lockout must get through)."""
        return self.persona.answers()

    def script(self, step: Step, store: Store | None = None) -> str:
        """What to show at ``step``; with ``store``, as things really are: a required trainer
        action that was skipped (a jump past Ellen's removal) changes what comes next."""
        if not self.scenario:
            return ""
        text = self.scenario.script.get(step, "")
        if store is not None:
            for due, ccn, _ in self.scenario.required_removals:
                if step >= due and store.provider_has_active_pso(ccn):
                    text = self.skipped_script(step, ccn)
        return text.replace("{console}", self.console_command)

    def skipped_script(self, step: Step, ccn: str) -> str:
        """The script when the provider still has its PSO past the point it should be removed."""
        if step == Step.AWAIT_APPROVAL:
            return (
                _CONSOLE + f": the provider's PSO was not removed, so this request waits for that "
                f"PSO and CMS sees nothing yet ('Nothing waits for you'). As the CMS reviewer: p, "
                f"CCN {ccn}, Remove the PSO; the request then goes to CMS: open it (Enter), press a."
            )
        return (
            f"The provider (CCN {ccn}) still has its PSO: 'Will be approved by' names the PSOs, "
            f"not CMS. Remove the PSO in the console first ({{console}}: as the CMS reviewer, p, "
            f"CCN {ccn}, Remove), then Back and Next here."
        )

    def state(self) -> dict[str, Any]:
        return {"persona": self.persona.key, "scenario": self.scenario.key if self.scenario else None}


def _read_state(store: Store) -> dict[str, Any] | None:
    try:
        data = json.loads((store.data_dir / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(store: Store, state: dict[str, Any]) -> None:
    path = store.data_dir / STATE_NAME
    tmp = path.with_name(f".{STATE_NAME}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


def wipe(store: Store) -> None:
    """Empty the demo directory's practice data in place (every practice account's account, outbox and
    requests, the sandbox clock, the Maildir), keeping its key, so an approver console open on
    it carries on, now showing an empty sandbox. Only the store's public operations are used."""
    if store.data_dir.name != DEMO_DIR_NAME:  # a guard: this must never empty a real directory
        raise DataDirError(f"{store.data_dir} is not a demo directory; nothing was reset")
    names = {name for name, _ in store.accounts()} | {store.practice_account}
    for name in sorted(names):
        (store if name == store.practice_account else store.sibling(name)).reset()
    store.set_clock_offset_days(0)
    mail = store.data_dir / "mail"
    for sub in ("new", "cur", "tmp"):
        folder = mail / sub
        if folder.is_dir():
            for message in folder.iterdir():
                if message.is_file():
                    message.unlink(missing_ok=True)


def run_setup(store: Store, scenario: Scenario, *, clock: Clock = utc_now,
              randbelow: Callable[[int], int] = secrets.randbelow) -> list[str]:
    """What happens before the trainer's persona starts, through the headless runner: one line
    per step (never a secret). Raises :class:`DemoChoiceError` if it does not end as planned."""
    if not scenario.setup_people:
        return []
    from wizard.runner import ScenarioRun

    people = personas()
    answers = AnswersFile.model_validate({
        "expect": "approved" if any("approve" in a for a in scenario.setup_actions) else "submitted",
        "people": [people[key].answers() for key in scenario.setup_people],
        "then": list(scenario.setup_actions),
    })
    lines: list[str] = []
    run = ScenarioRun(answers, store, out=lines.append, clock=clock, randbelow=randbelow)
    if run.run() != 0:
        raise DemoChoiceError(f"the setup of {scenario.key} stopped: {lines[-1] if lines else 'no output'}")
    return lines


def start(store: Store, session: DemoSession, *, clock: Clock = utc_now,
          randbelow: Callable[[int], int] = secrets.randbelow, fresh: bool = False) -> bool:
    """Resume the same demo where it stopped, else start it afresh (empty the demo directory,
    run the scenario's setup). True when it started afresh."""
    if not fresh and _read_state(store) == session.state() and store.load_account() is not None:
        return False
    wipe(store)
    session.setup_lines = run_setup(store, session.scenario, clock=clock, randbelow=randbelow) \
        if session.scenario else []
    _write_state(store, session.state())
    return True


# --- presenter notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepNotes:
    real_page: str
    mistakes: tuple[str, ...]
    tips: tuple[str, ...]


def _step_notes(value: Any) -> StepNotes:
    return StepNotes(str(value["real_page"]), tuple(map(str, value["mistakes"])), tuple(map(str, value["tips"])))


@lru_cache(maxsize=1)
def _notes() -> dict[str, StepNotes]:
    """Per step key; a scenario's own notes for a step (``scenarios`` in the file, for what the
    step's usual notes do not cover, such as Manage access) under "SCENARIO:STEP"."""
    try:
        raw = json.loads(NOTES_PATH.read_text(encoding="utf-8"))
        out = {key: _step_notes(value) for key, value in raw["steps"].items()}
        for scenario, steps in (raw.get("scenarios") or {}).items():
            out.update({f"{scenario}:{key}": _step_notes(value) for key, value in steps.items()})
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnswersFileError(f"{NOTES_PATH.name} cannot be used: {' '.join(str(err).split())[:200]}") from None


def presenter_notes(step: Step, *, manual_proofing: bool = False, scenario: str | None = None) -> StepNotes:
    """The notes for ``step``; on identity proofing sent to manual proofing, that page's own; in
    ``scenario``, its own notes for the step if it has them."""
    notes = _notes()
    if scenario and f"{scenario}:{step.key}" in notes:
        return notes[f"{scenario}:{step.key}"]
    if step == Step.PROOFING and manual_proofing and "proofing_manual" in notes:
        return notes["proofing_manual"]
    return notes.get(step.key, StepNotes("", (), ()))
