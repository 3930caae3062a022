"""One person's answers walked through the flow, step by step, as the headless runner prints
it (one line per step, never a secret): :class:`AnswersWalk` and :func:`advance`.

Every step's form comes from its spec (``spec.form_from``): the one answers-to-form path. How a
run plays a step beyond one form (several proofing attempts, several codes typed in turn, manual
proofing, organizations added one by one, what its line says) is the step's own ``spec.play``,
in its module of :mod:`wizard.steps`; a step without one (any step a contributor adds) is
walked by the generic :meth:`AnswersWalk.step`. This module holds only that machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from wizard.outcome import StepOutcome
from wizard.records import RoleRequest
from wizard.sanitize import clean_line
from wizard.steps import LeftOpen, Step

Out = Callable[[str], None]


@dataclass
class RunEnd:
    """Where one person's run stopped: ``submitted``, ``manual_proofing``, ``locked``,
    ``refused``, ``until`` (the step asked for), ``open`` (the file says no more) or ``failed``."""

    end: str
    step: Step
    message: str = ""
    fields: tuple[str, ...] = ()


def title(step: Step) -> str:
    return f"{step.number}/{len(Step)} {step.info.real_page}"


def person_sections(person: Any) -> dict[str, Any]:
    """A person's answers as section name -> section (what ``spec.form_from`` reads): their
    pydantic sections, and any section a registered step reads from the raw file."""
    if isinstance(person, dict):
        return person
    sections = {name: getattr(person, name) for name in type(person).model_fields}
    sections.update(getattr(person, "step_sections", None) or {})
    return sections


def latest_request(flow: Any) -> RoleRequest | None:
    """The request this person submitted last, as stored (and sealed); None if there is none."""
    wanted = flow.record.last_submitted_request
    return next((r for r in flow.my_requests() if r.id == wanted), None) if wanted else None


class AnswersWalk:
    """Walks one person's flow step by step from their answers."""

    def __init__(self, flow: Any, person: Any, out: Out, prefix: str) -> None:
        self.flow = flow
        self.person = person
        self.answers = person_sections(person)
        self.out = out
        self.prefix = prefix
        self.code_index = 0
        self.code_fresh = False  # a text/voice code was sent in this run and not used yet

    # --- output ---------------------------------------------------------------------------------

    def say(self, step: Step | None, text: str) -> None:
        head = f"{self.prefix}{title(step)}: " if step is not None else self.prefix
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
            end = step.play(self, step) if step.play is not None else self.step(step)
            if end is not None:
                return end
            reached = flow.current_step
            for skipped in Step.ordered():
                if step < skipped < reached and (until is None or skipped < until):
                    self.say(skipped, "already done")
        return RunEnd("failed", flow.current_step, "the run did not move on from this step")

    def form(self, step: Step, how: str | None = None) -> dict[str, Any] | RunEnd:
        try:
            return step.form_from(self.answers, self.flow, how)
        except LeftOpen as why:
            return self.open(step, str(why))

    def step(self, step: Step, done: str = "ok") -> RunEnd | None:
        """The generic step: its form from the answers, then Next."""
        if step.submit is None and step.next is None:
            return self.end(step)
        form = self.form(step)
        if isinstance(form, RunEnd):
            return form
        return self.submit(step, form, done)

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

    def end(self, step: Step) -> RunEnd:
        """The last page: Pending Requests, as stored."""
        request = latest_request(self.flow)
        lines = []
        if request is not None:
            from wizard.approvals import org_label

            for org in request.organizations:
                lines.append(f"{org_label(org)}: {self.flow.approvals.status_line(request, org)}")
        self.say(step, "request pending" if lines else "no request")
        for line in lines:
            self.detail(line)
        if not lines:
            # the verdict comes from what is stored: no stored request is not a submitted one
            return RunEnd("failed", step, "no submitted request is stored (was onboarding.json moved aside or edited?)")
        return RunEnd("submitted", step, " ".join(lines))

    def locked(self, step: Step, message: str, which: str = "") -> RunEnd:
        self.say(step, f"locked ({which})" if which else "locked")
        self.detail(message)
        return RunEnd("locked", step, message)


def advance(flow: Any, answers: Any, until: Step | None = None, *,
            out: Out | None = None, prefix: str = "") -> RunEnd:
    """Fill ``flow`` with one person's ``answers``, step by step through ``flow.submit``, until the
    flow's current step is ``until`` (or later), or the run ends (submitted, refused, locked,
    manual proofing, or a section the answers leave open). Steps already done are skipped, so a
    saved practice account resumes. ``out`` gets one line per step (no secret ever).

    The demo mode's "jump to step 9" is ``advance(flow, personas()[key].answers(), Step.ROLE)``;
    ``flow.signed_in`` is then True (a session fact), so show the app with this same flow, or set
    ``app.flow.signed_in`` from it. For an authenticator device with a ``totp_secret``, this sets
    ``flow.totp_secret_factory`` to return that secret."""
    return AnswersWalk(flow, answers, out or (lambda line: None), prefix).run(until)
