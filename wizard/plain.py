"""``iqies-onboard plain``: the wizard as plain questions and answers, one line at a time.

For screen readers, braille displays, ``TERM=dumb`` and logs: every message is one plain line on
standard output (no colour, no cursor movement, no box drawing, no escape sequence), every answer
one line on standard input. It drives the very same :class:`OnboardingFlow` the screens and the
headless runner drive, so the steps, rules, store and resume are the wizard's own; labels come
from the step models, choices from the domain's tables, help from ``data/help.json``.

At any question: ``?`` the step's help, ``<`` back (where the flow allows), ``q`` save and quit,
``phone`` the simulated phone's latest message, ``status`` your Pending Requests.
Passwords and answers are read without echo on a terminal (getpass) and as plain lines when
standard input is not a terminal; they are never printed, and the flow keeps only hashes.
"""

from __future__ import annotations

from typing import Any

from wizard import otp, rules
from wizard.catalogue import catalogue
from wizard.flow import OnboardingFlow, StepOutcome
from wizard.models import DEVICE_TYPES, PHONE_DEVICES, WORK_RELATIONSHIPS
from wizard.plain_ask import NO, YES, Back, PlainQuestions, Quit  # noqa: F401 - plain's names, as before
from wizard.plain_text import (  # noqa: F401
    PROG,
    _plain_text,
    terminal_shows_qr,
    terminal_too_plain,
    where,
)
from wizard.sanitize import clean_line
from wizard.steps import FieldSpec, Step


Ask = FieldSpec  # one question of a step: its field, as the step's spec declares it


def _password_hint(flow: OnboardingFlow) -> str:
    needs = ", ".join(r.text for r in rules.password_checklist(""))
    return f"Needs {needs} ({rules.SANDBOX_NOTE}). Not shown as you type."


class _Asks:
    """The questions of each step: its spec's fields (labels, required, hints and choices come
    from there). Identity proofing and Add Organizations ask in their own way, below."""

    OWN = ("proofing", "organizations")

    def get(self, step: Step, default: Any = None) -> Any:
        return list(step.fields) if step in self else default

    def __getitem__(self, step: Step) -> list[FieldSpec]:
        if step not in self:
            raise KeyError(step)
        return list(step.fields)

    def __contains__(self, step: object) -> bool:
        return isinstance(step, Step) and bool(step.fields) and step.key not in self.OWN


ASKS = _Asks()
# a field asked again also asks its partner again (the two must match)
_PARTNERS = {"email": ("email_confirm", "personal_email_allowed"), "password": ("password_confirm",)}


class PlainSession(PlainQuestions):
    """One plain session: the steps in the flow's order, each asked field by field."""

    def field_hint(self, spec: Ask) -> str:
        return spec.hint or (_password_hint(self.flow) if spec.kind == "secret" and spec.name == "password" else "")

    def told(self, step: Step, outcome: StepOutcome, done: str = "") -> bool:
        """What a flow outcome means: ``done`` when it went through, else the refusal."""
        if outcome.ok:
            if done:
                self.say(done)
        else:
            self.refused(step, outcome)
        return outcome.ok

    # --- the steps ---------------------------------------------------------------------------

    def run(self) -> int:
        flow = self.flow
        self.say(f"{PROG} plain mode: a practice sandbox of HARP and iQIES; nothing you type leaves this computer.")
        self.say("Commands at any question: ? help, < back, q save and quit, phone, status. Enter keeps the current value.")
        if flow.store.notice:
            self.say(flow.store.notice)
        if flow.my_requests():
            self.status()
        try:
            while True:
                self.step = flow.current_step
                try:
                    if self.step == Step.AWAIT_APPROVAL:
                        if self.await_approval():
                            continue
                        return 0
                    getattr(self, f"_{self.step.key}", self.fields_step)()
                except Back:
                    outcome = flow.back(self.step, self.savable())
                    if outcome.ok:
                        self.say(f"Back to step {outcome.next_step.number}, {outcome.next_step.info.real_page}.")
                    else:
                        self.say(f"Cannot go back: {outcome.message} This page is asked again; Enter keeps each answer.")
        except Quit:
            self.quit()
            return 0

    def savable(self) -> dict[str, Any]:
        return {k: v for k, v in self.form.items() if v is not None}

    def quit(self) -> None:
        step = self.flow.current_step
        if self.form and step == self.step and step in ASKS:
            self.flow.save_draft(step, self.savable())
        self.flow.save()
        self.say(f"Saved at step {step.number} of {len(Step)}, {step.info.real_page}. Passwords and answers are "
                 f"never saved; run {PROG} plain again to resume.")

    def announce(self, step: Step) -> None:
        info = step.info
        self.say(f"Step {info.number} of {len(Step)}, {info.system}: {info.real_page} ({info.real_address}). Type ? for help.")

    def start_form(self, step: Step) -> None:
        self.form = {k: v for k, v in self.flow.draft(step).items() if v not in (None, "")}

    def asks(self, step: Step) -> list[Ask]:
        return [s for s in ASKS.get(step, []) if s.applies_to(self.form)]

    def fields_step(self) -> None:
        """Ask each field, then Next; the flow's refusal asks the offending fields again."""
        step = self.step
        self.announce(step)
        self.start_form(step)
        todo = [s.name for s in ASKS[step]]
        while True:
            for spec in ASKS[step]:
                if spec.name in todo and spec in self.asks(step):  # asked only where it applies now
                    self.ask_field(step, spec)
            self.form = {k: v for k, v in self.form.items() if k in {s.name for s in self.asks(step)}}
            outcome = self.submit(step)
            if outcome is None or outcome.ok:
                return
            todo = self.refused(step, outcome)

    def refused(self, step: Step, outcome: StepOutcome) -> list[str]:
        """Show the flow's refusal; the fields to ask again."""
        for name, message in outcome.errors.items():
            self.refuse(outcome.labels.get(name) or self.label(step, name), message)
        if outcome.message and not outcome.errors:  # with errors it only points at them
            self.say(f"Not accepted: {outcome.message}")
        names = [s.name for s in ASKS.get(step, [])]
        todo = [n for n in outcome.errors if n in names]
        for name in list(todo):
            todo += [p for p in _PARTNERS.get(name, ()) if p in names]
        secret = [s.name for s in ASKS.get(step, []) if s.kind == "secret"]
        if not todo:  # a refusal as a whole (User ID, password or code): ask the secrets again
            todo = [n for n in names if n in secret or n == "code"] or names
        return todo

    def submit(self, step: Step) -> StepOutcome | None:
        flow = self.flow
        form = self.savable()
        if step == Step.TWO_FACTOR_SETUP and form.get("device_type") in PHONE_DEVICES and form.get("phone"):
            try:
                form["phone"] = rules.check_phone(form["phone"])
            except Exception:
                pass
        if step == Step.ACCOUNT:
            refused, user_id = flow.account_confirmation(form)
            if refused is not None:
                return refused
            self.say(f"Your User ID will be {user_id}. A HARP User ID can never be changed.")
            if not self.yes_no("Create the account with this User ID?"):
                self.say("Choose another User ID.")
                return StepOutcome(False, errors={"user_id": "choose the User ID you want to keep."},
                                   labels={"user_id": self.label(step, "user_id")})
            form["user_id_permanent_ok"] = True
        outcome = flow.submit(step, form)
        if outcome.ok:
            factor = flow.record.factor
            if step == Step.TWO_FACTOR_SETUP and factor is not None and factor.is_authenticator:
                outcome.message = "Add the manual key below to your authenticator app, then type the code it shows."
            self.say(f"Step {step.number} done." + (f" {outcome.message}" if outcome.message else ""))
            for warning in outcome.warnings:
                self.say(f"Note: {warning}")
            self.after(step)
        return outcome

    def after(self, step: Step) -> None:
        """What a person reads after a step: the code's way, the authenticator's key."""
        factor = self.flow.record.factor
        if step == Step.TWO_FACTOR_SETUP and factor is not None:
            if factor.is_authenticator and factor.totp_secret:
                self.say(f"Manual key for your authenticator app: {otp.group_secret(factor.totp_secret)}")
                if terminal_shows_qr(self.env, self.stdout):
                    self.say("Type qr at the code question to show the QR code instead.")
            else:
                self.say("Type phone at the next question to read the code on your simulated phone.")

    # HARP steps with something of their own

    def _proofing(self) -> None:
        flow = self.flow
        step = Step.PROOFING
        self.announce(step)
        if flow.needs_manual_proofing:
            self.help()
            if self.yes_no("Manual identity proofing: carry on the practice as if it succeeded?"):
                outcome = flow.complete_manual_proofing()
                if not outcome.ok:
                    self.say(f"Not accepted: {outcome.message}")
                return
            raise Quit
        from wizard.proofing import MAX_ATTEMPTS

        attempt = flow.record.proofing_attempts
        questions = flow.proofing_questions()
        self.say(f"Identity proofing (simulated): {len(questions)} questions, attempt {attempt + 1} of {MAX_ATTEMPTS}.")
        answers: list[int | None] = [
            self.numbered(f"{where(step)} Question {index} of {len(questions)}, required: {q.prompt}",
                          list(q.options), "Type the number of your answer.", f"Question {index}")
            for index, q in enumerate(questions, 1)
        ]
        robot = False
        while not robot:
            robot = self.yes_no(f"{where(step)} {Step.PROOFING.field_label('not_a_robot')}, required.")
            if not robot:
                self.refuse(Step.PROOFING.field_label("not_a_robot"),
                            flow.validate(step, {"answers": answers, "not_a_robot": False}).get("not_a_robot", ""))
        outcome = flow.submit(step, {"answers": answers, "not_a_robot": True, "attempt": attempt})
        self.told(step, outcome, f"Step {step.number} done. {outcome.message}")

    def _two_factor_verify(self) -> None:
        flow, step = self.flow, Step.TWO_FACTOR_VERIFY
        self.announce(step)
        factor = flow.record.factor
        if factor is not None and factor.is_authenticator:
            self.say(f"Type the code {DEVICE_TYPES[factor.device_type]} shows now.")
        else:
            self.say("Type phone to read the code, or resend for a new one.")
        while True:
            self.form = {}
            answer = self.ask(self.question(step, ASKS[step][0], None, "6 digits."), commands=("resend", "qr"))
            if answer == "resend":
                self.say(flow.send_code())
                continue
            if answer == "qr":
                self.qr()
                continue
            self.form["code"] = answer
            outcome = self.submit(step)
            if outcome is not None and outcome.ok:
                return
            self.refused(step, outcome)

    def qr(self) -> None:
        uri = self.flow.totp_uri()
        factor = self.flow.record.factor
        if uri is None or factor is None or not factor.totp_secret:
            self.say("There is no QR code: this device is not an authenticator app.")
            return
        if not terminal_shows_qr(self.env, self.stdout):
            self.say(f"This terminal cannot show a QR code; type the manual key: {otp.group_secret(factor.totp_secret)}")
            return
        import io

        import segno

        buffer = io.StringIO()
        segno.make(uri, error="L").terminal(out=buffer, compact=True, border=2)
        self.say("QR code for your authenticator app:")
        self.stdout.write(buffer.getvalue())
        self.say(f"Or type the manual key: {otp.group_secret(factor.totp_secret)}")

    def _iqies_sign_in(self) -> None:
        flow, step = self.flow, Step.IQIES_SIGN_IN
        self.announce(step)
        self.start_form(step)
        todo = ["user_id", "password", "code"]
        while True:
            for spec in ASKS[step]:
                if spec.name not in todo:
                    continue
                if spec.name == "code":
                    factor = flow.record.factor
                    if factor is not None and not factor.is_authenticator:
                        self.say(flow.send_code())
                    elif factor is not None:
                        self.say(f"Type the code {DEVICE_TYPES[factor.device_type]} shows now.")
                self.ask_field(step, spec)
            outcome = self.submit(step)
            if outcome is not None and outcome.ok:
                self.say("Welcome to iQIES.")
                return
            todo = ["password", "code"]
            self.form.pop("code", None)  # a new code is on its way: never offer the refused one
            self.refused(step, outcome)

    # iQIES steps with something of their own

    def _welcome(self) -> None:
        self.announce(Step.WELCOME)
        self.status()
        self.ask("Press Enter for Request User Role.")
        outcome = self.flow.submit(Step.WELCOME, {})
        if not outcome.ok:
            self.say(f"Not accepted: {outcome.message}")

    def _organizations(self) -> None:
        flow, step = self.flow, Step.ORGANIZATIONS
        self.announce(step)
        self.say("Add each provider you need this role for, one by one: Search By, then Search for.")
        self.form = {}
        search_by = "ccn"
        listed = None
        while True:
            added = flow.record.request.organizations
            if listed != added:  # the list, whenever it changed
                listed = list(added)
                self.say(f"Organizations added: {len(added)}." if added else "Organizations added: none yet.")
                for org in added:
                    self.say(f"{org.name}, CCN {org.ccn}, {org.city}, {org.state}.")
            by_name = "CCN, like 015009" if search_by == "ccn" else "Facility ID, up to 16 letters and digits"
            answer = self.ask(
                f"{where(step)} Search for, "
                f"{'required' if not added else 'optional'}: type a {by_name}. "
                f"Type f to search by Facility ID or c by CCN; remove and a CCN to remove one"
                + ("; Enter when you are done." if added else "."),
                commands=("f", "c"))
            if answer in ("f", "c"):
                search_by = "facility_id" if answer == "f" else "ccn"
                self.say(f"Search By: {'Facility ID' if search_by == 'facility_id' else 'CCN'}.")
                continue
            if answer.casefold().startswith("remove "):
                self.say(flow.remove_organization(answer.split(None, 1)[1].strip()).message)
                continue
            if not answer:
                if self.told(step, flow.submit(step, {"search_by": search_by}), f"Step {step.number} done."):
                    return
                continue
            provider, problem = flow.find_organization(search_by, answer)
            if provider is None:
                self.refuse("Search for", problem)
                continue
            self.say(f"Found: {provider.name}, {provider.city}, {provider.state} "
                     f"(CCN {provider.ccn}, Facility ID {provider.facility_id}).")
            if not self.yes_no("Add it?", default=True):
                continue
            outcome = flow.add_organization(search_by, answer)
            self.told(step, outcome, outcome.message)

    def _review(self) -> None:
        flow, step = self.flow, Step.REVIEW
        self.announce(step)
        req = flow.record.request
        cat = catalogue()
        profile = flow.profile
        role = cat.role(req.role or "")
        category = cat.category(req.category or "")
        self.say(f"Requester: {profile.display_name if profile else ''} ({flow.record.user_id}).")
        self.say(f"User category: {category.name if category else req.category}.")
        self.say(f"User role: {role.name if role else req.role}.")
        self.say(f"Relationship: {WORK_RELATIONSHIPS.get(req.relationship or '', '')}.")
        for org in req.organizations:
            approver = flow.approver_for(req.role or "", org.ccn)
            self.say(f"Organization: {org.name}, CCN {org.ccn}, Facility ID {org.facility_id}, {org.city}, "
                     f"{org.state}. Will be approved by: {approver.description}")
        if not self.yes_no("Submit Request? Type < to change it.", default=None):
            self.say("Not submitted. Type < at the next question to change the request, or q to quit.")
            return
        outcome = flow.submit(step, {})
        if not outcome.ok:  # on success the banner says Role Request Submitted
            self.say(f"Not accepted: {outcome.message}")

    def await_approval(self) -> bool:
        """Pending Requests; True when the user asks for another role."""
        self.announce(Step.AWAIT_APPROVAL)
        if self.flow.banner:
            self.say(self.flow.banner + ".")
        self.status()
        self.say("What happens now: CMS approves the first PSO of a provider; after that, the provider's PSOs "
                 "approve everyone else. You get an email when your role is approved. Type ? for more.")
        while True:
            answer = self.ask("Type status to see your requests again, request for another role or provider, "
                              "or q to quit.", commands=("request",))
            if answer == "request":
                outcome = self.flow.request_role()
                if outcome.ok:
                    return True
                self.say(f"Not accepted: {outcome.message}")
