"""HARP pages (simulated harp.cms.gov): profile, account, identity proofing, two-factor setup."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from screens.ahead import REFILLED_ON_SHOW
from screens.base import StepScreen, note, section, view
from screens.form import Button, FieldRow, RadioButton, RadioSet, StateSelect
from screens.text import one_line, plain, styled
from screens.widgets import ConfirmScreen, QrScreen
from wizard import otp, rules
from wizard.models import DEVICE_TYPES
from wizard.proofing import MAX_ATTEMPTS, PASS_MARK, QUESTIONS_PER_ATTEMPT
from wizard.steps import Step


@view
class ProfileScreen(StepScreen):
    """The spec's fields in HARP's sections; the State picker takes typing."""

    STEP = Step.PROFILE
    INTRO = "Enter your profile as HARP asks for it. Fields marked * are required."
    # "email already exists" offers the recovery path: Forgot User ID
    BINDINGS = [Binding("ctrl+f", "forgot", "Forgot", show=False)]

    def compose_form(self) -> ComposeResult:
        row = self.field_row
        yield section("Your name")
        yield from (row(name) for name in ("first_name", "middle_name", "last_name", "suffix", "date_of_birth"))
        yield section("Contact")
        yield row("email")
        yield row("email_confirm")
        yield row("personal_email_allowed", caption="Personal email only if:", stacked=True)
        yield row("phone")
        yield section("Home address")
        yield row("street")
        yield row("city")
        states = self.field_spec("state").options(self.flow)
        yield row("state", StateSelect([(f"{code}  {name}", code) for code, name in states],
                                       prompt="Choose (type to search)", compact=True))
        yield row("zip_code")
        yield section("Social Security Number")
        yield note(
            "This practice app never asks for your SSN. Real HARP does, to check your identity "
            "with Experian. Without one, HARP sends you to manual proofing, which takes longer."
        )
        yield row("ssn_choice", radio=True)
        yield section("Your facility")
        yield row("facility_name")


@view
class AccountScreen(StepScreen):
    """The spec's fields, with the live password checklist and the User ID warning."""

    STEP = Step.ACCOUNT
    INTRO = "Choose how you will sign in. Your User ID can never be changed."

    def compose_form(self) -> ComposeResult:
        yield self.field_row("user_id")
        yield Static("", id="user-id-warning", classes="warning", markup=False)
        yield self.field_row("password")
        yield Static("", id="password-checklist", classes="checklist")
        yield self.field_row("password_confirm")
        yield self.field_row("challenge_question", stacked=True)
        yield self.field_row("challenge_answer")

    def on_mount(self) -> None:
        super().on_mount()
        self.on_form_changed()
        if self.flow.draft(self.STEP).get("user_id") and not self.initial_message:
            self.show_message(
                "Passwords and the answer are never saved, so type them again.", "info"
            )

    def on_form_changed(self) -> None:
        form = self.collect()
        profile = self.flow.profile
        checklist = rules.password_checklist(
            form.get("password") or "", form.get("user_id") or "",
            profile.first_name if profile else "", profile.last_name if profile else "",
        )
        text = Text("Password needs:\n")
        for req in checklist:
            text.append("  ✓ " if req.met else "  ✗ ", style="bold")
            text.append(req.text + "\n", style="" if req.met else "bold")
        text.append(f"  ({rules.SANDBOX_NOTE})")
        self.query_one("#password-checklist", Static).update(text)
        warnings = self.flow.user_id_warnings(form.get("user_id") or "")
        warning = self.query_one("#user-id-warning", Static)
        warning.update(plain("⚠ " + warnings[0]) if warnings else "")
        warning.set_class(bool(warnings), "visible")

    def collect(self) -> dict[str, Any]:
        form = super().collect()
        form["user_id_permanent_ok"] = getattr(self, "_permanent_ok", False)
        return form

    def action_next(self) -> None:
        if not self.may_check():  # not while a check runs (screens/checking.py): one press, one submit
            return
        self.tried_next = True
        form = self.collect()
        refused, user_id = self.flow.account_confirmation(form)
        if refused is not None:
            self.apply(refused)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._permanent_ok = True
                self.submit(self.collect())  # hashing off the UI thread (screens/checking.py)
            else:
                self.show_message("Choose another User ID if you want to.", "info")
                self.focus_field("user_id")

        self.app.push_screen(
            ConfirmScreen(
                "Your User ID cannot be changed",
                f"Your HARP User ID will be {user_id}. CMS cannot change a User ID later. "
                "Create the account with it?",
                yes="Yes, use it",
            ),
            confirmed,
        )


@view
class ProofingScreen(StepScreen):
    """This attempt's questions (from the record), or the manual path."""

    STEP = Step.PROOFING
    NEXT_LABEL = "Next"

    def compose_form(self) -> ComposeResult:
        self.attempt = self.flow.record.proofing_attempts  # the attempt these questions belong to
        if self.flow.needs_manual_proofing:
            yield from self._compose_manual()
            return
        yield note(
            "Simulation: real HARP has Experian ask five questions from your credit records. "
            f"Here they come from what you typed. Pass with {PASS_MARK} of {QUESTIONS_PER_ATTEMPT} right; "
            f"{self.flow.proofing_attempts_left} of {MAX_ATTEMPTS} attempts left."
        )
        for i, question in enumerate(self.flow.proofing_questions()):
            yield FieldRow(
                f"q{i}", f"{i + 1}. {question.prompt}",
                # options come from what the user typed: never markup, never control characters
                RadioSet(*(RadioButton(one_line(option), name=str(n))
                           for n, option in enumerate(question.options)), compact=True),
                stacked=True,
            )
        yield self.field_row("not_a_robot", caption="Check")

    def _compose_manual(self) -> ComposeResult:
        from wizard.catalogue import help_for

        from textual.widgets import Markdown

        yield section("Manual identity proofing")
        yield note(
            "HARP could not check your identity online, so a person will. What that involves is "
            "below. Sandbox: manual proofing happens outside HARP's pages; to keep practising, "
            "press Next (Continue) as if it had succeeded."
        )
        yield Markdown(help_for("manual_proofing").body, id="manual-proofing")

    def on_mount(self) -> None:
        super().on_mount()
        if self.flow.needs_manual_proofing:
            self.query_one("#next", Button).label = "Continue"


    def focus_first(self) -> None:
        if self.flow.needs_manual_proofing:
            # start at the top: the explanation comes first, the button waits at the bottom
            self.query_one("#next", Button).focus(scroll_visible=False)
        else:
            super().focus_first()

    def collect(self) -> dict[str, Any]:
        if self.flow.needs_manual_proofing:
            return {"manual_proofing_done": True}  # Next on this page means Continue
        return self._collect_answers()

    def _collect_answers(self) -> dict[str, Any]:
        form = super().collect()
        answers = [form.pop(f"q{i}", None) for i in range(QUESTIONS_PER_ATTEMPT)]
        return {
            "attempt": self.attempt,
            "answers": [int(a) if a is not None else None for a in answers],
            "not_a_robot": bool(form.get("not_a_robot")),
        }

    def fill(self, draft: dict[str, Any]) -> None:
        """Proofing answers are never kept."""

    def show_errors(self, errors: dict[str, str], only_touched: bool = False) -> None:
        if only_touched and not self.tried_next:
            errors = {}
        mapped = dict(errors)
        if "answers" in mapped:
            form = self.collect()
            for i, answer in enumerate(form["answers"]):
                if answer is None:
                    mapped[f"q{i}"] = "Choose an answer (or None of the above)."
        super().show_errors(mapped)

    def focus_field(self, name: str) -> None:
        if name == "answers":  # the answers are one field to the flow, a row per question here
            unanswered = [i for i, answer in enumerate(self.collect().get("answers", [])) if answer is None]
            name = f"q{unanswered[0]}" if unanswered else "q0"
        super().focus_field(name)

    def apply(self, outcome) -> None:
        if not outcome.ok and not outcome.errors:
            # New questions for the next attempt (or the manual path): rebuild the page.
            self.onboarding_app.show_step(self.STEP, outcome.message, kind="error")
            return
        super().apply(outcome)


@view
class TwoFactorSetupScreen(StepScreen):
    """The spec's fields (the phone shows when the device needs it); Next says what it does."""

    STEP = Step.TWO_FACTOR_SETUP
    NEXT_LABEL = "Send Code"
    INTRO = "Log in to complete setup, then choose how HARP sends you a code each time you sign in."
    BINDINGS = [Binding("ctrl+f", "forgot", "Forgot")]

    def on_mount(self) -> None:
        super().on_mount()
        self.on_form_changed()

    def on_form_changed(self) -> None:
        form = self.collect()
        sends_code = form.get("device_type") is None or self.field_spec("phone").applies_to(form)
        self.query_one("#next", Button).label = "Send Code" if sends_code else "Next"


@view
class TwoFactorVerifyScreen(StepScreen):
    """The code field, with the QR code and manual key (authenticator) or Resend (phone)."""

    STEP = Step.TWO_FACTOR_VERIFY
    NEXT_LABEL = "Submit"

    def compose_form(self) -> ComposeResult:
        # What the device set up on the page before says is filled in as the page is shown
        # (fill_device): the page can be built ahead while that page is still being filled.
        yield Static("", id="device-note", classes=f"note {REFILLED_ON_SHOW}", markup=False)
        yield Static("", id="manual-key", classes=REFILLED_ON_SHOW, markup=False)
        yield Button("Show QR code (F3)", id="show-qr", compact=True)
        yield Button("Resend code", id="resend", compact=True)
        yield self.field_row("code")

    def fill_device(self) -> None:
        """The note, the key and the button for the device now set up (an authenticator's QR
        code and key, or the phone a code went to)."""
        factor = self.flow.record.factor
        authenticator = bool(factor and factor.is_authenticator)
        device_note = self.query_one("#device-note", Static)
        if factor is None:
            device_note.update("")
        elif authenticator:
            device = DEVICE_TYPES[factor.device_type]
            device_note.update(plain(
                f"Add this account to {device} on your phone: press F3 to show the QR code (it "
                f"needs the whole window), or type the key by hand. Then enter the {otp.CODE_DIGITS}-digit code."
            ))
            key = otp.group_secret(factor.totp_secret or "")
            self.query_one("#manual-key", Static).update(styled("Manual key: ", (key, "bold")))
        else:
            how = "text message" if factor.device_type == "sms" else "voice call"
            device_note.update(plain(
                f"A code was sent by {how} to {rules.format_phone(factor.phone or '')}. "
                "Press F2 to open your (simulated) phone and read it."
            ))
        self.query_one("#manual-key").display = authenticator
        self.query_one("#show-qr").display = authenticator
        self.query_one("#resend").display = factor is not None and not authenticator

    BINDINGS = [("f3", "show_qr", "QR code")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_qr":
            factor = self.flow.record.factor
            return bool(factor and factor.is_authenticator)
        return super().check_action(action, parameters)

    def action_show_qr(self) -> None:
        uri = self.flow.totp_uri()
        factor = self.flow.record.factor
        if uri and factor and factor.totp_secret:
            # closed, the code is typed next: into its field, wherever the QR code was opened from
            self.app.push_screen(QrScreen(uri, otp.group_secret(factor.totp_secret)),
                                 callback=lambda _: self.focus_field("code"))

    @on(Button.Pressed, "#show-qr")
    def _show_qr(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_show_qr()

    @on(Button.Pressed, "#resend")
    def _resend(self, event: Button.Pressed) -> None:
        event.stop()
        self.show_message(self.flow.send_code(), "info")
        self.focus_field("code")

    def on_mount(self) -> None:
        self.fill_device()
        super().on_mount()
        self.focus_field("code")
