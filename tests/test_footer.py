"""The key footer (screens.widgets.KeyFooter): rebuilt only when the keys it shows change, and
then always."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from screens.widgets import KeyFooter


class Searchable(Input):
    BINDINGS = [Binding("f5", "noop", "Search")]

    def action_noop(self) -> None:
        pass


class Page(App):
    BINDINGS = [Binding("f1", "noop", "Help"), Binding("f7", "toggle", "Toggle")]
    allowed = True

    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield Input(id="two")
        yield Searchable(id="three")
        yield KeyFooter()

    def action_noop(self) -> None:
        pass

    def action_toggle(self) -> None:
        pass

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            return True if self.allowed else None  # None: shown, but dimmed
        return True


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    # the footer rebuilds after a refresh: give it time, so that "not rebuilt" means it
    await pilot.pause()
    await pilot.pause(0.1)


def shown(app: App) -> list[tuple[str, bool]]:
    return [(key.description, key.has_class("-disabled")) for key in app.query(FooterKey)]


async def test_focus_moves_that_keep_the_keys_do_not_rebuild_the_footer():
    app = Page()
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        keys = list(app.query(FooterKey))
        assert [k.description for k in keys] == ["Help", "Toggle", "palette"]
        await pilot.press("tab")  # one -> two: same keys
        await settle(pilot)
        assert app.focused.id == "two"
        assert list(app.query(FooterKey)) == keys  # the very same widgets


async def test_new_keys_and_dimmed_keys_still_show():
    app = Page()
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        app.query_one("#three").focus()
        await settle(pilot)
        assert ("Search", False) in shown(app)
        app.query_one("#one").focus()
        await settle(pilot)
        assert "Search" not in [d for d, _ in shown(app)]
        app.allowed = False
        app.refresh_bindings()
        await settle(pilot)
        assert ("Toggle", True) in shown(app)
