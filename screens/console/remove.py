"""The reason for removing a user's role (Manage access): a dialog, since the user reads it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.widgets import field_input, plain, styled
from wizard.approvals import MAX_REASON, AccessEntry, ApprovalError, Approvals, Decision, Reviewer, role_name


class RemoveRoleScreen(ModalScreen["Decision | None"]):
    """Remove one user's role at one provider: the reason is required (the domain refuses none).
    Dismissed with what was done (a Decision), or None (cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, reviewer: Reviewer, entry: AccessEntry) -> None:
        super().__init__()
        self.reviewer, self.entry = reviewer, entry

    @property
    def approvals(self) -> Approvals:
        return self.app.approvals  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        req, org = self.entry.request, self.entry.org
        with Vertical(id="remove-dialog", classes="dialog"):
            yield Static(Text("Remove this role", style="bold"), classes="dialog-title")
            yield Static(
                styled((req.requester or "?", "bold"), f" (User ID {req.user_id}) has ",
                       role_name(req.role), " at ", org.label, "."),
                classes="dialog-subtitle",
            )
            yield Static(
                plain("Why? For example: left the provider. The user is emailed the reason and sees "
                      "the role as Removed on Pending Requests; their HARP account stays."),
                classes="confirm-body",
            )
            reason = field_input("Reason for the removal", max_length=MAX_REASON)
            reason.id = "remove-reason"
            yield reason
            yield Static("", id="remove-message", markup=False)
            with Horizontal(classes="nav"):
                yield Button("Cancel", id="remove-cancel", compact=True)
                yield Button("Remove the role", id="remove-confirm", variant="error", compact=True)

    def on_mount(self) -> None:
        reason = self.query_one("#remove-reason", Input)
        if not getattr(self.app, "blink", True):
            reason.cursor_blink = False
        reason.focus()

    @on(Input.Submitted, "#remove-reason")
    @on(Button.Pressed, "#remove-confirm")
    def _confirm(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.confirm_removal()

    @on(Button.Pressed, "#remove-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def confirm_removal(self) -> None:
        reason = self.query_one("#remove-reason", Input).value
        try:
            done = self.approvals.remove_role(self.reviewer, self.entry.request.id, self.entry.org.ccn, reason)
        except ApprovalError as err:
            message = self.query_one("#remove-message", Static)
            message.update(plain(str(err)))
            message.set_classes("visible error")
            self.query_one("#remove-reason", Input).focus(scroll_visible=False)
            self.call_after_refresh(message.scroll_visible, animate=False)
            return
        self.dismiss(done)
