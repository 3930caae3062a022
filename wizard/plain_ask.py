"""Plain mode's question loop: lines out, answers in, and one field asked until its rule accepts it.

:class:`PlainQuestions` reads and writes the lines (a hidden answer through getpass on a terminal,
a plain line otherwise), handles the commands every question knows (``?``, ``<``, ``q``, ``phone``,
``status``), and asks a field of a step: its label and whether it is required come from the step's
model, its hint and kind from the plain mode's table (:data:`wizard.plain.ASKS`)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, TextIO

from wizard.catalogue import help_for
from wizard.flow import OnboardingFlow
from wizard.plain_text import _plain_text, where
from wizard.sanitize import clean_line
from wizard.steps import Step

if TYPE_CHECKING:
    from wizard.plain import Ask

YES = {"y", "yes"}
NO = {"n", "no"}


class Quit(Exception):
    """``q`` (or the end of standard input): save and stop."""


class Back(Exception):
    """``<``: go back a step, where the flow allows."""


def _yes_or_no(answer: str) -> bool | None:
    """True for yes, False for no, None for anything else (any case)."""
    word = answer.casefold()
    return True if word in YES else False if word in NO else None


class PlainQuestions:
    """Lines in and out, the commands, and the questions of one field."""

    def __init__(self, flow: OnboardingFlow, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 getpass: Callable[[str], str] | None = None, env: dict[str, str] | None = None) -> None:
        self.flow = flow
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.env = os.environ if env is None else env
        try:
            self.tty = self.stdin.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        if getpass is None:
            import getpass as _getpass

            getpass = _getpass.getpass
        self._getpass = getpass
        self.step: Step = flow.current_step
        self.form: dict[str, Any] = {}

    # --- lines in and out -------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        for line in _plain_text(str(text)).split("\n"):
            self.stdout.write(clean_line(line) + "\n")
        self.stdout.flush()

    def read(self, secret: bool = False) -> str:
        if secret and self.tty:
            try:
                return self._getpass("(not shown) ")
            except EOFError:
                self.stdout.write("\n")  # end getpass's prompt line, so what follows starts its own
                raise Quit from None
        line = self.stdin.readline()
        if not line:
            raise Quit
        return line.rstrip("\r\n")

    def ask(self, question: str, secret: bool = False, commands: tuple[str, ...] = ()) -> str:
        """One question; the commands every question knows are handled here."""
        while True:
            self.say(question)
            answer = self.read(secret).strip()
            word = answer.casefold()
            if word == "?":
                self.help()
            elif word == "<":
                raise Back
            elif word in ("q", "quit"):
                raise Quit
            elif word == "phone":
                self.phone()
            elif word == "status":
                self.status()
            elif word in commands:
                return word
            else:
                return answer

    def yes_no(self, question: str, default: bool | None = None) -> bool:
        hint = {True: " Enter means yes.", False: " Enter means no.", None: ""}[default]
        while True:
            answer = self.ask(f"{question} Type yes or no.{hint}")
            if not answer and default is not None:
                return default
            said = _yes_or_no(answer)
            if said is not None:
                return said
            self.say("Please type yes or no.")

    def numbered(self, heading: str, options: list[str], prompt: str, label: str, *,
                 enter_ok: bool = False, by_text: Callable[[str], int | None] | None = None) -> int | None:
        """A numbered list, asked until one of its numbers is typed: its index (from 0). With
        ``enter_ok`` an empty answer is None; ``by_text`` may also find an option by its text."""
        while True:
            self.say(heading)
            for number, text in enumerate(options, 1):
                self.say(f"{number}. {text}")
            answer = self.ask(prompt)
            if not answer and enter_ok:
                return None
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return int(answer) - 1
            found = by_text(answer) if by_text is not None else None
            if found is not None:
                return found
            self.refuse(label, f"type a number from 1 to {len(options)}.")

    # --- commands --------------------------------------------------------------------------

    def help(self) -> None:
        info = self.step.info
        text = help_for("manual_proofing" if self.step == Step.PROOFING and self.flow.needs_manual_proofing
                        else info.help_id)
        self.say(f"Help: {text.title}. Real page: {text.real_page}.")
        for line in text.body.split("\n"):
            if line.strip():
                self.say(line.strip().lstrip("- ").strip())
        self.say("Commands at any question: ? help, < back, q save and quit, phone, status.")
        self.say("End of help.")

    def phone(self) -> None:
        messages = self.flow.messages()
        if not messages:
            self.say("Phone: no messages yet.")
            return
        latest = messages[0]
        body = " ".join(str(latest.get("body") or "").split())
        self.say(f"Phone, latest message, {latest.get('subject')}: {body}")

    def status(self) -> None:
        from wizard.approvals import org_label, role_name

        requests = self.flow.my_requests()
        self.say("Pending Requests:")
        if not requests:
            self.say("No requests yet.")
            return
        self.flow.approvals.sweep()
        everyone = self.flow.store.requests()
        for req in self.flow.my_requests():
            for org in req.organizations:
                self.say(f"{role_name(req.role)}, {org.status.label}: {org_label(org)}, {org.city}, "
                         f"{org.state}. {self.flow.approvals.status_line(req, org, everyone)}")

    # --- one field ---------------------------------------------------------------------------

    def label(self, step: Step, name: str) -> str:
        return step.field_label(name)

    def required(self, step: Step, spec: Ask) -> bool:
        return bool(spec.required)

    def field_hint(self, spec: Ask) -> str:
        """The hint a field's question gives (a session may add its own)."""
        return spec.hint

    def question(self, step: Step, spec: Ask, current: Any, hint: str) -> str:
        parts = [where(step)]
        parts.append(f"{self.label(step, spec.name)}, {'required' if self.required(step, spec) else 'optional'}.")
        if hint:
            parts.append(hint)
        if spec.kind in ("secret", "choice"):
            pass  # a secret's current value is never shown (nor kept); a choice says it with its list
        elif spec.kind == "yesno":
            parts.append(f"Current answer: {'yes' if current else 'no'}. Type yes or no; Enter keeps it.")
        elif current not in (None, ""):
            parts.append(f"Current value: {current}. Enter keeps it.")
        elif not self.required(step, spec):
            parts.append("Enter skips it.")
        return " ".join(parts)

    def ask_field(self, step: Step, spec: Ask) -> None:
        """Ask one field until its own rule accepts it (a refusal names it and says what to do)."""
        hint = self.field_hint(spec)
        while True:
            current = self.form.get(spec.name)
            if spec.kind == "choice":
                value = self.ask_choice(step, spec, current, hint)
            elif spec.kind == "yesno":
                answer = self.ask(self.question(step, spec, current, hint))
                said = _yes_or_no(answer) if answer else bool(current)
                if said is None:
                    self.say(f"{self.label(step, spec.name)}: please type yes or no.")
                    continue
                value = said
            else:
                answer = self.ask(self.question(step, spec, current, hint), secret=spec.kind == "secret")
                value = answer if answer or spec.kind == "secret" else (current or "")
            before = self.form.get(spec.name)
            self.form[spec.name] = value
            problem = self.field_problem(step, spec.name)
            if not problem:
                return
            self.refuse(self.label(step, spec.name), problem)
            # a refused answer is not offered as the current value
            self.form[spec.name] = before if before != value else None

    def ask_choice(self, step: Step, spec: Ask, current: Any, hint: str) -> Any:
        options = spec.choices(self.flow) if spec.choices else []
        now = next((text for value, text in options if value == current), None)
        heading = self.question(step, spec, None, hint)
        heading += f" {len(options)} choices" + (f"; current choice: {now}. Enter keeps it." if now else
                                                 "; Enter skips it." if not self.required(step, spec) else ".")

        def by_text(answer: str) -> int | None:
            return next((i for i, (value, text) in enumerate(options)
                         if answer.casefold() in (str(value).casefold(), text.casefold())), None)

        index = self.numbered(heading, [text for _, text in options], "Type the number of your choice.",
                              self.label(step, spec.name), enter_ok=True, by_text=by_text)
        return current if index is None else options[index][0]

    def field_problem(self, step: Step, name: str) -> str:
        """This field's own message from the step's rules, given what was answered so far."""
        form = dict(self.form)
        if step == Step.PROFILE and name == "email" and "personal_email_allowed" not in form:
            form["personal_email_allowed"] = True  # asked next; the whole form is checked at the end
        errors = self.flow.validate(step, {k: v for k, v in form.items() if v is not None})
        return errors.get(name, "")

    def refuse(self, label: str, message: str) -> None:
        self.say(f"Not accepted: {label}: {message} Please answer again.")
