"""The approver console (``iqies-onboard approve``): where the sandbox's CMS reviewer and the
providers' Provider Security Officials approve or reject the role requests trainees submit in the
wizard, and where a trainer moves the sandbox clock.

Routing, decisions, sign-in and the clock are the domain's (wizard/approvals.py, wizard/signin.py);
these screens only show them and pass on what was pressed. Every stored or typed text is shown
through :func:`plain` / :func:`styled` (sanitised, never markup-parsed): a requester's name may
hold ``[/]`` or control characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Static

from screens.keys import KeysInOrder
from screens.errors import ClosesQuietly
from screens.widgets import (
    SANDBOX_LINE,
    ConfirmScreen,
    FieldRow,
    HelpScreen,
    KeyFooter,
    PhoneScreen,
    field_input,
    plain,
    styled,
)
from wizard.approvals import (
    MAX_REASON, ApprovalError, Approvals, QueueItem, Reviewer, age_text, org_label, role_name,
    stored_date,
)
from wizard.models import REQUESTER_RELATIONSHIPS
from wizard.records import OrgDecision, RoleRequest, Status
from wizard.sanitize import clean_text
from wizard.signin import ApproverSignIn
from wizard.store import Store

REFRESH_SECONDS = 2.0  # how often the queue looks for requests submitted by a wizard elsewhere
EMPTY_QUEUE = "Nothing waits for you."
SERVICE_CENTER_NOTE = (
    "In the real iQIES only the iQIES Service Center (1-800-339-9313, iqies@cms.hhs.gov) removes a "
    "PSO who has left a provider, when the provider asks. In this sandbox the CMS reviewer stands "
    "in for the Service Center."
)

HELP_TITLE = "Help: the approver console"
HELP_BODY = """\
This console is part of the **practice sandbox**: nothing you do here leaves this computer.
It plays the approvers' side of iQIES, so a training room can see a role request through.

**Who decides what** (CMS rules): CMS approves a provider's *first* Provider Security Official
(PSO). After that, the provider's PSOs approve further PSOs and every other role. A request naming
several organizations is decided organization by organization. Sandbox rules: nobody approves
their own request, and a rejection needs a reason (the requester reads it).

**Signing in.** *Sign in as the CMS reviewer* uses a built-in sandbox account that stands in for
CMS staff (no password). A PSO signs in with the HARP User ID, password and code of a practice
account made in the wizard; for a text or voice device press *Send code*, then F2 shows that
account's (simulated) phone.

**Keys.** In the list: Enter opens a request; `t` moves the sandbox clock one day forward, `T`
seven days (a trainer's key: reminders after 2 days, role lapse after 60 days without signing in);
`p` (CMS reviewer) lists a provider's PSOs and removes one, standing in for the iQIES Service
Center; `s` signs out. In a request: `a` approves, `r` rejects, Esc goes back. Ctrl+Q quits.

The list refreshes itself every 2 seconds, so requests submitted in a wizard in another window
appear on their own.
"""


def _section(title: str) -> Static:
    return Static(Text(" ".join(clean_text(title).split()), style="bold"), classes="section")


def _note(text: str) -> Static:
    return Static(plain(text), classes="note")


class ConsoleBar(Vertical):
    """Two lines at the top: the sandbox line, then which page this is."""

    def __init__(self, title: str, right: str = "") -> None:
        super().__init__(id="topbar")
        self.title_text, self.right = title, right

    def compose(self) -> ComposeResult:
        with Horizontal(id="sandbox-row"):
            yield Static(SANDBOX_LINE, id="sandbox-line", markup=False)
            demo = getattr(self.app, "demo", False)
            yield Static(styled(("DEMO", "bold reverse"), " approver console") if demo
                         else plain("approver console"), id="page-step")
        with Horizontal(id="page-line"):
            yield Static(styled((" iQIES ", "bold"), "› ", (self.title_text, "bold")), id="page-title")
            yield Static(plain(self.right), id="page-address")


class ConsoleHelpScreen(HelpScreen):
    """F1: the console's own help (the wizard's help texts are per step)."""

    def __init__(self) -> None:
        super().__init__("console")

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text(HELP_TITLE, style="bold"), classes="dialog-title")
            yield Static("Practice sandbox: the approvers' side of iQIES", classes="dialog-subtitle", markup=False)
            with VerticalScroll(id="help-body"):
                yield Markdown(HELP_BODY)
            yield Button("Close (Esc)", id="close-help", variant="primary")


class ConsoleScreen(Screen):
    """Top bar, a scrolling body, the message line (refusals in $error) and the footer."""

    PAGE_TITLE = ""
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    @property
    def console(self) -> ApproverConsoleApp:
        return self.app  # type: ignore[return-value]

    @property
    def approvals(self) -> Approvals:
        return self.console.approvals

    @property
    def reviewer(self) -> Reviewer:
        reviewer = self.console.reviewer
        assert reviewer is not None, "a signed-in page without a reviewer"
        return reviewer

    def bar_right(self) -> str:
        reviewer = self.console.reviewer
        return f"signed in: {reviewer.name}" if reviewer else ""

    def compose(self) -> ComposeResult:
        yield ConsoleBar(self.PAGE_TITLE, self.bar_right())
        with VerticalScroll(id="console-body"):
            yield from self.compose_body()
        with Vertical(id="console-messages"):
            yield Static("", id="console-message", markup=False)
            yield Static("", id="console-advice", markup=False)
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    ready = False  # set once mounted (Textual's is_mounted only turns True after on_mount)

    def on_mount(self) -> None:
        self.ready = True
        if not getattr(self.app, "blink", True):
            for widget in self.query(Input):
                widget.cursor_blink = False

    def show_message(self, message: str, kind: str = "info", advice: str = "") -> None:
        """``kind``: info, success, warning or error; ``advice`` a second line in $warning."""
        widget = self.query_one("#console-message", Static)
        widget.update(plain(message))
        widget.set_classes(f"visible {kind}" if message else "")
        extra = self.query_one("#console-advice", Static)
        extra.update(plain(advice))
        extra.set_classes("visible warning" if advice else "")

    def message_text(self) -> str:
        return str(self.query_one("#console-message", Static).render())

    def action_help(self) -> None:
        self.app.push_screen(ConsoleHelpScreen())


# --- 1. sign in ----------------------------------------------------------------------------------


class SignInScreen(ConsoleScreen):
    PAGE_TITLE = "Approver console: sign in"
    BINDINGS = [Binding("f2", "phone", "Phone")]

    def __init__(self, message: str = "", kind: str = "info") -> None:
        super().__init__()
        self.initial = (message, kind)

    def compose_body(self) -> ComposeResult:
        yield Static(
            plain(
                "This is the practice sandbox's approver console: here the role requests made in "
                "the wizard are approved or rejected, as CMS and a provider's PSOs do in iQIES. "
                "Nothing leaves this computer."
            ),
            classes="intro",
        )
        yield _section("CMS reviewer")
        yield _note(
            "A built-in sandbox account standing in for CMS staff, who approve each provider's "
            "first Provider Security Official (PSO). No password."
        )
        yield Button("Sign in as the CMS reviewer", id="sign-in-cms", compact=True)
        yield _section("Provider Security Official")
        yield _note("A practice account from the wizard that is an active PSO of a provider.")
        yield FieldRow("user_id", "HARP User ID", field_input(max_length=74))
        yield FieldRow("password", "Password", field_input(password=True, max_length=60))
        yield FieldRow(
            "code", "Security code", field_input("6 digits", max_length=8),
            note="Text or voice device: press Send code, then F2 shows that account's phone. "
                 "Authenticator app: type the code it shows.",
        )
        with Horizontal(classes="nav"):
            yield Button("Send code", id="send-code", compact=True)
            yield Button("Sign in", id="sign-in-pso", variant="primary", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        if self.initial[0]:
            self.show_message(*self.initial)
        self.query_one("#sign-in-cms", Button).focus()

    def field(self, name: str) -> Input:
        return self.query_one(f"#field-{name}", FieldRow).control  # type: ignore[return-value]

    @on(Button.Pressed, "#sign-in-cms")
    def _cms(self, event: Button.Pressed) -> None:
        event.stop()
        self.console.signed_in(self.console.signin.cms())

    @on(Button.Pressed, "#send-code")
    def _send_code(self, event: Button.Pressed) -> None:
        event.stop()
        user_id = self.field("user_id").value
        if not user_id.strip():
            self.show_message("Type your HARP User ID first: the code goes to that account's phone.", "error")
            self.field("user_id").focus()
            return
        self.show_message(self.console.signin.send_code(user_id), "info")
        self.field("code").focus()

    @on(Button.Pressed, "#sign-in-pso")
    def _sign_in_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.sign_in()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["user_id", "password", "code"]
        for i, name in enumerate(order):
            if event.input is self.field(name):
                if i + 1 < len(order):
                    self.field(order[i + 1]).focus()
                else:
                    self.sign_in()
                return

    def sign_in(self) -> None:
        reviewer, message = self.console.signin.sign_in(
            self.field("user_id").value, self.field("password").value, self.field("code").value
        )
        if reviewer is None:
            self.field("code").value = ""
            self.show_message(message, "error")
            return
        self.console.signed_in(reviewer)

    def action_phone(self) -> None:
        user_id = self.field("user_id").value.strip()
        if not user_id:
            self.show_message("Type the HARP User ID first: F2 shows that account's phone.", "error")
            return
        self.app.push_screen(PhoneScreen(self.console.signin.phone(user_id)))


# --- 2. the queue --------------------------------------------------------------------------------


class QueueTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class QueueScreen(ConsoleScreen):
    PAGE_TITLE = "Pending role requests"
    BINDINGS = [
        Binding("t", "clock(1)", "+1 day"),
        Binding("T", "clock(7)", "+1 week", key_display="T"),
        Binding("shift+t", "clock(7)", "Clock +7 days", show=False),
        Binding("p", "psos", "PSOs"),
        Binding("f2", "inbox", "Inbox"),
        Binding("s", "sign_out", "Sign out"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._fingerprint: Any = None
        self._widths: tuple[int, ...] = ()
        self.items: dict[str, QueueItem] = {}

    def bar_right(self) -> str:
        return ""

    def compose_body(self) -> ComposeResult:
        yield Static("", id="queue-header")
        yield Static(EMPTY_QUEUE, id="queue-empty", markup=False)
        table = QueueTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_queue(force=True)
        self.query_one(QueueTable).focus()
        self.set_interval(REFRESH_SECONDS, self.refresh_queue)

    def on_screen_resume(self) -> None:
        self.refresh_queue()

    def on_resize(self) -> None:
        self.refresh_queue(force=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "psos":
            return self.console.reviewer is not None and self.console.reviewer.is_cms
        return True

    # presentation only: who, which date, which rows
    def header_text(self, count: int, own: int = 0) -> Text:
        now = self.approvals.now()
        offset = self.approvals.store.clock_offset_days()
        when = f"sandbox date {now.date().isoformat()}"
        if offset:
            when += f" (clock moved +{offset} day{'s' if offset != 1 else ''})"
        mine = count - own  # own requests are listed, but another approver decides them
        waiting = (
            "" if not count else
            f"{mine} decision{'s' if mine != 1 else ''} wait{'s' if mine == 1 else ''} for you"
            + (f", and {own} request{'s' if own != 1 else ''} of your own that another PSO decides" if own else "")
            + ", oldest first. Enter opens one."
        )
        return styled(("Signed in: ", "bold"), self.reviewer.name, " · ", when, "\n", waiting)

    def column_widths(self) -> tuple[int, int, int, int]:
        """Requester, Role, Organization, Age: the window's width shared out (each cell has one
        space of padding either side, and the scroll bar takes two)."""
        width = max(40, self.size.width or 80)
        room = width - 2 - 8 - 2
        age, role = 7, 18
        requester = max(10, (room - age - role) * 2 // 5)
        org = max(12, room - age - role - requester)
        return requester, role, org, age

    def cells(self, item: QueueItem) -> tuple[Text, Text, Text, Text]:
        req, org = item.request, item.org
        requester = plain(str(req.requester or req.user_id or "?"))
        if item.own:
            requester.append_text(plain("\n(your own)", style="italic"))
        place = ", ".join(p for p in (org.city or "", org.state or "") if p)
        organization = styled(org.name or "?", "\n", f"CCN {org.ccn}" + (f" · {place}" if place else ""))
        for text in (requester, organization):
            text.no_wrap, text.overflow = True, "ellipsis"
        role = plain(role_name(req.role))
        role.overflow = "ellipsis"
        return requester, role, organization, Text(age_text(item.age_days))

    def refresh_queue(self, force: bool = False) -> None:
        if self.console.reviewer is None or not self.ready:
            return
        if not force and not self.is_current:
            return  # a request is open on top: it refreshes when the list shows again
        stamp = (self.approvals.store.shared_stamp(), self.approvals.now().date())
        if stamp != getattr(self, "_swept", None):
            # what the sandbox date calls for (reminders, lapsed roles), whoever moved it
            self.approvals.sweep()
            self._swept = (self.approvals.store.shared_stamp(), stamp[1])
        items = self.approvals.queue(self.reviewer)
        widths = self.column_widths()
        header = self.header_text(len(items), sum(1 for i in items if i.own))
        fingerprint = (
            header.plain, widths,
            tuple((i.key, i.request.requester, i.request.role, i.org.name, i.age_days, i.own)
                  for i in items),
        )
        if fingerprint == self._fingerprint and not force:
            return
        self._fingerprint = fingerprint
        self.query_one("#queue-header", Static).update(header)
        table = self.query_one(QueueTable)
        selected = self.selected_key()
        if widths != self._widths or not table.columns:
            table.clear(columns=True)
            for label, width in zip(("Requester", "Role", "Organization", "Age"), widths):
                table.add_column(label, width=width, key=label.lower())
            self._widths = widths
        else:
            table.clear()
        self.items = {}
        for item in items:
            key = f"{item.key[0]}:{item.key[1]}"
            self.items[key] = item
            table.add_row(*self.cells(item), key=key, height=2)
        self.query_one("#queue-empty").display = not items
        was_shown = table.display
        table.display = bool(items)
        if items and not was_shown and self.focused is None:
            table.focus()  # the list was empty and focus went nowhere: Enter opens again
        if selected in self.items:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    def selected_key(self) -> str | None:
        table = self.query_one(QueueTable)
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self.items.get(str(event.row_key.value))
        if item is not None:
            self.app.push_screen(DetailScreen(item.request.id, item.org.ccn))

    def action_clock(self, days: int) -> None:
        try:
            sent = self.approvals.advance_clock(days)
        except ApprovalError as err:
            self.show_message(str(err), "error")
            return
        moved = f"Sandbox clock moved forward {days} day{'s' if days != 1 else ''}: it is now {self.approvals.now().date().isoformat()}."
        if sent:
            # in the message line, not a pop-up: repeated presses would stack notices over the list
            shown = " ".join(sent[:2]) + (f" And {len(sent) - 2} more (F2 shows the emails)." if len(sent) > 2 else "")
            self.show_message(f"{moved} {shown}", "info")
        else:
            self.show_message(f"{moved} Nothing was due on that date.", "info")
        self.refresh_queue(force=True)

    def action_inbox(self) -> None:
        """The signed-in approver's email: the requests waiting for them arrive there too."""
        reviewer = self.reviewer
        if reviewer.user_id:
            messages = self.console.signin.inbox(reviewer.user_id)
        else:
            messages = list(reversed(self.approvals.store.mailer.messages(to=reviewer.email)))
        self.app.push_screen(PhoneScreen(messages))

    def action_psos(self) -> None:
        if self.console.reviewer is not None and self.console.reviewer.is_cms:
            key = self.selected_key()
            ccn = self.items[key].org.ccn if key in self.items else ""
            self.app.push_screen(PsoScreen(ccn))

    def action_sign_out(self) -> None:
        self.console.sign_out()


# --- 3. one request ------------------------------------------------------------------------------


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
        self.set_interval(REFRESH_SECONDS, self._tick)

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


# --- 4. the reason for a rejection ---------------------------------------------------------------


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


# --- CMS only: a provider's PSOs -----------------------------------------------------------------


class PsoScreen(ConsoleScreen):
    """The active PSOs of one provider; the CMS reviewer removes one who left (standing in for the
    iQIES Service Center)."""

    PAGE_TITLE = "A provider's PSOs"
    BINDINGS = [Binding("escape", "back", "Back to the list")]

    def __init__(self, ccn: str = "") -> None:
        super().__init__()
        self.ccn = ccn

    def compose_body(self) -> ComposeResult:
        yield Static(plain(SERVICE_CENTER_NOTE), classes="intro")
        yield Static(self.providers_line(), id="pso-providers", classes="intro")
        yield FieldRow("ccn", "Provider's CCN", field_input("6 characters, e.g. 015009", max_length=12))
        with Horizontal(classes="nav"):
            yield Button("Show PSOs", id="show-psos", variant="primary", compact=True)
        yield Static("", id="pso-heading")
        yield Vertical(id="pso-list")

    def on_mount(self) -> None:
        super().on_mount()
        field = self.ccn_input()
        field.value = self.ccn
        field.focus()
        if self.ccn:
            self.show_psos()

    def providers_line(self) -> Text:
        """Which providers have PSOs, so the reviewer need not know the CCN by heart."""
        found = self.approvals.providers_with_psos()
        if not found:
            return plain("No provider has an active PSO in this sandbox yet.")
        shown = [f"{ccn} {name} ({len(psos)})" for ccn, name, psos in found[:6]]
        more = f", and {len(found) - 6} more" if len(found) > 6 else ""
        return plain("Providers with active PSOs (how many): " + "; ".join(shown) + more + ".")

    def ccn_input(self) -> Input:
        return self.query_one("#field-ccn", FieldRow).control  # type: ignore[return-value]

    @on(Input.Submitted)
    @on(Button.Pressed, "#show-psos")
    def _show(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.show_psos()

    def show_psos(self) -> None:
        # the providers line is read again with the list, so after a removal both agree
        self.query_one("#pso-providers", Static).update(self.providers_line())
        self.ccn = self.ccn_input().value.strip().upper()
        box = self.query_one("#pso-list", Vertical)
        box.remove_children()
        heading = self.query_one("#pso-heading", Static)
        if not self.ccn:
            heading.update("")
            self.show_message("Type the provider's CCN.", "error")
            return
        psos = self.approvals.psos_of(self.ccn)
        if not psos:
            heading.update(plain(f"CCN {self.ccn} has no active PSO in this sandbox: its next PSO "
                                 "request goes to CMS."))
            return
        heading.update(plain(f"Active PSOs of CCN {self.ccn}: {len(psos)}", style="bold"))
        for pso in psos:
            box.mount(Horizontal(
                Static(styled((pso.requester or "?", "bold"), f"  User ID {pso.user_id}",
                              "\n", pso.email or ""), classes="pso-name"),
                Button("Remove", variant="error", compact=True, name=str(pso.user_id or "")),
                classes="pso-row",
            ))

    @on(Button.Pressed, ".pso-row Button")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        user_id, ccn = str(event.button.name), self.ccn

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                sentence = self.approvals.remove_pso(self.reviewer, ccn, user_id)
            except ApprovalError as err:
                self.show_message(str(err), "error")
            else:
                self.show_message(sentence, "success")
            self.show_psos()

        self.app.push_screen(
            ConfirmScreen(
                f"Remove {user_id} as PSO of CCN {ccn}?",
                f"Do this only when the provider says this person has left. {SERVICE_CENTER_NOTE} "
                "The person is emailed; a provider left without a PSO sends its next PSO request to CMS.",
                yes="Remove the PSO",
            ),
            confirmed,
        )

    def action_back(self) -> None:
        self.app.pop_screen()


# --- the app -------------------------------------------------------------------------------------


class ApproverConsoleApp(KeysInOrder, ClosesQuietly, App):
    ERROR_WHERE = "console"
    TITLE = "iqies-onboard approver console"
    CSS_PATH = ["app.tcss", "console.tcss"]
    ENABLE_COMMAND_PALETTE = False  # its footer entry would crowd out the console's own keys
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] | None = None,
        randbelow: Callable[[int], int] | None = None,
        blink: bool = True,
        catch_errors: bool = True,
    ) -> None:
        super().__init__()
        self.init_closing(blink=blink, catch_errors=catch_errors)
        given = {"clock": clock, "randbelow": randbelow}
        self.store = store
        # the demo's own data directory (iqies-onboard approve --demo): every page says DEMO
        from wizard.demo import STATE_NAME

        self.demo = (store.data_dir / STATE_NAME).exists()
        if self.demo:
            self.title = "iqies-onboard approver console (DEMO)"
        self.signin = ApproverSignIn(store, **{k: v for k, v in given.items() if v is not None})
        self.approvals: Approvals = self.signin.approvals
        self.reviewer: Reviewer | None = None

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        if self.store.notice:
            self.notify(clean_text(self.store.notice), title="Progress recovered", severity="warning",
                        timeout=15, markup=False)

    def signed_in(self, reviewer: Reviewer) -> None:
        self.reviewer = reviewer
        self.switch_screen(QueueScreen())

    def sign_out(self) -> None:
        name = self.reviewer.name if self.reviewer else ""
        self.reviewer = None
        self.signin.sign_out()
        while len(self.screen_stack) > 2:  # the default screen, then ours
            self.pop_screen()
        self.switch_screen(SignInScreen(f"{name} signed out." if name else "", "info"))

    def action_quit(self) -> None:
        self.exit()

    def on_unmount(self) -> None:
        self.signin.sign_out()
