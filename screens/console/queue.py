"""The queue: the pending organizations routed to whoever signed in, refreshed as requests
arrive from wizards in other windows; the trainer's clock keys."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from screens.widgets import PhoneScreen, plain, styled
from wizard.approvals import ApprovalError, QueueItem, age_text, role_name
from screens.console.base import EMPTY_QUEUE, ConsoleScreen
from screens.console.access import AccessScreen
from screens.console.detail import DetailScreen
from screens.console.psos import PsoScreen


class QueueTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class QueueScreen(ConsoleScreen):
    PAGE_TITLE = "Pending role requests"
    BINDINGS = [
        Binding("t", "clock(1)", "+1 day"),
        Binding("T", "clock(7)", "+1 week", key_display="T"),
        Binding("shift+t", "clock(7)", "Clock +7 days", show=False),
        Binding("p", "psos", "PSOs"),
        Binding("m", "manage_access", "Access"),  # Manage access; short: the footer fits 80 columns
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
        self.set_interval(self.REFRESH_SECONDS, self.refresh_queue)

    def on_screen_resume(self) -> None:
        self.refresh_queue()

    def on_resize(self) -> None:
        self.refresh_queue(force=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "psos":
            return self.console.reviewer is not None and self.console.reviewer.is_cms
        if action == "manage_access":  # a PSO's page; the CMS reviewer removes PSOs with p
            return self.console.reviewer is not None and not self.console.reviewer.is_cms
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
        return self.cursor_row_key(self.query_one(QueueTable))

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

        def messages() -> list[dict]:  # read again while open: a "not sent" line follows the SMTP sender
            if reviewer.user_id:
                return self.console.signin.inbox(reviewer.user_id)
            return list(reversed(self.approvals.store.mailer.messages(to=reviewer.email)))

        self.app.push_screen(PhoneScreen(messages(), reload=messages))

    def action_psos(self) -> None:
        if self.console.reviewer is not None and self.console.reviewer.is_cms:
            key = self.selected_key()
            ccn = self.items[key].org.ccn if key in self.items else ""
            self.app.push_screen(PsoScreen(ccn))

    def action_manage_access(self) -> None:
        if self.console.reviewer is not None and not self.console.reviewer.is_cms:
            self.app.push_screen(AccessScreen())

    def action_sign_out(self) -> None:
        self.console.sign_out()
