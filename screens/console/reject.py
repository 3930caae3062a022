"""The reason for a rejection: a dialog, since the requester reads it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.widgets import field_input, plain, styled
from wizard.approvals import MAX_REASON, ApprovalError, Approvals, Reviewer, org_label, role_name
from wizard.records import OrgDecision, RoleRequest


class RejectScreen(ModalScreen[str | None]):
    """Reject one organization of a request: the reason is required (the domain refuses none)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, reviewer: Reviewer, request: RoleRequest, org: OrgDecision) -> None:
        super().__init__()
        self.reviewer, self.request, self.org = reviewer, request, org

    @property
    def approvals(self) -> Approvals:
        return self.app.approvals  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical(id="reject-dialog", classes="dialog"):
            yield Static(Text("Reject this request", style="bold"), classes="dialog-title")
            yield Static(
                styled(self.request.requester or "?", " asked for ",
                       role_name(self.request.role), " at ", org_label(self.org), "."),
                classes="dialog-subtitle",
            )
            yield Static(
                plain("Why? The requester reads this in their email and on Pending Requests, so say "
                      "what to fix (a reason is required)."),
                classes="confirm-body",
            )
            reason = field_input("Reason for the rejection", max_length=MAX_REASON)
            reason.id = "reject-reason"
            yield reason
            yield Static("", id="reject-message", markup=False)
            with Horizontal(classes="nav"):
                yield Button("Cancel", id="reject-cancel", compact=True)
                yield Button("Reject", id="reject-confirm", variant="error", compact=True)

    def on_mount(self) -> None:
        reason = self.query_one("#reject-reason", Input)
        if not getattr(self.app, "blink", True):
            reason.cursor_blink = False
        reason.focus()

    @on(Input.Submitted, "#reject-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.reject()

    @on(Button.Pressed, "#reject-confirm")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        self.reject()

    @on(Button.Pressed, "#reject-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def reject(self) -> None:
        reason = self.query_one("#reject-reason", Input).value
        try:
            sentence = self.approvals.decide(self.reviewer, self.request.id, self.org.ccn, False, reason).text
        except ApprovalError as err:
            message = self.query_one("#reject-message", Static)
            message.update(plain(str(err)))
            message.set_classes("visible error")
            self.query_one("#reject-reason", Input).focus(scroll_visible=False)
            self.call_after_refresh(message.scroll_visible, animate=False)
            return
        self.dismiss(sentence)
