"""A page's slow check, off the UI thread.

Next on a step (its submit hashes a new password and challenge answer with argon2id, or verifies
a sign-in's password) and a side page's password change or reset run in a thread worker, so the
page keeps drawing. If the check has not answered within :attr:`Checks.CHECKING_AFTER`, the page
says "Checking..." (the button that asked, and the page's message line). Meanwhile the app holds
the keys typed (screens/keys.py, KeysInOrder) and hands them on, in order, once the outcome is
shown: into the next page when the page moved on, into this one when it was refused. Next and
Back (Esc on a side page) typed meanwhile are refused, and so is a key typed meanwhile that would
ask this page for the same check again: one press, one submit. The outcome is shown by the page's
own code, on the UI thread, as before; the domain is not involved (the flow is called as always).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

from textual.widgets import Button
from textual.worker import Worker, WorkerState

CHECKING = "Checking..."
_Result = TypeVar("_Result")


class Checks:
    """Mixed into a page (a Screen, before it in the bases): :meth:`check` runs a check."""

    CHECKING_AFTER: ClassVar[float] = 0.1  # seconds: a shorter check shows nothing
    REFUSED_WHILE_CHECKING: ClassVar[frozenset[str]] = frozenset({"next", "back"})  # actions

    app: Any
    _check: tuple[Worker[Any], Callable[[Any], None], Button | None] | None = None
    _checking_timer: Any = None
    _label_before: Any = None

    @property
    def checking(self) -> bool:
        return self._check is not None

    def may_check(self) -> bool:
        """False, with a bell, while any check runs, or for a key typed during a check and handed
        on after it (a second Next is not a second submit, here or on the page shown next)."""
        app = self.app
        # a key typed before the page it lands on was shown (handed on after another page's
        # check) submits nothing: Ctrl+N, Enter in one burst must not submit the Review unseen
        if getattr(app, "checking_page", None) is not None or getattr(app, "key_origin", None) is not None:
            app.bell()
            return False
        return True

    def refuses_key(self, key: str) -> bool:
        """Whether ``key`` typed during this page's check is refused rather than held."""
        bindings = self._bindings.key_to_bindings.get(key, ())  # type: ignore[attr-defined]
        return any(binding.action in self.REFUSED_WHILE_CHECKING for binding in bindings)

    def check(self, work: Callable[[], _Result], done: Callable[[_Result], None],
              button: Button | None = None) -> None:
        """Run ``work`` in a thread, then ``done(result)`` here; ``button`` asked for it."""
        app = self.app
        if not hasattr(app, "hold_keys"):  # an app that does not keep keys in order: no thread
            done(work())
            return
        app.hold_keys(self)
        worker = self.run_worker(work, thread=True, group="check", exit_on_error=False)  # type: ignore[attr-defined]
        self._check = (worker, done, button)
        self._checking_timer = self.set_timer(self.CHECKING_AFTER, self._say_checking)  # type: ignore[attr-defined]

    def _say_checking(self) -> None:
        if self._check is not None:
            self.show_checking(True, self._check[2])

    def show_checking(self, on: bool, button: Button | None) -> None:
        """The button that asked says "Checking..." (a page adds its message line)."""
        if on:
            self.say_checking()
        if button is None:
            return
        if on:
            self._label_before = button.label
        button.label = CHECKING if on else self._label_before
        button.set_class(on, "-checking")

    def say_checking(self) -> None:
        """The page's message line says "Checking..." too (a page without ``show_message``
        says it its own way)."""
        self.show_message(CHECKING, "info")  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if self._check is None or event.worker is not self._check[0]:
            return
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        _, done, button = self._check
        self._check = None
        self._checking_timer.stop()
        if button is not None and button.has_class("-checking"):
            self.show_checking(False, button)
        # shown from the app's queue, as the key that asked was: this page's own queue would
        # run its after-refresh callbacks (scrolling to the first bad field) before its layout
        self.app.call_later(self._show_outcome, event.worker, done)

    def _show_outcome(self, worker: Worker[Any], done: Callable[[Any], None]) -> None:
        try:
            if worker.state == WorkerState.ERROR:
                raise worker.error  # type: ignore[misc]  # as if it had failed where it was asked
            if worker.state == WorkerState.SUCCESS:
                done(worker.result)
        finally:
            self.app.release_keys(self)
            release = getattr(self.app, "release_collector_after_frame", None)
            if release is not None:  # held by a Next (StepChecks.submit): once this has drawn
                release()


class StepChecks(Checks):
    """A step page's Next: the flow's submit as the check, its outcome shown by ``apply``."""

    STEP: Any
    flow: Any

    def submit(self, form: dict[str, Any]) -> None:
        step, flow = self.STEP, self.flow  # the form was read here, on the UI thread
        timer = getattr(self, "_draft_timer", None)
        if timer is not None:  # the submit saves the form itself; no second writer meanwhile
            timer.stop()
            self._draft_timer = None
        hold = getattr(self.app, "hold_collector", None)  # screens/collector.py
        if hold is not None:
            hold()
        self.check(lambda: flow.submit(step, form), self.apply,  # type: ignore[attr-defined]
                   self.query_one("#next", Button))  # type: ignore[attr-defined]

