"""The wizard in a real pseudo-terminal (pexpect), its screen read by a terminal emulator (pyte):
a burst of keys across fields, a bracketed paste with an ESC and a line break in it, and a resize
round trip (80x24, 40x12, 80x24) land every character where it was aimed, on screen and in the
saved draft."""

from __future__ import annotations

import os
import sys
import time

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

from wizard.flow import OnboardingFlow  # noqa: E402
from wizard.steps import Step  # noqa: E402
from wizard.store import Store  # noqa: E402


class Terminal:
    def __init__(self, data_dir, rows: int = 24, cols: int = 80) -> None:
        env = dict(os.environ, IQIES_ONBOARD_HOME=str(data_dir), TERM="xterm-256color")
        for name in ("NO_COLOR", "COLUMNS", "LINES"):  # COLUMNS and LINES would hide a resize
            env.pop(name, None)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "app"], env=env,
                                   dimensions=(rows, cols), timeout=30)

    def pump(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                return
            self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, seconds: float = 30) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.2)
            if needle in self.text():
                return
        raise AssertionError(f"{needle!r} not on screen:\n{self.text()}")

    def wait_until(self, condition, seconds: float = 30) -> None:
        """Read the screen until ``condition()`` holds (not a fixed wait)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.1)
            try:
                if condition():
                    return
            except StopIteration:  # line_with: the label is not on screen yet
                pass
        raise AssertionError(f"the screen never got there:\n{self.text()}")

    def resize(self, rows: int, cols: int) -> None:
        """The window changes size; callers then wait for what the new size shows."""
        self.child.setwinsize(rows, cols)
        self.screen.resize(rows, cols)
        self.pump(0.2)

    def line_with(self, label: str) -> str:
        return next(line for line in self.screen.display if label in line)



def test_burst_paste_and_resize_in_a_real_terminal(tmp_path):
    term = Terminal(tmp_path)
    try:
        term.wait_for("First name")
        term.pump(1.0)
        # a burst across three fields, in one write
        term.child.send("Ana\tQ\t")
        # a bracketed paste with an ESC and a line break in it, into Last name
        term.child.send("\x1b[200~Lo\x1bpez\r\n\x1b[201~")
        term.wait_until(lambda: "Lopez" in term.line_with("Last name"))
        # a resize round trip, then more keys into the same field
        term.resize(12, 40)
        term.wait_for("Make this window")
        term.resize(24, 80)
        term.wait_for("First name")
        term.child.send("-Ruiz")
        term.wait_until(lambda: "Lopez-Ruiz" in term.line_with("Last name"))
        term.pump(0.3)  # anything else the keys would bring
        assert "Ana" in term.line_with("First name")
        assert "Q" in term.line_with("Middle name").split("Middle name", 1)[1]
        assert "Lopez-Ruiz" in term.line_with("Last name")
        form = term.text().split("f1 Help")[0]
        assert "^" not in form and "pez" not in term.line_with("Suffix")  # no key from the paste
        term.child.send("\t")  # leaving the field saves it
        term.pump(1.0)
        term.child.send("\x11")  # Ctrl+Q
        term.child.expect(pexpect.EOF, timeout=20)
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    draft = OnboardingFlow(Store(tmp_path)).draft(Step.PROFILE)
    assert (draft.get("first_name"), draft.get("middle_name"), draft.get("last_name")) == ("Ana", "Q", "Lopez-Ruiz")
