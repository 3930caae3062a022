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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from wizard import otp
from wizard.answers import (
    AdvanceClockAction,
    AnswersFile,
    AnswersFileError,
    ApproveAction,
    PersonAnswers,
    RemovePsoAction,
    RunAction,
    account_form,
    load,
    profile_form,
    two_factor_form,
)
from wizard.approvals import CMS_REVIEWER, ApprovalError, Approvals, Reviewer, org_label
from wizard.flow import OnboardingFlow, StepOutcome
from wizard.models import DEVICE_TYPES, PHONE_DEVICES
from wizard.sanitize import clean_line
from wizard.steps import Step
from wizard.records import RoleRequest
from wizard.store import DataDirError, Store

PROG = "iqies-onboard"
TOTAL = len(Step.ordered())
Out = Callable[[str], None]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunEnd:
    """Where one person's run stopped: ``submitted``, ``manual_proofing``, ``locked``,
    ``refused``, ``until`` (the step asked for), ``open`` (the file says no more) or ``failed``."""

    end: str
    step: Step
    message: str = ""
    fields: tuple[str, ...] = ()


def _title(step: Step) -> str:
    return f"{step.number}/{TOTAL} {step.info.real_page}"


class _Driver:
    """Drives one person's flow step by step from their answers."""

    def __init__(self, flow: OnboardingFlow, person: PersonAnswers, out: Out, prefix: str) -> None:
        self.flow = flow
        self.person = person
        self.out = out
        self.prefix = prefix
        self.code_index = 0
        self.code_fresh = False  # a text/voice code was sent in this run and not used yet

    # --- output ---------------------------------------------------------------------------------

    def say(self, step: Step | None, text: str) -> None:
        head = f"{self.prefix}{_title(step)}: " if step is not None else self.prefix
        self.out(clean_line(head + text))

    def detail(self, text: str) -> None:
        self.out(clean_line(f"{self.prefix}    {text}"))

    # --- the loop -------------------------------------------------------------------------------

    def run(self, until: Step | None) -> RunEnd:
        flow = self.flow
        start = flow.current_step
        for step in Step.ordered():
            if step < start and (until is None or step < until):
                self.say(step, "already done")
        for _ in range(200):  # every step moves on or ends the run; this only guards a bug
            step = flow.current_step
            if until is not None and until <= step:
                return RunEnd("until", step)
            if step == Step.AWAIT_APPROVAL:
                return self._await_approval()
            end = getattr(self, f"_{step.key}")()
            if end is not None:
                return end
            reached = flow.current_step
            for skipped in Step.ordered():
                if step < skipped < reached and (until is None or skipped < until):
                    self.say(skipped, "already done")
        return RunEnd("failed", flow.current_step, "the run did not move on from this step")

    def refused(self, step: Step, outcome: StepOutcome, note: str = "") -> RunEnd:
        self.say(step, "refused" + (f" ({note})" if note else ""))
        for field, message in outcome.errors.items():
            self.detail(f"{outcome.labels.get(field, field)}: {message}")
        if outcome.message and outcome.message not in outcome.errors.values():
            self.detail(outcome.summary if not outcome.errors else outcome.message)
        text = " ".join([*outcome.errors.values(), outcome.message]).strip()
        return RunEnd("refused", step, text, tuple(outcome.errors))

    def open(self, step: Step, why: str) -> RunEnd:
        self.say(step, f"left open: {why}")
        return RunEnd("open", step, why)

    def submit(self, step: Step, form: dict[str, Any], done: str = "ok") -> RunEnd | None:
        outcome = self.flow.submit(step, form)
        if not outcome.ok:
            return self.refused(step, outcome)
        self.say(step, done)
        for warning in outcome.warnings:
            self.detail(f"note: {warning}")
        return None

    # --- HARP -----------------------------------------------------------------------------------

    def _profile(self) -> RunEnd | None:
        section = self.person.profile
        if section is None:
            return self.open(Step.PROFILE, "the file has no profile section")
        return self.submit(Step.PROFILE, profile_form(section.model_dump()))

    def _account(self) -> RunEnd | None:
        section = self.person.account
        if section is None:
            return self.open(Step.ACCOUNT, "the file has no account section")
        return self.submit(Step.ACCOUNT, account_form(section.model_dump()),
                           "ok (User ID confirmed: it can never be changed)")

    def _proofing(self) -> RunEnd | None:
        flow, section = self.flow, self.person.proofing
        if section is None:
            return self.open(Step.PROOFING, "the file has no proofing section")
        if flow.needs_manual_proofing:
            if not section.manual:
                self.say(Step.PROOFING, "manual identity proofing")
                why = ("no SSN for HARP" if flow.profile and flow.profile.ssn_choice == "manual_proofing"
                       else "online identity proofing failed twice")
                return RunEnd("manual_proofing", Step.PROOFING,
                              f"HARP sends this person to manual identity proofing ({why}).")
            outcome = flow.complete_manual_proofing()
            if not outcome.ok:
                return self.refused(Step.PROOFING, outcome)
            self.say(Step.PROOFING, "ok (manual identity proofing; the sandbox carries on as if it succeeded)")
            return None
        attempt = flow.record.proofing_attempts
        if attempt >= len(section.attempts):
            return self.open(Step.PROOFING, f"the file answers {len(section.attempts)} attempt(s); HARP asks again")
        how = section.attempts[attempt]
        questions = flow.proofing_questions()
        answers = [q.correct if how == "correct" else (q.correct + 1) % len(q.options) for q in questions]
        outcome = flow.submit(
            Step.PROOFING, {"answers": answers, "not_a_robot": section.not_a_robot, "attempt": attempt},
        )
        of = f"attempt {attempt + 1} of 2, answered {how}"
        if outcome.ok:
            self.say(Step.PROOFING, f"ok (identity verified, {of}; the account-created email is in the mailbox)")
            return None
        if outcome.errors:
            return self.refused(Step.PROOFING, outcome)
        self.say(Step.PROOFING, f"not verified ({of})")
        return None  # the next pass answers the next attempt, or goes the manual way

    def _two_factor_setup(self) -> RunEnd | None:
        flow, section, account = self.flow, self.person.two_factor, self.person.account
        if section is None:
            return self.open(Step.TWO_FACTOR_SETUP, "the file has no two_factor section")
        if account is None:
            return self.open(Step.TWO_FACTOR_SETUP, "signing in needs the account section (User ID, password)")
        if section.totp_secret is not None and section.device_type in otp.AUTHENTICATOR_DEVICES:
            named = "".join(section.totp_secret.get_secret_value().split()).upper()
            flow.totp_secret_factory = lambda: named
        form = {"user_id": account.user_id, "password": account.password.get_secret_value(),
                **two_factor_form(section.model_dump(), flow.profile)}
        outcome = flow.submit(Step.TWO_FACTOR_SETUP, form)
        if not outcome.ok:
            return self.refused(Step.TWO_FACTOR_SETUP, outcome)
        device = DEVICE_TYPES[section.device_type]
        factor = flow.record.factor
        if section.device_type in PHONE_DEVICES:
            self.code_fresh = True
            from wizard.rules import format_phone

            self.say(Step.TWO_FACTOR_SETUP, f"ok ({device} to {format_phone(factor.phone or '')}; code sent)")
        else:
            whose = "the secret the file names" if section.totp_secret is not None else "the secret the sandbox made"
            self.say(Step.TWO_FACTOR_SETUP, f"ok ({device}, enrolled with {whose})")
        return None

    def _two_factor_verify(self) -> RunEnd | None:
        flow, section = self.flow, self.person.two_factor
        if section is None:
            return self.open(Step.TWO_FACTOR_VERIFY, "the file has no two_factor section")
        factor = flow.record.factor
        if factor is None:  # cannot happen: the flow opens this step only with a factor
            return RunEnd("failed", Step.TWO_FACTOR_VERIFY, "no device is set up")
        locked = flow.factor_service.lock_message(factor)
        if locked:
            self.say(Step.TWO_FACTOR_VERIFY, "locked")
            self.detail(locked)
            return RunEnd("locked", Step.TWO_FACTOR_VERIFY, locked)
        if self.code_index >= len(section.codes):
            return self.open(Step.TWO_FACTOR_VERIFY, f"the file types {len(section.codes)} code(s) and none was accepted")
        if not factor.is_authenticator and not self.code_fresh:
            flow.send_code()  # Send Code again: an earlier run's code may have expired
            self.code_fresh = True
        how = section.codes[self.code_index]
        self.code_index += 1
        code = self.correct_code() if how == "correct" else self.wrong_code()
        if code is None:
            return RunEnd("failed", Step.TWO_FACTOR_VERIFY, self.no_code_reason())
        outcome = flow.submit(Step.TWO_FACTOR_VERIFY, {"code": code})
        which = f"code {self.code_index} of {len(section.codes)}, {how}"
        if outcome.ok:
            self.code_fresh = False
            self.say(Step.TWO_FACTOR_VERIFY, f"ok ({which}, {self.code_source()})")
            return None
        locked = flow.factor_service.lock_message(flow.record.factor)
        if locked:
            self.say(Step.TWO_FACTOR_VERIFY, f"locked ({which})")
            self.detail(locked)
            return RunEnd("locked", Step.TWO_FACTOR_VERIFY, locked)
        if outcome.errors and "code" not in outcome.errors:
            return self.refused(Step.TWO_FACTOR_VERIFY, outcome)
        self.say(Step.TWO_FACTOR_VERIFY, f"code not accepted ({which})")
        return None

    # --- codes, as the person would read them ------------------------------------------------------

    def code_source(self) -> str:
        factor = self.flow.record.factor
        if factor is not None and factor.is_authenticator:
            return "computed from the authenticator secret"
        return "read from the sandbox phone"

    def phone_code(self) -> str | None:
        return self.flow.code_on_phone()

    def correct_code(self) -> str | None:
        factor = self.flow.record.factor
        if factor is not None and factor.is_authenticator:
            return otp.usable_totp_code(factor, self.flow.clock())
        return self.phone_code()

    def no_code_reason(self) -> str:
        factor = self.flow.record.factor
        if factor is not None and factor.is_authenticator:
            return ("this 30-second authenticator code was already used; run again in half a minute "
                    "(each code is accepted once)")
        return "no security code reached the sandbox phone"

    def wrong_code(self) -> str:
        factor = self.flow.record.factor
        avoid: set[str] = set()
        if factor is not None and factor.is_authenticator and factor.totp_secret:
            avoid = {otp.totp_code(factor.totp_secret, self.flow.clock() + timedelta(seconds=otp.TOTP_INTERVAL * k))
                     for k in (-1, 0, 1)}
        else:
            avoid = {self.phone_code() or ""}
        candidate = 0
        while f"{candidate:06d}" in avoid:
            candidate += 1
        return f"{candidate:06d}"

    # --- iQIES ----------------------------------------------------------------------------------

    def _iqies_sign_in(self) -> RunEnd | None:
        flow, account = self.flow, self.person.account
        if account is None:
            return self.open(Step.IQIES_SIGN_IN, "signing in needs the account section (User ID, password)")
        factor = flow.record.factor
        if factor is not None and not factor.is_authenticator:
            flow.send_code()
        code = self.correct_code()
        if code is None:
            return RunEnd("failed", Step.IQIES_SIGN_IN, self.no_code_reason())
        form = {"user_id": account.user_id, "password": account.password.get_secret_value(), "code": code}
        return self.submit(Step.IQIES_SIGN_IN, form, f"ok (signed in with a code {self.code_source()})")

    def _welcome(self) -> RunEnd | None:
        return self.submit(Step.WELCOME, {}, "ok (Request User Role)")

    def _category(self) -> RunEnd | None:
        section = self.person.role
        if section is None:
            return self.open(Step.CATEGORY, "the file has no role section")
        return self.submit(Step.CATEGORY, {"category": section.category}, f"ok ({section.category})")

    def _role(self) -> RunEnd | None:
        section = self.person.role
        if section is None:
            return self.open(Step.ROLE, "the file has no role section")
        from wizard.approvals import role_name

        return self.submit(Step.ROLE, {"relationship": section.relationship, "role": section.role},
                           f"ok ({role_name(section.role)}, {section.relationship})")

    def _organizations(self) -> RunEnd | None:
        flow, wanted = self.flow, self.person.organizations
        if wanted is None:
            return self.open(Step.ORGANIZATIONS, "the file has no organizations section")
        for org in wanted:
            provider, _ = flow.find_organization(org.search_by, org.id)
            if provider is not None and any(o.ccn == provider.ccn for o in flow.record.request.organizations):
                continue  # added in an earlier run
            outcome = flow.add_organization(org.search_by, org.id)
            if not outcome.ok:
                return self.refused(Step.ORGANIZATIONS, outcome, f"Search for {org.id}")
        names = "; ".join(f"{o.name}, {o.city}, {o.state} (CCN {o.ccn})" for o in flow.record.request.organizations)
        return self.submit(Step.ORGANIZATIONS, {}, f"ok ({names})")

    def _review(self) -> RunEnd | None:
        return self.submit(Step.REVIEW, {}, "ok (Role Request Submitted)")

    def _await_approval(self) -> RunEnd:
        request = latest_request(self.flow)
        lines = []
        if request is not None:
            for org in request.get("organizations", []):
                lines.append(f"{org_label(org)}: "
                             f"{self.flow.approvals.status_line(request, org)}")
        self.say(Step.AWAIT_APPROVAL, "request pending" if lines else "no request")
        for line in lines:
            self.detail(line)
        if not lines:
            # the verdict comes from what is stored: no stored request is not a submitted one
            return RunEnd("failed", Step.AWAIT_APPROVAL,
                          "no submitted request is stored (was onboarding.json moved aside or edited?)")
        return RunEnd("submitted", Step.AWAIT_APPROVAL, " ".join(lines))


def latest_request(flow: OnboardingFlow) -> RoleRequest | None:
    """The request this person submitted last, as stored (and sealed); None if there is none."""
    wanted = flow.record.last_submitted_request
    return next((r for r in flow.my_requests() if r.id == wanted), None) if wanted else None


def advance(flow: OnboardingFlow, answers: PersonAnswers, until: Step | None = None, *,
            out: Out | None = None, prefix: str = "") -> RunEnd:
    """Fill ``flow`` with one person's ``answers``, step by step through ``flow.submit``, until the
    flow's current step is ``until`` (or later), or the run ends (submitted, refused, locked,
    manual proofing, or a section the answers leave open). Steps already done are skipped, so a
    saved practice account resumes. ``out`` gets one line per step (no secret ever).

    The demo mode's "jump to step 9" is ``advance(flow, personas()[key].answers(), Step.ROLE)``;
    ``flow.signed_in`` is then True (a session fact), so show the app with this same flow, or set
    ``app.flow.signed_in`` from it. For an authenticator device with a ``totp_secret``, this sets
    ``flow.totp_secret_factory`` to return that secret."""
    return _Driver(flow, answers, out or (lambda line: None), prefix).run(until)


# --- a whole file ------------------------------------------------------------------------------


def _matches(end: RunEnd, answers: AnswersFile) -> bool:
    if answers.expect in ("submitted", "approved"):
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
    return f"{what} at {_title(end.step)}" + (f": {end.message}" if end.message and end.end != "submitted" else "")


class ScenarioRun:
    """Runs a checked :class:`AnswersFile` on a store: its people, then its actions."""

    def __init__(self, answers: AnswersFile, store: Store, *, out: Out, clock: Callable[[], datetime] = utc_now,
                 randbelow: Callable[[int], int] = secrets.randbelow, profile: str | None = None) -> None:
        self.answers = answers
        self.store = store
        self.out = out
        self.clock = clock
        self.randbelow = randbelow
        self.approvals = Approvals(store, clock)
        self.persons = answers.persons()
        self.multi = bool(answers.people)
        single = profile or self.persons[0].profile_name or store.profile
        self.names = [p.profile_name or single for p in self.persons] if self.multi else [single]
        self.stores: dict[str, Store] = {}
        self.flows: dict[str, OnboardingFlow] = {}
        self.ends: dict[str, RunEnd] = {}
        self.opening: Step | None = None  # --interactive: where the wizard opens
        self.raw: Any = None  # the file as read (drafts for the page that opens)

    def store_for(self, name: str) -> Store:
        if name not in self.stores:
            self.stores[name] = self.store if name == self.store.profile else self.store.sibling(name)
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
            elif stored.casefold() != person.account.user_id.strip().casefold():
                problems.append((f"{where}.user_id", f"the practice profile {name} already holds another HARP "
                                 "account; run with another --profile (or profile_name), or reset that profile."))
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
        if answers.expect == "approved":
            flow = self.flow_for(self.names[last])
            request = latest_request(flow)
            statuses = [o.get("status") for o in (request or {}).get("organizations", [])]
            if not statuses or any(s != "approved" for s in statuses):
                shown = ", ".join(str(s) for s in statuses) or "no request"
                return self.finish(False, f"expected the request of {self.names[last]} approved; it is {shown}")
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

    def person_flow(self, profile_name: str) -> OnboardingFlow:
        name = next((n for n in self.names if n.casefold() == profile_name.casefold()), None)
        if name is None or name not in self.ends:
            raise ApprovalError(f"{profile_name} has not run yet (list them before this action).")
        return self.flow_for(name)

    def reviewer(self, actor: str) -> Reviewer:
        if actor.strip().casefold() == "cms":
            return CMS_REVIEWER
        flow = next((f for f in self.flows.values()
                     if (f.record.user_id or "").casefold() == actor.strip().casefold()), None)
        if flow is None or flow.record.user_id is None:
            raise ApprovalError(f"{actor} has no HARP account in this run.")
        if not self.approvals.providers_of_pso(flow.record.user_id):
            raise ApprovalError(f"{actor} is not an active Provider Security Official of any provider, so "
                                "there is nothing for them to approve (CMS approves a provider's first PSO).")
        profile = flow.profile
        return Reviewer("pso", profile.display_name if profile else actor,
                        profile.email if profile else "", flow.record.user_id)

    def act(self, action: Any) -> list[str]:
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
        approve = isinstance(action, ApproveAction)
        decision = action.approve if approve else action.reject
        reviewer = self.reviewer(decision.as_)
        flow = self.person_flow(decision.person)
        request = latest_request(flow)
        if request is None:
            raise ApprovalError(f"{decision.person} has no submitted request to decide.")
        orgs = [o for o in request.get("organizations", [])
                if o.get("status") == "pending" and (not decision.ccn or o.get("ccn") == decision.ccn.strip())]
        if not orgs:
            raise ApprovalError(f"{decision.person}'s request has nothing pending"
                                + (f" for CCN {decision.ccn}." if decision.ccn else "."))
        reason = "" if approve else action.reject.reason
        kind = "approve" if approve else "reject"
        return [f"{kind} as {reviewer.user_id or 'cms'}: "
                + str(self.approvals.decide(reviewer, request["id"], o["ccn"], approve, reason)) for o in orgs]


# --- the command ---------------------------------------------------------------------------------


def _fail_lines(source: str, lines: list[str], err: Any) -> int:
    for line in lines:
        print(clean_line(line), file=err)
    return 2


def _drafts(flow: OnboardingFlow, raw: Any, step: Step) -> None:
    """What the file says for the page that opens, as if typed (save_draft keeps no secret)."""
    raw = raw if isinstance(raw, dict) else {}

    def section(name: str) -> Any:
        value = raw.get(name)
        return value if isinstance(value, (dict, list)) else None

    if step == Step.PROFILE and section("profile"):
        flow.save_draft(step, profile_form(section("profile")))
    elif step == Step.ACCOUNT and section("account"):
        form = account_form(section("account"))
        form.pop("user_id_permanent_ok", None)  # the person confirms it on screen
        flow.save_draft(step, form)
    elif step == Step.TWO_FACTOR_SETUP and section("two_factor"):
        flow.save_draft(step, two_factor_form(section("two_factor"), flow.profile))
    elif step == Step.CATEGORY and section("role"):
        flow.save_draft(step, {k: v for k, v in section("role").items() if k == "category" and isinstance(v, str)})
    elif step == Step.ROLE and section("role"):
        flow.save_draft(step, {k: v for k, v in section("role").items()
                               if k in ("role", "relationship") and isinstance(v, str)})
    elif step == Step.ORGANIZATIONS and isinstance(section("organizations"), list):
        for org in section("organizations"):
            if isinstance(org, dict) and isinstance(org.get("id"), str):
                flow.add_organization(str(org.get("search_by") or "ccn"), org["id"])  # refusals show on the page


def prepare(path: Path, *, data_dir: Path, profile: str | None = None, default_profile: str = "default",
            smtp: Any = None, interactive: bool = False, out: Out = print, err: Any = None,
            clock: Callable[[], datetime] = utc_now) -> tuple[int, ScenarioRun | None]:
    """Check the file, open the store, check it against the data directory: (exit code, run).
    Nothing is written when the exit code is not 0 (the data directory is not even created
    when the file has mistakes). ``profile`` is an explicit --profile: it names a one-person
    file's practice profile (else the file's profile_name, else ``default_profile``); a file with
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
        profile = None
    first = profile or answers.persons()[0].profile_name or default_profile
    try:
        store = Store(data_dir, profile=first, smtp=smtp)
    except DataDirError as problem:
        return _fail_lines(source, [f"{PROG}: error: {problem}"], err), None
    scenario = ScenarioRun(answers, store, out=out, clock=clock, profile=first)
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
        scenario.out(clean_line(f"Opening the wizard at {_title(flow.current_step)}."))
    else:
        scenario.out(clean_line(f"Opening the wizard where the run stopped: {_title(flow.current_step)}."))
    return flow
