"""The HARP account page (Ctrl+T, or "My HARP account" in the user menu, after signing in): a
thin view of :class:`wizard.harp_account.HarpAccount`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from screens.form import Button
from screens.recovery import SidePage
from screens.widgets import plain
from wizard.catalogue import challenge_questions
from wizard.harp_account import CHALLENGE_FIELDS, DEVICE_PHONE, EDITABLE, PASSWORD_FIELDS, PROFILE_FIELDS, HarpAccount
from wizard.models import DEVICE_TYPES, PHONE_DEVICES


class HarpAccountScreen(SidePage):
    TITLE_TEXT = "My HARP account"
    SUBTITLE = "Sandbox, modelled on HARP's profile page (harp.cms.gov). Each change is emailed to you."
    HELP_ID = "harp_account"

    def __init__(self, flow: Any) -> None:
        super().__init__(flow)
        self.account = HarpAccount(flow)

    def compose_body(self) -> ComposeResult:
        yield self.section("Profile")
        yield Static("Name and date of birth were checked when your identity was proofed; they stay.",
                     markup=False)
        values = self.account.profile_values()
        for spec in PROFILE_FIELDS:
            yield from self.field(replace(spec, placeholder="", note=""), "pf-")
        yield Button("Save profile", id="save-profile", compact=True)
        yield self.section("Change password")
        for spec in PASSWORD_FIELDS:
            yield from self.field(spec, "pw-")
        yield Button("Change password", id="change-password", compact=True)
        yield self.section("Challenge question")
        yield Static(plain(f"Now: {self.flow.record.challenge_question or '(none set)'}"), id="challenge-now")
        yield from self.field(CHALLENGE_FIELDS[0], "cq-")
        yield from self.choice("cq-challenge_question", "New challenge question",
                               [(q, q) for q in challenge_questions()])
        yield from self.field(CHALLENGE_FIELDS[1], "cq-")
        yield Button("Update challenge question", id="update-challenge", compact=True)
        yield self.section("Two-factor devices")
        yield Static(self._devices_text(), id="devices-now", markup=False)
        yield from self.choice("dev-device_type", "Add a device",
                               [(k, v) for k, v in DEVICE_TYPES.items() if k in PHONE_DEVICES])
        yield from self.field(DEVICE_PHONE, "dev-")
        yield Button("Add device", id="add-device", compact=True)
        yield Button("Remove first device", id="remove-device-0", compact=True)
        yield Button("Remove second device", id="remove-device-1", compact=True)
        self._values = values

    def on_mount(self) -> None:
        for name, value in self._values.items():
            self.query_one(f"#pf-{name}", Input).value = value
        super().on_mount()

    def _devices_text(self) -> str:
        labels = self.account.device_labels()
        lines = [f"{i}. {text}" for i, text in enumerate(labels, 1)] or ["(none)"]
        if len(labels) < 2:
            lines.append("HARP suggests a second device, in case you lose the first.")
        return "\n".join(lines)

    def _refresh_devices(self) -> None:
        self.query_one("#devices-now", Static).update(self._devices_text())

    @on(Button.Pressed, "#save-profile")
    def _save_profile(self, event: Button.Pressed) -> None:
        event.stop()
        self.show(self.account.edit_profile({n: self.value(f"pf-{n}") for n in EDITABLE}), "pf-")

    # a password's verify and a new hash run off the UI thread (screens/checking.py)

    @on(Button.Pressed, "#change-password")
    def _change_password(self, event: Button.Pressed) -> None:
        event.stop()
        if not self.may_check():
            return
        values = [self.value(f"pw-{name}") for name in ("old_password", "new_password", "new_password_confirm")]

        def shown(result: tuple[bool, dict[str, str], str]) -> None:
            self.clear("pw-old_password", "pw-new_password", "pw-new_password_confirm")
            self.show(result, "pw-")

        self.check(lambda: self.account.change_password(*values), shown, event.button)

    @on(Button.Pressed, "#update-challenge")
    def _update_challenge(self, event: Button.Pressed) -> None:
        event.stop()
        if not self.may_check():
            return
        values = [self.value(f"cq-{name}") for name in ("password", "challenge_question", "challenge_answer")]

        def shown(result: tuple[bool, dict[str, str], str]) -> None:
            self.clear("cq-password", "cq-challenge_answer")
            if self.show(result, "cq-"):
                self.query_one("#challenge-now", Static).update(
                    plain(f"Now: {self.flow.record.challenge_question}"))

        self.check(lambda: self.account.update_challenge(*values), shown, event.button)

    @on(Button.Pressed, "#add-device")
    def _add_device(self, event: Button.Pressed) -> None:
        event.stop()
        if self.show(self.account.add_device(self.value("dev-device_type"), self.value("dev-phone")), "dev-"):
            self.clear("dev-phone")
            self._refresh_devices()

    @on(Button.Pressed, "#remove-device-0, #remove-device-1")
    def _remove_device(self, event: Button.Pressed) -> None:
        event.stop()
        index = 0 if event.button.id == "remove-device-0" else 1
        if self.show(self.account.remove_device(index)):
            self._refresh_devices()
