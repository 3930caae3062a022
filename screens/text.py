"""Showing user or stored text: sanitised by the one sanitiser, never parsed as markup."""

from __future__ import annotations

from rich.text import Text

from wizard.sanitize import clean_line, clean_text


def plain(text: str | Text | None = "", style: str = "") -> Text:
    """User or stored text shown literally: a Rich Text (never markup-parsed, so ``[/]`` and
    ``[bold]x`` show as typed) with control, bidi and other dangerous characters removed by the
    one sanitiser (wizard/sanitize.py). A Text keeps its styles, its characters are cleaned."""
    if text is None:
        return Text("", style=style)
    if isinstance(text, Text):
        return _clean_rich_text(text, style)
    return Text(clean_text(text), style=style)


def _clean_rich_text(text: Text, style: str = "") -> Text:
    cleaned = text.blank_copy()
    if style:
        cleaned.style = style
    offsets = sorted({o for span in text.spans for o in (span.start, span.end)} | {len(text)})
    for piece in text.divide(offsets):
        start = len(cleaned)
        cleaned.append(clean_text(piece.plain))
        for span in piece.spans:
            cleaned.stylize(span.style, start, len(cleaned))
    return cleaned


def styled(*parts: str | tuple[str, str] | Text) -> Text:
    """``Text.assemble`` with every part sanitised: for lines mixing fixed words and user text."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append_text(plain(part[0], part[1]))
        else:
            text.append_text(plain(part))
    return text


def one_line(text: str | None) -> Text:
    """A one-line label (button, option, title) from user or stored text: sanitised, newlines
    and tabs turned into spaces, no markup."""
    return Text(clean_line(text or ""))
