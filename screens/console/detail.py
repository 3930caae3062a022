"""One request: its facts and each organization's decision, with Approve and Reject."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from screens.widgets import plain, styled
from wizard.approvals import ApprovalError, age_text, org_label, role_name, stored_date
from wizard.models import REQUESTER_RELATIONSHIPS
from wizard.records import OrgDecision, RoleRequest, Status
from screens.console.base import ConsoleScreen, _section
from screens.console.reject import RejectScreen


class DetailScreen(ConsoleScreen):
    PAGE_TITLE = "Role request"
    BINDINGS = [
        Binding("a", "decide('approve')", "Approve"),
        Binding("r", "decide('reject')", "Reject"),
        Binding("escape", "back", "Back to the list"),
    ]

    def __init__(self, request_id: str, ccn: str) -> None:
        super().__init__()
        self.request_id, self.ccn = request_id, ccn
        self._fingerprint: Any = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="detail-title")
        yield Static("", id="detail-facts")
        yield _section("Organizations (each one is decided on its own)")
        yield Vertical(id="detail-orgs")

    def on_mount(self) -> None:
        super().on_mount()
        self.rebuild()
        self.set_interval(self.REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.is_current:  # a dialog on top: it refreshes when the page shows again
            self.rebuild()

    def on_screen_resume(self) -> None:
        self.rebuild()

    def request(self) -> tuple[RoleRequest | None, list[RoleRequest]]:
        requests = self.approvals.store.requests()
        return next((r for r in requests if r.id == self.request_id), None), requests

    def decidable(self, req: RoleRequest, requests: list[RoleRequest]) -> list[str]:
        return [o.ccn for o in req.organizations if self.approvals.can_decide(self.reviewer, req, o, requests)]

    def rebuild(self, force: bool = False) -> None:
        if not self.ready or self.console.reviewer is None:
            return
        req, requests = self.request()
        rows = []
        if req is not None:
            rows = [(o.ccn, *self.approvals.reviewer_status(self.reviewer, req, o, requests)) for o in req.organizations]
        fingerprint = (req is None, tuple(rows), self.approvals.age_days(req) if req else 0)
        if fingerprint == self._fingerprint and not force:
            return
        self._fingerprint = fingerprint
        title = self.query_one("#detail-title", Static)
        facts = self.query_one("#detail-facts", Static)
        box = self.query_one("#detail-orgs", Vertical)
        before = self.focused
        focused = (before.name, before.classes) if isinstance(before, Button) else None
        removed = box.remove_children()
        for heading in self.query(".section"):
            heading.display = req is not None  # no "Organizations" heading over nothing
        if req is None:
            title.update(Text("This request no longer exists", style="bold"))
            facts.update(plain("The requester may have reset their practice. Esc goes back to the list."))
            return
        own = self.approvals.is_own(self.reviewer, req)
        title.update(styled((role_name(req.role), "bold"), " requested by ",
                            (req.requester or "?", "bold"), " (your own request)" if own else ""))
        opened = req.org(self.ccn)
        relationship = req.relationship or ""
        fact_rows = [
            ("Requester", f"{req.requester or '?'}" + (f" (User ID {req.user_id})" if req.user_id else "")),
            ("Email", req.email or ""),
            ("Relationship", f"{relationship}: {REQUESTER_RELATIONSHIPS[relationship]}" if relationship in REQUESTER_RELATIONSHIPS else relationship or "not stated"),
            ("Submitted", f"{stored_date(req.submitted_at)} ({age_text(self.approvals.age_days(req))})"),
            ("Opened for", org_label(opened) if opened else f"CCN {self.ccn}"),
        ]
        text = Text()
        for i, (label, value) in enumerate(fact_rows):
            text.append_text(styled((f"{label:<13}", "bold"), value))
            if i + 1 < len(fact_rows):
                text.append("\n")
        facts.update(text)
        decidable = self.decidable(req, requests)
        cards = []
        for org in req.organizations:
            sentence, kind = self.approvals.reviewer_status(self.reviewer, req, org, requests)
            mark = "▶ " if org.ccn == self.ccn else "  "
            place = ", ".join(p for p in (org.city or "", org.state or "") if p)
            parts: list = [
                Static(styled((mark, "bold"), (org_label(org), "bold"), f"  {place}" if place else ""), classes="org-name"),
                Static(plain(sentence), classes=f"org-status {kind}"),
            ]
            if org.ccn in decidable:
                # no ids: the old cards are still being removed while these are mounted
                parts.append(Horizontal(
                    Button("Approve", classes="approve", variant="success", compact=True, name=org.ccn),
                    Button("Reject", classes="reject", variant="error", compact=True, name=org.ccn),
                    classes="org-buttons",
                ))
            cards.append(Vertical(*parts, classes="org-card"))
        mounted = box.mount_all(cards)

        async def refocus() -> None:
            # only once the new cards are in: before that focus would find no button and stay
            # on the page, and a / r would act on the organization just decided
            await removed
            await mounted
            buttons = list(self.query("#detail-orgs Button").results(Button))
            again = [b for b in buttons if focused is not None and (b.name, b.classes) == focused]
            opened = [b for b in buttons if b.name == self.ccn]  # the organization opened from the list
            for choice in (again, opened, buttons):
                if choice:
                    choice[0].focus()
                    return

        self.call_after_refresh(refocus)

    def target_ccn(self) -> str | None:
        """The organization the a / r keys act on: the one whose button has focus, else the one
        opened from the list, else the first this reviewer can decide."""
        focused = self.focused
        if isinstance(focused, Button) and focused.name and (focused.has_class("approve") or focused.has_class("reject")):
            return focused.name
        req, requests = self.request()
        if req is None:
            return None
        decidable = self.decidable(req, requests)
        if self.ccn in decidable:
            return self.ccn
        return decidable[0] if decidable else None

    @on(Button.Pressed, ".org-buttons Button")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.decide(str(event.button.name), event.button.has_class("approve"))

    def action_decide(self, what: str) -> None:
        ccn = self.target_ccn()
        if ccn is None:
            self.show_message("Nothing in this request is left for you to decide. Esc goes back to the list.", "info")
            return
        self.decide(ccn, what == "approve")

    def decide(self, ccn: str, approve: bool) -> None:
        req, _ = self.request()
        if req is None:
            self.rebuild(force=True)
            return
        if not approve:
            refusal = self.approvals.refusal(self.reviewer, self.request_id, ccn, approve=False)
            if refusal:  # say so before asking for a reason
                self.show_message(refusal, "error")
                self.rebuild()
                return
            org = req.org(ccn) or OrgDecision(ccn=ccn, status=Status.PENDING)
            self.app.push_screen(RejectScreen(self.reviewer, req, org), self._rejected)
            return
        try:
            decision = self.approvals.decide(self.reviewer, self.request_id, ccn, True)
        except ApprovalError as err:
            self.show_message(str(err), "error")
            self.rebuild()
            return
        self.show_message(decision.text, "success", advice=decision.advice)
        self.rebuild(force=True)

    def _rejected(self, sentence: str | None) -> None:
        if sentence:
            self.show_message(sentence, "success")
        self.rebuild(force=True)

    def action_back(self) -> None:
        self.app.pop_screen()
