"""Trainer mode (``iqies-onboard demo``): the wizard with a persona's fake data on every page.

The trainer still presses Next on every page, so the audience sees each one. On top of the
wizard: presenter notes beside the form (F4), a high-contrast theme for a projector (F6), a reset
of the whole demo with a confirmation (F8) and, in the command palette (Ctrl+P), "Jump to step N".
The domain side (scenarios, setup, jumps, what each page is filled with) is ``wizard/demo.py``.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hits
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.system_commands import SystemCommandsProvider
from textual.widgets.option_list import Option

from screens.app import OnboardingApp
from screens.base import STEP_LIST_WIDTH, StepScreen
from screens.widgets import ConfirmScreen, FieldRow, KeyFooter, plain, set_control, styled
from wizard.answers import personas
from wizard.demo import DemoSession, jump, page_fill, presenter_notes, scenarios, start
from wizard.steps import Step
from wizard.store import Store

HIGH_CONTRAST = Theme(
    name="iqies-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#00FFFF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#262626",
    boost="#333333",
    success="#00FF66",
    warning="#FFD700",
    error="#FF7070",
    dark=True,
    luminosity_spread=0.1,
    text_alpha=1.0,
    variables={
        "text-muted": "#E6E6E6",  # no dim grey text on a projector
        "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF",
        "input-selection-background": "#00FFFF 40%",
    },
)
NOTES_STEP_LIST_WIDTH = 140  # with notes open the step list needs a wide window (at 120x40 the form gets its
# room, about 70 columns, not 46); the top bar still says which step this is
PICKER_KEYS = "↑/↓ choose a scenario · Enter starts it · F6 high contrast · Ctrl+Q quits"
RESUMED_ACCOUNT_NOTE = "Demo: passwords and the answer are never saved; the persona filled them in again."
KEYS_LINE = "F4 notes · F6 high contrast · F8 reset · Ctrl+P jump to a step"


def fill_widgets(screen: StepScreen, form: dict[str, Any]) -> None:
    """Put values into a page's controls as if typed (password inputs too: only widgets get
    them; the flow's drafts never keep a secret)."""
    for name, value in form.items():
        if value is None:
            continue
        rows = list(screen.query(f"#field-{name}").results(FieldRow))
        if not rows:
            continue
        try:
            set_control(rows[0].control, value)
        except Exception:  # a persona value the page does not offer must not stop the page
            continue


class NotesPanel(VerticalScroll):
    """Presenter notes for one step: the scenario's script, the real page, usual mistakes, tips."""

    can_focus = False  # Tab stays in the form; the wheel still scrolls it

    def __init__(self, session: DemoSession, step: Step, *, manual_proofing: bool = False) -> None:
        super().__init__(id="presenter-notes")
        self.session, self.step = session, step
        self.manual_proofing = manual_proofing  # the proofing page is then manual proofing's

    def compose(self) -> ComposeResult:
        session, step = self.session, self.step
        notes = presenter_notes(step, manual_proofing=self.manual_proofing,
                                scenario=session.scenario.key if session.scenario else None)
        yield Static(styled(("Presenter notes", "bold"), " · F4 hides"), classes="notes-title")
        yield Static(styled(("Demo: ", "bold"), f"{session.name} · {session.title}"), classes="notes-demo")
        yield Static(styled(("Approver console: ", "bold"), session.console_command), classes="notes-console")
        script = session.script(step, self.app.store)  # as things really are in the demo data
        if session.scenario and session.scenario.setup_summary and step == Step.PROFILE:
            yield Static(plain("Already done", style="bold"), classes="notes-heading")
            yield Static(plain(session.scenario.setup_summary), classes="notes-text")
        if script:
            yield Static(plain("In this scenario", style="bold"), classes="notes-heading")
            yield Static(plain(script), classes="notes-text notes-script")
        if notes.real_page:
            yield Static(plain("The real page", style="bold"), classes="notes-heading")
            yield Static(plain(notes.real_page), classes="notes-text")
        if notes.mistakes:
            yield Static(plain("Usual mistakes", style="bold"), classes="notes-heading")
            yield Static(plain("\n".join(f"• {m}" for m in notes.mistakes)), classes="notes-text")
        if notes.tips:
            yield Static(plain("Tips", style="bold"), classes="notes-heading")
            yield Static(plain("\n".join(f"• {t}" for t in notes.tips)), classes="notes-text")
        if step == Step.AWAIT_APPROVAL and session.scenario and session.scenario.ends:
            yield Static(plain("The end", style="bold"), classes="notes-heading")
            yield Static(plain(session.scenario.ends), classes="notes-text")
        yield Static(plain(KEYS_LINE), classes="notes-keys")


class StepOrderCommands(SystemCommandsProvider):
    """The system commands as :meth:`DemoApp.get_system_commands` yields them, so the palette
    opens with "Jump to step 1" to "12" in step order (Textual's own provider sorts the names,
    which puts "step 10" before "step 1:"). Typed queries are scored as usual; equal scores
    keep this order."""

    async def discover(self) -> Hits:
        for name, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(name, callback, help=help_text)


class DemoApp(OnboardingApp):
    """The wizard for a persona, with presenter notes, high contrast, reset and jumps."""

    TITLE = "iqies-onboard demo"
    COMMANDS = {StepOrderCommands}
    CSS_PATH = ["app.tcss", "demo.tcss"]
    BINDINGS = [
        Binding("f4", "toggle_notes", "Notes"),
        # not in the footer, which is full at 100 columns: the notes and the start toast name it
        Binding("f6", "toggle_contrast", "Contrast", show=False),
        Binding("f8", "reset_demo", "Reset demo"),
    ]

    def __init__(self, store: Store, session: DemoSession, *, notes: bool = True, welcome: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(store, **kwargs)
        self.session = session
        self.welcome = welcome  # a toast naming the console command and the keys (tests leave it out)
        # what the flow is made with (tests freeze time and codes), for the flow a reset makes
        self._flow_kwargs = {k: v for k, v in kwargs.items()
                             if k in ("clock", "randbelow", "totp_secret_factory", "seed_factory") and v is not None}
        self.notes_shown = notes
        self.register_theme(HIGH_CONTRAST)
        self._theme_before = self.theme
        from wizard.demo import configure_flow

        configure_flow(self.flow, session.answers)

    # --- hooks of OnboardingApp / StepScreen ------------------------------------------------------

    @property
    def step_list_width(self) -> int:  # type: ignore[override]
        return NOTES_STEP_LIST_WIDTH if self.notes_shown else STEP_LIST_WIDTH

    def step_extras(self, screen: StepScreen) -> Iterable[Widget]:
        panel = NotesPanel(self.session, screen.STEP,
                           manual_proofing=screen.STEP == Step.PROOFING and screen.flow.needs_manual_proofing)
        panel.display = self.notes_shown
        return (panel,)

    def prefill(self, screen: StepScreen) -> None:
        fill = page_fill(screen.flow, self.session.answers, screen.STEP)
        fill_widgets(screen, fill.form)
        if (screen.STEP == Step.ACCOUNT and fill.form.get("password") and not screen.initial_message
                and screen.flow.draft(Step.ACCOUNT).get("user_id")):
            # in place of the wizard's "type them again" on a resumed page (it gives way to this one)
            screen.initial_message = RESUMED_ACCOUNT_NOTE
        if fill.note and not screen.initial_message:
            screen.show_message(fill.note, "info")
        if screen.STEP == Step.ORGANIZATIONS and fill.form:
            # Enter then means Add, as the note says (focus would land on Next, which refuses)
            screen.call_after_refresh(lambda: screen.query_one("#add-org").focus())

    def on_mount(self) -> None:
        super().on_mount()
        if self.welcome:
            self.notify(plain(f"Approver console: {self.session.console_command}\n{KEYS_LINE}").plain,
                        title=plain(f"Demo: {self.session.title}").plain, timeout=10, markup=False)

    # --- keys -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_notes", "reset_demo"):
            return isinstance(self.screen, StepScreen)  # not over a dialog
        return True

    def action_toggle_notes(self) -> None:
        self.notes_shown = not self.notes_shown
        for screen in self.screen_stack:
            for panel in screen.query("#presenter-notes"):
                panel.display = self.notes_shown
            if isinstance(screen, StepScreen):
                screen.fit_to_window()

    def action_toggle_contrast(self) -> None:
        if self.theme == HIGH_CONTRAST.name:
            self.theme = self._theme_before
        else:
            self._theme_before = self.theme
            self.theme = HIGH_CONTRAST.name

    def action_reset_demo(self) -> None:
        what = (f"the scenario '{self.session.scenario.title}' starts again from its beginning"
                if self.session.scenario else f"{self.session.name}'s practice account is emptied")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.reset_demo()

        self.push_screen(ConfirmScreen(
            "Reset the demo?",
            f"Everything in the demo data is forgotten and {what}. A real user's practice account is not "
            "touched (the demo keeps its own data directory).",
            yes="Reset the demo",
        ), confirmed)

    def reset_demo(self) -> None:
        start(self.store, self.session, clock=self.flow.clock, fresh=True,
              **({"randbelow": self._flow_kwargs["randbelow"]} if "randbelow" in self._flow_kwargs else {}))
        from wizard.demo import configure_flow
        from wizard.flow import OnboardingFlow

        self.flow = OnboardingFlow(self.store, **self._flow_kwargs)
        configure_flow(self.flow, self.session.answers)
        self.show_step(self.flow.current_step, f"Demo reset: {self.session.name} starts again.")

    def jump_to(self, step: Step, *, confirmed: bool = False) -> None:
        if not isinstance(self.screen, StepScreen):
            return
        from wizard.demo import skipped_actions

        skipped = [] if confirmed else skipped_actions(self.store, self.session.scenario, step)
        if skipped:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.jump_to(step, confirmed=True)

            self.push_screen(ConfirmScreen(
                f"Jump to step {step.number}? A trainer action is not done",
                " ".join(skipped) + " Cancel, do it in the console, then jump again; or jump anyway.",
                yes="Jump anyway", no="Cancel",
            ), answered)
            return
        result = jump(self.flow, self.session.jump_answers, step)
        message = result.message or (
            f"Demo: jumped to step {step.number}; the steps before it were filled from {self.session.name}."
        )
        if result.message:
            message += " F8 starts the demo again."
        self.show_step(result.reached, message, "error" if result.message else "info")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if isinstance(screen, StepScreen):
            for step in Step.ordered():
                yield SystemCommand(
                    f"Jump to step {step.number}: {step.info.label}",
                    f"{step.info.system}: {step.info.real_page} (earlier steps filled from the persona)",
                    lambda step=step: self.jump_to(step),
                )
            yield SystemCommand("Presenter notes", "Show or hide the presenter notes (F4)", self.action_toggle_notes)
            yield SystemCommand("Reset the demo", "Start the demo again, after a confirmation (F8)",
                                self.action_reset_demo)
        yield SystemCommand("High contrast", "Switch the high-contrast theme for a projector on or off (F6)",
                            self.action_toggle_contrast)
        yield from super().get_system_commands(screen)


# --- the picker: which scenario (or persona) to show ---------------------------------------------------


class PickerScreen(Screen):
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True),
                Binding("f6", "app.toggle_contrast", "Contrast")]

    def compose(self) -> ComposeResult:
        # Scenarios only: a persona without a script is a command-line choice the intro names,
        # so End (the last entry) is still a scenario with its notes.
        # One line per scenario, so all of them show at 80x24; the highlighted one's summary
        # is written under the list.
        options = [Option(plain(f"{number}. {scenario.title}"), id=f"scenario:{scenario.key}")
                   for number, scenario in enumerate(scenarios().values(), 1)]
        with Vertical(id="picker"):
            yield Static(Text("iqies-onboard demo: choose a scenario", style="bold"), id="picker-title")
            yield Static(
                plain("A scenario is a persona (fake person, real nursing home) plus a script; each "
                      "page is filled from the persona and you press Next. Demo data is kept apart "
                      "from real trainees. A persona without a script: iqies-onboard demo --persona "
                      f"NAME ({', '.join(personas())})."),
                id="picker-intro",
            )
            yield Static(plain(PICKER_KEYS), id="picker-keys")
            yield OptionList(*options, id="picker-list", markup=False)
            yield Static("", id="picker-summary", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.show_summary(0)

    def show_summary(self, index: int | None) -> None:
        chosen = list(scenarios().values())
        if index is None or not 0 <= index < len(chosen):
            return
        self.query_one("#picker-summary", Static).update(plain(chosen[index].summary))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_summary(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        kind, _, key = (event.option.id or "").partition(":")
        self.app.exit((key, None) if kind == "persona" else (None, key))


class DemoPickerApp(App[tuple[str | None, str | None]]):
    TITLE = "iqies-onboard demo"
    CSS_PATH = ["app.tcss", "demo.tcss"]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self) -> None:
        super().__init__()
        self.register_theme(HIGH_CONTRAST)
        self._theme_before = self.theme

    def on_mount(self) -> None:
        self.push_screen(PickerScreen())

    def action_toggle_contrast(self) -> None:
        if self.theme == HIGH_CONTRAST.name:
            self.theme = self._theme_before
        else:
            self._theme_before, self.theme = self.theme, HIGH_CONTRAST.name

    def action_quit(self) -> None:
        self.exit(None)


def pick() -> tuple[str | None, str | None] | None:
    """(persona, scenario) as chosen in the picker, or None when the trainer quit."""
    return DemoPickerApp().run()
