"""Plain mode's words and what a terminal can show: help and messages as plain lines, the
"Step n of N" that opens each question, whether a QR code can be drawn, and whether the
full-screen wizard can run at all (``TERM=dumb``: it cannot; ``plain`` can)."""

from __future__ import annotations

import os
import re
import sys
from typing import Mapping, TextIO

from wizard.steps import Step

PROG = "iqies-onboard"

# terminals without cursor control: a full-screen view would be escape codes read out as text
_NO_CURSOR_TERMS = ("dumb",)


def _plain_text(text: str) -> str:
    """Help and messages as plain words: no Markdown marks, the plain mode's commands."""
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r" ?Fields marked \* are required\.", "", text)  # here each question says so
    text = re.sub(r"\bPress F1\b", "Type ?", text)
    text = re.sub(r"\b[Pp]ress F2\b", "type phone", text)
    text = re.sub(r"\(F2\)", "(type phone)", text)
    text = re.sub(r"with F2\b", "by typing phone", text)
    text = re.sub(r"\bF2\b", "phone", text)
    return text


def where(step: Step) -> str:
    """What every question of a step opens with: ``Step 1 of 12, HARP: Profile Information.``"""
    info = step.info
    return f"Step {info.number} of {len(Step)}, {info.system}: {info.real_page}."  # counted now: a step can be registered later


def terminal_shows_qr(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> bool:
    """A QR code is block characters: only on a real terminal that is not TERM=dumb."""
    env = os.environ if env is None else env
    stream = stream or sys.stdout
    term = env.get("TERM", "")
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and term not in ("", "dumb")


def terminal_too_plain(env: Mapping[str, str] | None = None) -> str:
    """Why the full-screen wizard cannot run in this terminal, pointing to ``plain``; "" if it can.

    ``TERM=dumb`` (a serial console, an editor's shell, a log) has no cursor control: the wizard's
    screens would arrive as escape codes. An unset TERM is not refused (a Windows console has none)."""
    env = os.environ if env is None else env
    term = env.get("TERM", "").strip().casefold()
    if term not in _NO_CURSOR_TERMS:
        return ""
    return (f"this terminal (TERM={term}) cannot show the full-screen wizard; run {PROG} plain for the "
            "same steps as plain questions and answers, one line at a time")
