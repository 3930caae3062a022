"""Manage access (a PSO; sandbox, modelled on iQIES Manage Access): everyone with a role or a
pending request at the PSO's providers, and removing the role of someone who left. The list and
the rules are the domain's (wizard/approvals_access.py); this page shows them."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from screens.widgets import plain, styled
from wizard.approvals import AccessEntry, Decision, role_name
from wizard.approvals_access import PAGE_NOTE
from screens.console.base import ConsoleScreen
from screens.console.remove import RemoveRoleScreen


class AccessTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "Remove")]


class AccessScreen(ConsoleScreen):
    PAGE_TITLE = "Manage access"
    BINDINGS = [
        Binding("escape", "back", "Back to requests"),
        Binding("r", "remove", "Remove role", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, AccessEntry] = {}
        self._fingerprint: object = None

    def compose_body(self) -> ComposeResult:
        yield Static(plain(f"{PAGE_NOTE} Everyone with a role or a pending request at your "
                           "providers. When someone leaves, select their row and press Enter to "
                           "remove the role (a reason is required)."), classes="intro")
        yield Static("", id="access-empty", markup=False)
        yield AccessTable(id="access", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_list(force=True)
        self.query_one(AccessTable).focus()
        self.set_interval(self.REFRESH_SECONDS, self.refresh_list)

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def column_widths(self) -> tuple[int, int, int, int]:
        """Name and User ID, Role and status, Since, Last sign-in: the window's width shared out."""
        width = max(40, self.size.width or 80)
        room = width - 2 - 8 - 2
        since, last = 10, 12
        name = max(12, (room - since - last) // 2)
        return name, max(12, room - since - last - name), since, last

    @staticmethod
    def cells(entry: AccessEntry) -> tuple[Text, Text, Text, Text]:
        req, org = entry.request, entry.org
        who = styled((req.requester or "?", "bold"), "\n", str(req.user_id or ""))
        if entry.own:
            who.append(" (you)", style="italic")
        role = styled(role_name(req.role), "\n", f"{org.status.label} · CCN {org.ccn}")
        for text in (who, role):
            text.no_wrap, text.overflow = True, "ellipsis"
        return who, role, Text(entry.since), Text(entry.last_sign_in)

    def refresh_list(self, force: bool = False) -> None:
        if self.console.reviewer is None or not self.ready or (not force and not self.is_current):
            return
        entries = self.approvals.access_list(self.reviewer)
        widths = self.column_widths()
        fingerprint = (widths, tuple((e.key, e.org.status, e.since, e.last_sign_in) for e in entries))
        if fingerprint == self._fingerprint and not force:
            return
        self._fingerprint = fingerprint
        table = self.query_one(AccessTable)
        selected = self.selected_key()
        table.clear(columns=True)
        for label, width in zip(("Name / User ID", "Role / status", "Since", "Last sign-in"), widths):
            table.add_column(label, width=width)
        self.entries = {}
        for entry in entries:
            key = f"{entry.key[0]}:{entry.key[1]}"
            self.entries[key] = entry
            table.add_row(*self.cells(entry), key=key, height=2)
        empty = self.query_one("#access-empty", Static)
        empty.update("" if entries else "Nobody has a role or a pending request at your providers.")
        empty.display = not entries
        table.display = bool(entries)
        if selected in self.entries:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    def selected_key(self) -> str | None:
        return self.cursor_row_key(self.query_one(AccessTable))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.ask_removal(self.entries.get(str(event.row_key.value)))

    def action_remove(self) -> None:
        self.ask_removal(self.entries.get(self.selected_key() or ""))

    def ask_removal(self, entry: AccessEntry | None) -> None:
        if entry is None:
            return
        refusal = self.approvals.removal_refusal(self.reviewer, entry.request.id, entry.org.ccn)
        if refusal:  # said before the dialog opens (the last PSO, a pending request)
            self.show_message(refusal, "error")
            return

        self.show_message("")  # an earlier refusal would sit under the dialog

        def done(decision: Decision | None) -> None:
            if decision is not None:
                self.show_message(decision.text, "success", decision.advice)
            self.refresh_list(force=True)

        self.app.push_screen(RemoveRoleScreen(self.reviewer, entry), done)

    def action_back(self) -> None:
        self.app.pop_screen()
