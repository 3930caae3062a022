"""The headless runner: an answers file through the very same :class:`OnboardingFlow` (and
:class:`Approvals`) the screens use, one printed line per step, never a secret.

- :func:`app.run.command` is ``iqies-onboard run --answers FILE [--interactive]``: it checks the whole file
  first (every mistake as ``FILE: field.path: message``, exit 2, nothing stored), then runs it,
  and exits 0 when the run ends where the file's ``expect`` says, 1 otherwise (with the reason).
- :func:`advance` fills one person's flow up to a step: the demo mode's "jump to step 9" reuses
  it with a persona (:func:`wizard.answers.personas`).

Codes come from where a person would read them: text and voice codes from the sandbox phone
(``flow.messages()``), authenticator codes computed from the secret (:func:`wizard.otp.totp_code`):
the secret the file names, else the one the sandbox made.
"""

from __future__ import annotations

import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from wizard.answers import (
    AdvanceClockAction,
    AnswersFile,
    AnswersFileError,
    ApproveAction,
    RemovePsoAction,
    RemoveRoleAction,
    RunAction,
    account_form,
    load,
)
from wizard.approvals import CMS_REVIEWER, ApprovalError, Approvals, Reviewer
from wizard.flow import OnboardingFlow
from wizard.records import Status, same_user
from wizard.sanitize import clean_line
from wizard.steps import LeftOpen, Step
from wizard.store import DataDirError, Store
from wizard.walk import AnswersWalk, RunEnd, advance, latest_request, title  # noqa: F401  (run's API)

PROG = "iqies-onboard"
Out = Callable[[str], None]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# --- a whole file ------------------------------------------------------------------------------


def _matches(end: RunEnd, answers: AnswersFile) -> bool:
    if answers.expect in ("submitted", "approved", "removed"):
        return end.end == "submitted"
    if answers.expect != "refused":
        return end.end == answers.expect
    spec = answers.refusal
    if end.end != "refused" or spec is None or end.step.key != spec.step:
        return False
    if spec.field and spec.field not in end.fields:
        return False
    return not spec.says or " ".join(spec.says.split()).casefold() in " ".join(end.message.split()).casefold()


def _describe(end: RunEnd) -> str:
    what = {"submitted": "the request was submitted", "manual_proofing": "HARP sent the person to manual proofing",
            "locked": "the device locked after wrong codes", "refused": "the wizard refused",
            "open": "the file left the step open", "failed": "the run could not go on",
            "until": "the run stopped"}[end.end]
    return f"{what} at {title(end.step)}" + (f": {end.message}" if end.message and end.end != "submitted" else "")


class ScenarioRun:
    """Runs a checked :class:`AnswersFile` on a store: its people, then its actions."""

    def __init__(self, answers: AnswersFile, store: Store, *, out: Out, clock: Callable[[], datetime] = utc_now,
                 randbelow: Callable[[int], int] = secrets.randbelow, practice_account: str | None = None) -> None:
        self.answers = answers
        self.store = store
        self.out = out
        self.clock = clock
        self.randbelow = randbelow
        self.approvals = Approvals(store, clock)
        self.persons = answers.persons()
        self.multi = bool(answers.people)
        single = practice_account or self.persons[0].practice_account_name or store.practice_account
        self.names = [p.practice_account_name or single for p in self.persons] if self.multi else [single]
        self.stores: dict[str, Store] = {}
        self.flows: dict[str, OnboardingFlow] = {}
        self.ends: dict[str, RunEnd] = {}
        self.opening: Step | None = None  # --interactive: where the wizard opens
        self.raw: Any = None  # the file as read (drafts for the page that opens)

    def store_for(self, name: str) -> Store:
        if name not in self.stores:
            self.stores[name] = self.store if name == self.store.practice_account else self.store.sibling(name)
        return self.stores[name]

    def flow_for(self, name: str) -> OnboardingFlow:
        if name not in self.flows:
            store = self.store_for(name)
            shared_notice = store.notice if store is self.store else None
            self.flows[name] = OnboardingFlow(store, clock=self.clock, randbelow=self.randbelow)
            if store.notice and store.notice != getattr(self, "_told", None):
                # what the wizard shows on opening: a file kept aside, a secret that was lost
                who = f"{name}: " if self.multi else ""
                self.out(clean_line(f"{who}{store.notice}"))
                self._told = store.notice if store.notice == shared_notice else None
        return self.flows[name]

    def preflight(self) -> list[tuple[str, str]]:
        """What the data directory refuses before anything is written: (path, message)."""
        problems = []
        for index, (name, person) in enumerate(zip(self.names, self.persons)):
            where = f"people.{index + 1}.account" if self.multi else "account"
            if person.account is None:
                continue
            flow = self.flow_for(name)
            stored = flow.record.user_id
            if stored is None:
                errors = flow.validate(Step.ACCOUNT, {**account_form(person.account.model_dump())})
                if "user_id" in errors and "taken" in errors["user_id"]:
                    problems.append((f"{where}.user_id", errors["user_id"]))
            elif not same_user(stored, person.account.user_id.strip()):
                problems.append((f"{where}.user_id", f"the practice account {name} already holds another HARP "
                                 "account; run with another --practice-account (or practice_account), or reset that practice account."))
        return problems

    def claim(self) -> None:
        for name in self.names:
            self.store_for(name).claim_wizard()

    def release(self) -> None:
        for store in self.stores.values():
            store.release_wizard()

    def run_person(self, index: int) -> RunEnd:
        name, person = self.names[index], self.persons[index]
        end = advance(self.flow_for(name), person, out=self.out, prefix=f"{name}: " if self.multi else "")
        self.ends[name] = end
        return end

    def run(self) -> int:
        """0 when the run ends where the file expects, 1 otherwise (the reason printed)."""
        answers = self.answers
        last = len(self.persons) - 1
        later = {a.run.casefold() for a in answers.then if isinstance(a, RunAction)}
        for index, name in enumerate(self.names):
            if name.casefold() not in later:
                failure = self.check_person(index)
                if failure is not None:
                    return failure
        for number, action in enumerate(answers.then, 1):
            head = f"then {number}/{len(answers.then)}"
            if isinstance(action, RunAction):
                index = next(i for i, n in enumerate(self.names) if n.casefold() == action.run.casefold())
                self.out(clean_line(f"{head}: run {self.names[index]}"))
                failure = self.check_person(index)
                if failure is not None:
                    return failure
                continue
            try:
                lines = self.act(action)
            except ApprovalError as err:
                self.out(clean_line(f"{head}: refused: {err}"))
                return self.finish(False, f"action {number} was refused: {err}")
            for i, line in enumerate(lines):
                self.out(clean_line(f"{head}: {line}" if i == 0 else f"    {line}"))
        if answers.expect in ("approved", "removed"):
            flow = self.flow_for(self.names[last])
            request = latest_request(flow)
            statuses = [o.status for o in request.organizations] if request is not None else []
            if not statuses or any(s != answers.expect for s in statuses):
                shown = ", ".join(str(s) for s in statuses) or "no request"
                return self.finish(False, f"expected the request of {self.names[last]} {answers.expect}; it is {shown}")
        return self.finish(True, answers.expect)

    def check_person(self, index: int) -> int | None:
        end = self.run_person(index)
        last = index == len(self.persons) - 1
        if last and _matches(end, self.answers):
            return None
        if not last and end.end == "submitted":
            return None
        expected = self.answers.expect if last else "submitted"
        who = f"{self.names[index]}: " if self.multi else ""
        return self.finish(False, f"{who}expected {expected}, but {_describe(end)}")

    def finish(self, ok: bool, text: str) -> int:
        if ok:
            self.out(clean_line(f"Result: reached the expected end: {text}."))
            return 0
        self.out(clean_line(f"Result: stopped: {text}"))
        return 1

    # --- approver actions, through Approvals --------------------------------------------------------

    def person_flow(self, practice_account: str) -> OnboardingFlow:
        name = next((n for n in self.names if n.casefold() == practice_account.casefold()), None)
        if name is None or name not in self.ends:
            raise ApprovalError(f"{practice_account} has not run yet (list them before this action).")
        return self.flow_for(name)

    def reviewer(self, actor: str) -> Reviewer:
        if actor.strip().casefold() == "cms":
            return CMS_REVIEWER
        flow = next((f for f in self.flows.values()
                     if same_user(f.record.user_id, actor.strip())), None)
        if flow is None or flow.record.user_id is None:
            raise ApprovalError(f"{actor} has no HARP account in this run.")
        if not self.approvals.providers_of_pso(flow.record.user_id):
            raise ApprovalError(f"{actor} is not an active Provider Security Official of any provider, so "
                                "there is nothing for them to approve (CMS approves a provider's first PSO).")
        profile = flow.profile
        return Reviewer("pso", profile.display_name if profile else actor,
                        profile.email if profile else "", flow.record.user_id)

    def act(self, action: Any) -> list[str]:
        from wizard import self_service_run  # HARP self-service (forgot password, account page)

        if self_service_run.is_self_service(action):
            return self_service_run.act(self, action)
        if isinstance(action, AdvanceClockAction):
            done = self.approvals.advance_clock(action.advance_clock)
            return [f"advance_clock: the sandbox clock moved {action.advance_clock} day(s) forward",
                    *(str(line) for line in done)]
        if isinstance(action, RemovePsoAction):
            flow = self.person_flow(action.remove_pso.person)
            uid = flow.record.user_id or ""
            ccns = [action.remove_pso.ccn] if action.remove_pso.ccn else self.approvals.providers_of_pso(uid)
            if not ccns:
                raise ApprovalError(f"{action.remove_pso.person} is not an active PSO of any provider.")
            return ["remove_pso: " + str(self.approvals.remove_pso(CMS_REVIEWER, ccn.strip(), uid)) for ccn in ccns]
        if isinstance(action, RemoveRoleAction):
            return self.remove_role(action)
        approve = isinstance(action, ApproveAction)
        decision = action.approve if approve else action.reject
        reviewer = self.reviewer(decision.as_)
        flow = self.person_flow(decision.person)
        request = latest_request(flow)
        if request is None:
            raise ApprovalError(f"{decision.person} has no submitted request to decide.")
        orgs = [o for o in request.organizations
                if o.status == Status.PENDING and (not decision.ccn or o.ccn == decision.ccn.strip())]
        if not orgs:
            raise ApprovalError(f"{decision.person}'s request has nothing pending"
                                + (f" for CCN {decision.ccn}." if decision.ccn else "."))
        reason = "" if approve else action.reject.reason
        kind = "approve" if approve else "reject"
        return [f"{kind} as {reviewer.user_id or 'cms'}: "
                + str(self.approvals.decide(reviewer, request.id, o.ccn, approve, reason)) for o in orgs]

    def remove_role(self, action: RemoveRoleAction) -> list[str]:
        """A PSO of this file removes a person's active role (Manage access), with the reason."""
        removal = action.remove_role
        reviewer = self.reviewer(removal.as_)
        request = latest_request(self.person_flow(removal.person))
        if request is None:
            raise ApprovalError(f"{removal.person} has no submitted request.")
        orgs = [o for o in request.organizations
                if o.status == "approved" and (not removal.ccn or o.ccn == removal.ccn.strip())]
        if not orgs:
            raise ApprovalError(f"{removal.person} has no active role to remove"
                                + (f" at CCN {removal.ccn}." if removal.ccn else "."))
        return [f"remove_role as {reviewer.user_id}: "
                + str(self.approvals.remove_role(reviewer, request.id, o.ccn, removal.reason)) for o in orgs]


# --- the command ---------------------------------------------------------------------------------


def _fail_lines(source: str, lines: list[str], err: Any) -> int:
    for line in lines:
        print(clean_line(line), file=err)
    return 2


def _drafts(flow: OnboardingFlow, raw: Any, step: Step) -> None:
    """What the file says for the page that opens, as if typed (save_draft keeps no secret;
    a confirmation the page asks for is the person's to give on screen): the step's own
    ``draft_from_answers`` if it has one, else its ``form_from`` kept as a draft."""
    sections = raw if isinstance(raw, dict) else {}
    if step.draft_from_answers is not None:  # what its page starts with is its own
        try:
            step.draft_from_answers(flow, sections)
        except LeftOpen:
            pass
        return
    if step.section is None or not isinstance(sections.get(step.section), dict):
        return
    try:
        form = step.form_from(sections, flow, "draft")
    except LeftOpen:
        return
    flow.save_draft(step, {k: v for k, v in form.items() if k in {f.name for f in step.fields}})


def prepare(path: Path, *, data_dir: Path, practice_account: str | None = None, default_practice_account: str = "default",
            smtp: Any = None, interactive: bool = False, out: Out = print, err: Any = None,
            clock: Callable[[], datetime] = utc_now) -> tuple[int, ScenarioRun | None]:
    """Check the file, open the store, check it against the data directory: (exit code, run).
    Nothing is written when the exit code is not 0 (the data directory is not even created
    when the file has mistakes). ``practice_account`` is an explicit --practice-account: it names a one-person
    file's practice account (else the file's practice_account, else ``default_practice_account``); a file with
    people names its own."""
    err = err or sys.stderr
    source = str(path)
    try:
        checked = load(Path(path), clock().date(), interactive=interactive)
    except AnswersFileError as problem:
        return _fail_lines(source, [f"{source}: {problem}"], err), None
    if not checked.ok:
        lines = [e.line(source) for e in checked.errors]
        count = len(checked.errors)
        lines.append(f"{PROG}: {count} mistake{'s' if count != 1 else ''} in {source}; nothing was run or stored.")
        return _fail_lines(source, lines, err), None
    answers = checked.answers
    assert answers is not None
    if answers.people:
        practice_account = None
    first = practice_account or answers.persons()[0].practice_account_name or default_practice_account
    try:
        store = Store(data_dir, practice_account=first, smtp=smtp)
    except DataDirError as problem:
        return _fail_lines(source, [f"{PROG}: error: {problem}"], err), None
    scenario = ScenarioRun(answers, store, out=out, clock=clock, practice_account=first)
    scenario.opening = checked.opening
    scenario.raw = checked.raw
    try:
        problems = scenario.preflight()
    except Exception as problem:  # a damaged data directory, say: never a traceback
        from wizard.log import log_error

        ref = log_error("run", problem)
        return _fail_lines(source, [f"{PROG}: stopped after an unexpected error (reference {ref}) while "
                                    f"checking {source} against the data directory; nothing was run or stored."], err), None
    if problems:
        lines = [f"{source}: {where}: {message}" for where, message in problems]
        lines.append(f"{PROG}: {len(problems)} mistake(s) in {source}; nothing was run or stored.")
        return _fail_lines(source, lines, err), None
    try:
        scenario.claim()
    except DataDirError as problem:
        scenario.release()
        return _fail_lines(source, [f"{PROG}: error: {problem}"], err), None
    return 0, scenario


def _raw_person(scenario: ScenarioRun) -> Any:
    return scenario.raw if not (isinstance(scenario.raw, dict) and scenario.raw.get("people")) else None


def run_to_opening(scenario: ScenarioRun) -> OnboardingFlow:
    """``run --interactive``'s domain half: run the one person up to the first step the file
    leaves open and put what the file says for that step on the page; the flow the wizard
    opens on (``app.run.interactive_app``)."""
    person = scenario.persons[0]
    flow = scenario.flow_for(scenario.names[0])
    opening = scenario.opening or Step.AWAIT_APPROVAL
    end = advance(flow, person, until=opening, out=scenario.out)
    if end.end == "until":
        _drafts(flow, _raw_person(scenario), flow.current_step)
        scenario.out(clean_line(f"Opening the wizard at {title(flow.current_step)}."))
    else:
        scenario.out(clean_line(f"Opening the wizard where the run stopped: {title(flow.current_step)}."))
    return flow
