"""What a step page does in the background while the user types, off the UI thread: it keeps
the draft (within DRAFT_DELAY of the last key) and does Next's slow work ahead (argon2id,
flow.prepare, within PREPARE_DELAY of the last key). Mixed into StepScreen."""

from __future__ import annotations

from typing import Any


class WhileTyping:
    """Mixed into a step page (before ``Screen``): it has ``STEP``, ``flow``, ``collect()``."""

    STEP: Any
    flow: Any

    def _restart(self, timer: Any, delay: float, callback: Any) -> Any:
        """A timer for ``callback`` in ``delay`` seconds, in place of ``timer`` (each key
        starts the wait again)."""
        if timer is not None:
            timer.stop()
        return self.set_timer(delay, callback)  # type: ignore[attr-defined]

    # --- saving while typing: within DRAFT_DELAY of the last key, off the UI thread -----------

    DRAFT_DELAY = 0.8  # seconds after the last keystroke
    _draft_timer: Any = None

    def _schedule_draft_save(self) -> None:
        self._draft_timer = self._restart(self._draft_timer, self.DRAFT_DELAY, self._save_draft_now)

    def _save_draft_now(self) -> None:
        self._draft_timer = None
        if not self.is_attached:
            return
        form = dict(self.collect())  # read on the UI thread; flow.save_draft drops the secrets
        step, flow = self.STEP, self.flow

        def write() -> None:
            try:
                flow.save_draft(step, form)
            except Exception:  # noqa: BLE001 - leaving the field saves again, on the UI thread
                pass

        self.run_worker(write, thread=True, group="draft-save", exit_on_error=False)

    # --- Next's slow work (argon2id), done ahead when typing pauses: flow.prepare -----------------

    PREPARE_DELAY = 0.3  # seconds after the last keystroke (each new key starts again)
    _prepare_timer: Any = None

    def _schedule_prepare(self) -> None:
        self._prepare_timer = self._restart(self._prepare_timer, self.PREPARE_DELAY, self._prepare_now)

    def _prepare_now(self) -> None:
        self._prepare_timer = None
        if not self.is_attached or self.checking:
            return
        form, step, flow = dict(self.collect()), self.STEP, self.flow  # read on the UI thread
        self.run_worker(lambda: flow.prepare(step, form), thread=True, group="prepare",
                        exit_on_error=False)
