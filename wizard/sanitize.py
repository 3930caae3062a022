"""One sanitiser for every piece of user-typed or stored text that reaches the screen.

Rich and Textual pass control characters through to the terminal: an ESC in a name could set
the window title ("\\x1b]0;...\\x07"), clear the screen ("\\x1b[2J") or worse, and bidirectional
overrides make text read differently from what it holds. :func:`clean_text` removes:

- C0 controls except newline and tab (NUL, BEL, BS, CR, ESC, ...), DEL, C1 controls (U+0080-U+009F);
- every Unicode *format* character (category Cf): bidirectional embeddings, overrides, isolates
  and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), zero-width space (U+200B),
  word joiner and invisible operators (U+2060-U+2064), the byte-order mark (U+FEFF), soft hyphen,
  interlinear annotations, tag characters (U+E0000-U+E007F, "invisible ASCII"), and the rest;
  except the zero-width non-joiner and joiner (U+200C, U+200D), which scripts and emoji need;
- lone surrogates (they cannot be encoded for the terminal) and noncharacters (U+FDD0-U+FDEF,
  U+xxFFFE, U+xxFFFF);
- the line and paragraph separators (U+2028, U+2029) become a newline.

Pure Python, no textual import: the headless runner and reports may use it too.
"""

from __future__ import annotations

import re

# Unicode format characters (Cf) as of Unicode 15.1, the zero-width (non-)joiner left out. A test
# checks this list against the running Python's unicodedata, so a newer Unicode is noticed.
_FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero-width space
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2065, 0x2065),  # unassigned, in the middle of the bidi block
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # language tag and tag characters
)

FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0008),  # C0 before tab
    (0x000B, 0x001F),  # C0 after newline (VT, FF, CR, ..., ESC, ...)
    (0x007F, 0x009F),  # DEL and C1 controls
    *_FORMAT_RANGES,
    (0x2028, 0x2029),  # line and paragraph separators (replaced by a newline)
    (0xD800, 0xDFFF),  # surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)),
)
"""Every code point :func:`clean_text` never lets through (as inclusive ranges)."""


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    parts = []
    for start, end in ranges:
        parts.append(re.escape(chr(start)) if start == end else f"{re.escape(chr(start))}-{re.escape(chr(end))}")
    return "[" + "".join(parts) + "]"


_FORBIDDEN = re.compile(_char_class(FORBIDDEN_RANGES))
_SEPARATORS = {0x2028: "\n", 0x2029: "\n"}
_LINE_BREAKS = re.compile(r"[\n\t]")


def is_forbidden(ch: str) -> bool:
    """Whether this one character is removed by :func:`clean_text`."""
    return _FORBIDDEN.fullmatch(ch) is not None


def clean_text(s: str) -> str:
    """``s`` without anything that could reach the terminal as a control, or reorder or hide
    text: the rules are in the module docstring. Newlines and tabs stay; markup characters such
    as ``[`` stay too (the screens render text without markup)."""
    if not isinstance(s, str):
        s = str(s)
    return _FORBIDDEN.sub(lambda m: _SEPARATORS.get(ord(m.group()), ""), s)


def clean_line(s: str) -> str:
    """:func:`clean_text` for a one-line place (a button, an option, a title): newlines and tabs
    become spaces."""
    return _LINE_BREAKS.sub(" ", clean_text(s))


def mask_line(s: str, replacement: str = "\ufffd") -> str:
    """Length-preserving version for an input field's own display: each forbidden character
    becomes ``replacement`` (so the cursor still lines up with the value), newline and tab a
    space. The value itself is left as typed."""
    if not isinstance(s, str):
        s = str(s)
    return _LINE_BREAKS.sub(" ", _FORBIDDEN.sub(replacement, s))


__all__ = ["FORBIDDEN_RANGES", "clean_line", "clean_text", "is_forbidden", "mask_line"]
