"""The provider directory's file as an index: rows kept as bytes with their offsets, the CCN and
Facility ID columns as sorted arrays, and name search by normalised keys (:mod:`wizard.directory`
holds the directory itself)."""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import add
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.directory import _Table


def _name_key(text: str) -> str:
    """Search form of a name or query: NFKC, case-folded, one space between words, straight
    apostrophes (the file has a few typographic ones)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return " ".join(text.split())


_ODD_SPACE = re.compile(r"[^\S \n]")  # whitespace other than " " and the separator
_ASCII_ODD_SPACE = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _name_keys(names: list[str]) -> list[str]:
    """``[_name_key(n) for n in names]``, done on one joined string for speed (a name never
    holds a newline: the builder writes one provider a line, one space between words)."""
    if not names:
        return []
    blob = "\n".join(names)
    if blob.isascii():
        blob = blob.lower()
    else:
        blob = unicodedata.normalize("NFKC", blob).casefold().replace("\u2019", "'")
    if blob.isascii():
        odd = any(ch in blob for ch in _ASCII_ODD_SPACE)
    else:
        odd = _ODD_SPACE.search(blob) is not None
    keys = blob.split("\n")
    if odd or "  " in blob or " \n" in blob or "\n " in blob or blob[:1] == " " or blob[-1:] == " ":
        keys = [" ".join(key.split()) for key in keys]  # not from the builder: the general way
    return keys


def _blob(records: list[str]) -> tuple[str, array]:
    """``"\n" + "\n".join(records)`` and the offset of the "\n" that opens each record (an
    array: 4 bytes an offset, where a list of ints held 36)."""
    starts = array("I", accumulate(map(add, map(len, records), repeat(1)), initial=0))
    starts.pop()
    return "\n" + "\n".join(records), starts


def _parse_line(line: str) -> list[str]:
    return next(csv.reader([line]))


class _Column:
    """A read-only sequence of one identifier per row, sliced from the file's bytes when asked
    for: what ``bisect`` needs, without a string object per row."""

    __slots__ = ("table", "order")

    def __init__(self, table: _Table, order: array | None = None) -> None:
        self.table = table
        self.order = order  # None: the CCN of row i; else: the Facility ID of row order[i]

    def __len__(self) -> int:
        return len(self.table.starts) - 1

    def __getitem__(self, i: int) -> bytes:
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.table.ccn(i) if self.order is None else self.table.fid(self.order[i])


def _row_starts(data: bytes) -> array:
    """The offset of each row in ``data`` (rows end in a line break), and one past the last."""
    starts = array("I", [0])
    find, append = data.find, starts.append
    pos = find(b"\n")
    while pos >= 0:
        append(pos + 1)
        pos = find(b"\n", pos + 1)
    return starts


class _SearchIndex:
    """Names and Facility IDs, each as one "\n"-separated string in CCN order, so that a
    substring or prefix search is a few ``str.find`` calls; built on the first search."""

    __slots__ = ("names", "name_starts", "fids", "fid_starts")

    def __init__(self, table: _Table) -> None:
        names = []
        fids = []
        for row in range(len(table)):
            line = table.line(row)
            fid = table.fid(row).decode("ascii")
            fids.append(fid)
            start = 8 + len(fid)  # after "CCNxxx,FID,"
            if line[start : start + 1] != '"':
                names.append(line[start : line.find(",", start)])
                continue
            # Quoted: it holds a comma. Unless it also holds a quote (doubled in the file),
            # the closing '",' ends it; otherwise parse the line properly.
            name = line[start + 1 : line.find('",', start + 1)]
            names.append(name if '"' not in name else _parse_line(line)[2])
        keys = _name_keys(names)
        if len(keys) != len(names):
            raise ValueError("providers.csv: a provider name holds a line break")
        self.names, self.name_starts = _blob(keys)
        self.fids, self.fid_starts = _blob(fids)


def _find_rows(blob: str, starts: array, needle: str) -> Iterator[int]:
    """Rows (in order) whose record in ``blob`` contains ``needle``, each once."""
    last = len(starts) - 1
    pos = blob.find(needle)
    while pos >= 0:
        row = bisect_right(starts, pos) - 1
        yield row
        if row >= last:
            return
        pos = blob.find(needle, starts[row + 1])


def _check_utf8(raw: bytes) -> None:
    """Raise UnicodeDecodeError unless ``raw`` is UTF-8, decoding a piece at a time (the whole
    file as one string would double the load's peak memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for at in range(0, len(raw), 1 << 16):
        decoder.decode(raw[at : at + (1 << 16)])
    decoder.decode(b"", final=True)


def _identifiers(data: bytes) -> tuple[array, list[bytes], list[bytes]] | None:
    """Where each row starts, and each row's CCN and Facility ID, if every row opens with a
    6-character CCN, a comma, a Facility ID and a comma, all letters and digits (as the builder
    writes it); else None."""
    starts = _row_starts(data)
    n = len(starts) - 1
    find = data.find
    heads = [data[s : s + 7] for s in starts[:-1]]  # "CCNxxx,"
    fids = [data[s + 7 : find(b",", s + 7)] for s in starts[:-1]]
    if n and not (
        b"".join(heads)[6::7] == b"," * n
        and b"".join([h[:6] for h in heads]).isalnum()
        and min(map(len, fids)) > 0
        and b"".join(fids).isalnum()
    ):
        return None
    return starts, [h[:6] for h in heads], fids
