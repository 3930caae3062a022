"""CMS only: a provider's PSOs, and removing one who left (standing in for the iQIES Service
Center)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from screens.widgets import ConfirmScreen, FieldRow, field_input, plain, styled
from wizard.approvals import ApprovalError
from screens.console.base import SERVICE_CENTER_NOTE, ConsoleScreen


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
