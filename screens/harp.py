"""HARP pages (simulated harp.cms.gov): profile, account, identity proofing, two-factor setup."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, RadioSet, Select, Static

from screens.base import StepScreen, note, section
from screens.widgets import (
    Checkbox, ConfirmScreen, FieldRow, QrScreen, RadioButton, StateSelect, field_input, one_line, plain,
    styled,
)
from wizard import otp, rules
from wizard.catalogue import challenge_questions
from wizard.models import DEVICE_TYPES, PHONE_DEVICES, SSN_CHOICES
from wizard.proofing import MAX_ATTEMPTS, PASS_MARK, QUESTIONS_PER_ATTEMPT
from wizard.steps import Step



class ProfileScreen(StepScreen):
    STEP = Step.PROFILE
    INTRO = "Enter your profile as HARP asks for it. Fields marked * are required."
    # "email already exists" offers the recovery path: Forgot User ID
    BINDINGS = [Binding("ctrl+f", "forgot", "Forgot", show=False)]

    def compose_form(self) -> ComposeResult:
        yield section("Your name")
        yield FieldRow("first_name", "First name", field_input(max_length=50))
        yield FieldRow("middle_name", "Middle name", field_input(max_length=50), required=False)
        yield FieldRow("last_name", "Last name", field_input(max_length=50))
        yield FieldRow(
            "suffix", "Suffix",
            Select([(s, s) for s in rules.SUFFIXES], prompt="(none)", compact=True),
            required=False,
        )
        yield FieldRow("date_of_birth", "Date of birth", field_input("MM/DD/YYYY", max_length=10))
        yield section("Contact")
        yield FieldRow(
            "email", "Email", field_input("you@yourfacility.org", max_length=254),
            note="Use your work (corporate) email address.",
        )
        yield FieldRow("email_confirm", "Confirm email", field_input(max_length=254))
        yield FieldRow(
            "personal_email_allowed", "Personal email only if:",
            Checkbox("2 or fewer providers, no work email domain", compact=True),
            required=False, stacked=True,
        )
        yield FieldRow("phone", "Phone number", field_input("e.g. (410) 555-0123", max_length=30))
        yield section("Home address")
        yield FieldRow("street", "Street address", field_input("e.g. 12 Oak Street", max_length=100))
        yield FieldRow("city", "City", field_input(max_length=60))
        yield FieldRow(
            "state", "State",
            StateSelect([(f"{code}  {name}", code) for code, name in rules.US_STATES.items()],
                        prompt="Choose (type to search)", compact=True),
        )
        yield FieldRow("zip_code", "ZIP code", field_input("e.g. 43215", max_length=10))
        yield section("Social Security Number")
        yield note(
            "This practice app never asks for your SSN. Real HARP does, to check your identity "
            "with Experian. Without one, HARP sends you to manual proofing, which takes longer."
        )
        yield FieldRow(
            "ssn_choice", "SSN for HARP",
            RadioSet(*(RadioButton(one_line(label), name=key) for key, label in SSN_CHOICES.items()),
                     compact=True),
            stacked=True,
        )
        yield section("Your facility")
        yield FieldRow(
            "facility_name", "Your facility", field_input("e.g. Sunny Acres Care Center", max_length=120),
            note="Sandbox only: used to warn you if your User ID contains it. HARP does not ask.",
        )


class AccountScreen(StepScreen):
    STEP = Step.ACCOUNT
    INTRO = "Choose how you will sign in. Your User ID can never be changed."

    def compose_form(self) -> ComposeResult:
        yield FieldRow(
            "user_id", "User ID", field_input("e.g. jdoe_pso", max_length=74),
            note=f"6-74 letters, digits and . _ - @; no facility names, no # or & ({rules.SANDBOX_NOTE}).",
        )
        yield Static("", id="user-id-warning", classes="warning", markup=False)
        yield FieldRow("password", "Password", field_input(password=True, max_length=60))
        yield Static("", id="password-checklist", classes="checklist")
        yield FieldRow("password_confirm", "Confirm password", field_input(password=True, max_length=60))
        yield FieldRow(
            "challenge_question", "Challenge question",
            Select([(one_line(q), q) for q in challenge_questions()], prompt="Choose a question",
                   compact=True),
            stacked=True,
        )
        yield FieldRow(
            "challenge_answer", "Answer", field_input(password=True, max_length=100),
            note="Stored only as a hash. Keep your real answer somewhere safe.",
        )

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
        self.tried_next = True
        form = self.collect()
        refused, user_id = self.flow.account_confirmation(form)
        if refused is not None:
            self.apply(refused)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._permanent_ok = True
                self.apply(self.flow.submit(self.STEP, self.collect()))
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


class ProofingScreen(StepScreen):
    STEP = Step.PROOFING
    NEXT_LABEL = "Next"

    def compose_form(self) -> ComposeResult:
        self.attempt = self.flow.record.proofing_attempts  # the attempt these questions belong to
        if self.flow.needs_manual_proofing:
            yield from self._compose_manual()
            return
        yield note(
            "Simulation: real HARP has Experian ask five questions from your credit records. "
            f"Here they come from what you typed. Pass with {PASS_MARK} of 5 right; "
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
        yield FieldRow("not_a_robot", "Check", Checkbox("I am not a robot", compact=True))

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

    def apply(self, outcome) -> None:
        if not outcome.ok and not outcome.errors:
            # New questions for the next attempt (or the manual path): rebuild the page.
            self.onboarding_app.show_step(self.STEP, outcome.message, kind="error")
            return
        super().apply(outcome)


class TwoFactorSetupScreen(StepScreen):
    STEP = Step.TWO_FACTOR_SETUP
    NEXT_LABEL = "Send Code"
    INTRO = "Log in to complete setup, then choose how HARP sends you a code each time you sign in."
    BINDINGS = [Binding("ctrl+f", "forgot", "Forgot")]

    def compose_form(self) -> ComposeResult:
        yield FieldRow("user_id", "User ID", field_input(max_length=74))
        yield FieldRow("password", "Password", field_input(password=True, max_length=60))
        yield FieldRow(
            "device_type", "Device type",
            Select([(label, key) for key, label in DEVICE_TYPES.items()], prompt="Choose a device",
                   compact=True),
        )
        yield FieldRow(
            "phone", "Phone number", field_input("(410) 555-0123", max_length=30),
            note="Sandbox: codes go to the app's simulated phone (F2), never a real one.",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.on_form_changed()

    def on_form_changed(self) -> None:
        device = self.collect().get("device_type")
        needs_phone = device in PHONE_DEVICES
        self.query_one("#field-phone").display = needs_phone
        self.query_one("#next", Button).label = "Send Code" if needs_phone or device is None else "Next"


class TwoFactorVerifyScreen(StepScreen):
    STEP = Step.TWO_FACTOR_VERIFY
    NEXT_LABEL = "Submit"

    def compose_form(self) -> ComposeResult:
        factor = self.flow.record.factor
        assert factor is not None
        device = DEVICE_TYPES[factor.device_type]
        if factor.is_authenticator:
            key = otp.group_secret(factor.totp_secret or "")
            yield note(
                f"Add this account to {device} on your phone: press F3 to show the QR code (it "
                "needs the whole window), or type the key by hand. Then enter the 6-digit code."
            )
            yield Static(styled("Manual key: ", (key, "bold")), id="manual-key")
            yield Button("Show QR code (F3)", id="show-qr", compact=True)
        else:
            how = "text message" if factor.device_type == "sms" else "voice call"
            yield note(
                f"A code was sent by {how} to {rules.format_phone(factor.phone or '')}. "
                "Press F2 to open your (simulated) phone and read it."
            )
            yield Button("Resend code", id="resend", compact=True)
        yield FieldRow("code", "Security code", field_input("6 digits", max_length=8))

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
            self.app.push_screen(QrScreen(uri, otp.group_secret(factor.totp_secret)))

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
        super().on_mount()
        self.focus_field("code")
