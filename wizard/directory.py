"""The sandbox provider directory: look providers up by CCN or Facility ID, or search them.

Backed by ``data/providers.csv`` (built by ``tools/build_directory.py`` from the CMS nursing
home "Provider Information" file, August 2021; see ``data/PROVIDERS_ORIGIN.md``). The file is
read on first use, not on import. Facility IDs in it are sandbox inventions: the public file
has none (say so wherever one is shown; ``FACILITY_ID_NOTE``).
"""

from __future__ import annotations

import csv
import io
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wizard.directory_index import (
    _check_utf8,
    _Column,
    _find_rows,
    _identifiers,
    _name_key,
    _parse_line,
    _row_starts,
    _SearchIndex,
)
from wizard.identifiers import Ccn, FacilityId, IdentifierError, normalize_identifier_text
from wizard.resources import data_path

__all__ = [
    "DEFAULT_PATH",
    "FACILITY_ID_NOTE",
    "Provider",
    "ProviderDirectory",
    "default_directory",
]

DEFAULT_PATH = data_path("providers.csv")
COLUMNS = ("ccn", "facility_id", "name", "address", "city", "state", "zip", "provider_type")
FACILITY_ID_NOTE = (
    "Sandbox Facility ID, invented by this practice app: the public CMS file has none. "
    "Your real Facility ID is the one your state assigned for MDS submissions."
)


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider of the directory; every field is text (CCN and ZIP keep leading zeros)."""

    ccn: str
    facility_id: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    provider_type: str

    @property
    def location(self) -> str:
        """The address on one line, e.g. "701 MONROE STREET NW, RUSSELLVILLE, AL 35653"."""
        return f"{self.address}, {self.city}, {self.state} {self.zip}"


class _Table:
    """The rows of the file, kept as its UTF-8 bytes and the offset of each row; Provider objects
    are made on demand.

    Building 15k frozen dataclasses costs more than everything else together, and a lookup needs
    one, so rows are parsed when asked for (and then cached). Lists of 15k line strings and
    identifiers, and two dicts over them, held about 6 MB; the bytes and two arrays of offsets
    hold under 2 MB, and a lookup is a bisect (peak RSS: bench/run.py).
    """

    __slots__ = ("data", "starts", "fid_rows", "ccns", "fids", "objs", "_search", "_lock")

    def __init__(self, data: bytes, found: tuple[array, list[bytes], list[bytes]] | None = None) -> None:
        """``data``: the rows without the header, each ending in "\\n" and opening with its CCN
        (6 letters and digits), a comma, its Facility ID (letters and digits) and a comma;
        ``found``: what ``_identifiers(data)`` returned, if the caller has it."""
        found = found or _identifiers(data)
        if found is None:
            raise ValueError("providers.csv: every CCN and Facility ID must be letters and digits")
        starts, ccns, fids = found
        n = len(ccns)
        if ccns != sorted(ccns):  # the builder sorts; be safe anyway
            order = sorted(range(n), key=ccns.__getitem__)
            data = b"".join([data[starts[i] : starts[i + 1]] for i in order])
            starts = _row_starts(data)
            ccns = [ccns[i] for i in order]
            fids = [fids[i] for i in order]
        if any(map(bytes.__eq__, ccns, ccns[1:])):
            raise ValueError("providers.csv lists a CCN twice")
        fid_rows = sorted(range(n), key=fids.__getitem__)
        if any(fids[a] == fids[b] for a, b in zip(fid_rows, fid_rows[1:])):
            raise ValueError("providers.csv lists a Facility ID twice")
        self.data = data
        self.starts = starts
        self.fid_rows = array("I", fid_rows)
        self.ccns = _Column(self)  # in row order, which is CCN order
        self.fids = _Column(self, self.fid_rows)  # in Facility ID order
        self.objs: dict[int, Provider] = {}
        self._search: _SearchIndex | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.starts) - 1

    def ccn(self, row: int) -> bytes:
        at = self.starts[row]
        return self.data[at : at + 6]

    def fid(self, row: int) -> bytes:
        at = self.starts[row] + 7
        return self.data[at : self.data.find(b",", at)]

    def line(self, row: int) -> str:
        return self.data[self.starts[row] : self.starts[row + 1] - 1].decode("utf-8")

    def row_of_ccn(self, ccn: str) -> int | None:
        key = ccn.encode("ascii", "replace")
        row = bisect_left(self.ccns, key)
        return row if row < len(self) and self.ccn(row) == key else None

    def row_of_fid(self, fid: str) -> int | None:
        key = fid.encode("ascii", "replace")
        i = bisect_left(self.fids, key)
        return self.fid_rows[i] if i < len(self) and self.fids[i] == key else None

    def provider(self, row: int) -> Provider:
        obj = self.objs.get(row)
        if obj is None:  # a race only builds an equal object twice
            fields = _parse_line(self.line(row))
            if len(fields) != len(COLUMNS):
                raise ValueError(
                    f"providers.csv, CCN {self.ccn(row).decode()}: expected {len(COLUMNS)} columns"
                )
            obj = self.objs[row] = Provider(*fields)
        return obj

    def search_index(self) -> _SearchIndex:
        index = self._search
        if index is None:
            with self._lock:
                index = self._search
                if index is None:
                    index = self._search = _SearchIndex(self)
                    from wizard.memory import trim

                    trim()  # the lists it was built from are freed: give their pages back
        return index


BUILT_IN_RELEASE = "CMS Provider Information, August 2021 (shipped with the app)"
# `iqies-onboard directory import` keeps its directory here, inside the user's data directory
IMPORTED_DIR = "provider-directory"
IMPORTED_CSV = "providers.csv"
IMPORTED_ORIGIN = "origin.json"


class ProviderDirectory:
    """Providers from ``providers.csv``, loaded lazily and thread-safely on first use.
    ``release`` says which CMS release it is, for the page and the report."""

    def __init__(self, path: Path | str | None = None, release: str | None = None) -> None:
        self.path = Path(path) if path is not None else DEFAULT_PATH
        self.release = release or (BUILT_IN_RELEASE if path is None else f"CMS Provider Information, {self.path.name}")
        self.imported = False
        self._table: _Table | None = None
        self._lock = threading.Lock()

    # -- loading --------------------------------------------------------------------------------
    def load(self, *, search: bool = False) -> ProviderDirectory:
        """Read the file now (otherwise the first lookup does); with ``search=True`` also build
        the search index (otherwise the first search does). Returns self."""
        table = self._get()
        if search:
            table.search_index()
        return self

    @property
    def loaded(self) -> bool:
        return self._table is not None

    def _get(self) -> _Table:
        table = self._table
        if table is None:
            with self._lock:
                table = self._table
                if table is None:
                    table = self._table = self._read()
        return table

    def _read(self) -> _Table:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Provider directory {self.path} is missing; reinstall iqies-onboard, or "
                "import a CMS Provider Information download with: iqies-onboard directory import FILE.csv"
            ) from None
        _check_utf8(raw)
        if b"\r" in raw:
            raw = raw.replace(b"\r\n", b"\n")
        end = raw.find(b"\n")
        header, data = (raw, b"") if end < 0 else (raw[:end], raw[end + 1 :])
        if not header or tuple(_parse_line(header.decode("utf-8"))) != COLUMNS:
            raise ValueError(f"{self.path}: expected the header {','.join(COLUMNS)}")
        del raw
        if data and not data.endswith(b"\n"):
            data += b"\n"
        # Fast path: CCN (6 characters) and Facility ID are letters and digits, never quoted, so
        # they open each line; the table checks that and keeps the bytes as they are.
        found = _identifiers(data)
        if found is not None:
            return _Table(data, found)
        # Anything unusual (e.g. a hand-edited file with a quoted newline): parse properly.
        with self.path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        for number, row in enumerate(rows, start=2):
            if len(row) != len(COLUMNS):
                raise ValueError(f"{self.path}, line {number}: expected {len(COLUMNS)} columns")
        # One space between words and no line breaks inside values, as the builder writes.
        rows = [[" ".join(value.split()) for value in row] for row in rows]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows(rows)
        return _Table(buf.getvalue().encode("utf-8"))

    # -- lookups --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[Provider]:
        table = self._get()
        return (table.provider(i) for i in range(len(table)))

    def by_ccn(self, ccn: Ccn | str) -> Provider | None:
        """The provider with this CCN (typed text is normalised), or None."""
        if not isinstance(ccn, Ccn):
            try:
                ccn = Ccn.parse(ccn)
            except IdentifierError:
                return None
        table = self._get()
        row = table.row_of_ccn(ccn.value)
        return None if row is None else table.provider(row)

    def by_facility_id(self, fid: FacilityId | str) -> Provider | None:
        """The provider with this (sandbox) Facility ID, or None."""
        if not isinstance(fid, FacilityId):
            try:
                fid = FacilityId.parse(fid)
            except IdentifierError:
                return None
        table = self._get()
        row = table.row_of_fid(fid.value)
        return None if row is None else table.provider(row)

    def search(self, text: str, limit: int = 20) -> list[Provider]:
        """Providers whose CCN or Facility ID starts with ``text``, or whose name contains it.

        Case-insensitive; spaces and full-width characters are forgiven. When the text has a
        digit, CCN then Facility ID prefix matches come first, then names; otherwise names come
        first. Names that start with the text come before names that merely contain it; ties
        keep CCN order. At most ``limit`` results.
        """
        if limit <= 0 or not isinstance(text, str):
            return []
        table = self._get()
        index = table.search_index()
        seen: set[int] = set()
        out: list[Provider] = []

        def take(rows: Iterator[int]) -> bool:
            for row in rows:
                if row not in seen:
                    seen.add(row)
                    out.append(table.provider(row))
                    if len(out) >= limit:
                        return True
            return False

        ident = normalize_identifier_text(text).upper()
        ident_ok = ident.isascii() and ident.isalnum()
        name = _name_key(text)

        def id_rows() -> Iterator[int]:
            if not ident_ok:
                return
            ccns, key = table.ccns, ident.encode("ascii")
            lo = bisect_left(ccns, key)
            hi = bisect_right(ccns, key + b"\x7f")
            yield from range(lo, hi)
            yield from _find_rows(index.fids, index.fid_starts, "\n" + ident)

        def name_rows() -> Iterator[int]:
            if not name:
                return
            yield from _find_rows(index.names, index.name_starts, "\n" + name)
            yield from _find_rows(index.names, index.name_starts, name)

        order = (id_rows, name_rows) if any(c.isdigit() for c in ident) else (name_rows, id_rows)
        for source in order:
            if take(source()):
                break
        return out


_default: ProviderDirectory | None = None
_default_lock = threading.Lock()
_selected_data_dir: Path | None = None
_imported: dict[Path, tuple[tuple[int, int], ProviderDirectory]] = {}


def use_data_dir(data_dir: Path | str | None) -> None:
    """The data directory whose imported directory (``iqies-onboard directory import``), if
    any, ``default_directory()`` uses from now on (the command line sets it)."""
    global _selected_data_dir
    _selected_data_dir = Path(data_dir).expanduser() if data_dir is not None else None


def imported_release(data_dir: Path | str) -> str | None:
    """The release label of ``data_dir``'s imported directory, or None when it has none."""
    import json

    folder = Path(data_dir).expanduser() / IMPORTED_DIR
    if not (folder / IMPORTED_CSV).is_file():
        return None
    try:
        origin = json.loads((folder / IMPORTED_ORIGIN).read_text(encoding="utf-8"))
        return str(origin["release"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"CMS Provider Information, imported ({IMPORTED_CSV})"


def default_directory(data_dir: Path | str | None = None) -> ProviderDirectory:
    """The directory in use: the one imported into ``data_dir`` (default: the one
    ``use_data_dir`` chose) if there is one, else the shared directory over the shipped
    ``providers.csv`` (created once, loaded on first use)."""
    global _default
    places = [Path(data_dir).expanduser()] if data_dir is not None else []
    if _selected_data_dir is not None and _selected_data_dir not in places:
        places.append(_selected_data_dir)
    for where in places:
        csv_path = where / IMPORTED_DIR / IMPORTED_CSV
        try:
            stat = csv_path.stat()
        except OSError:
            continue
        key = (stat.st_mtime_ns, stat.st_size)
        with _default_lock:
            cached = _imported.get(csv_path)
            if cached is None or cached[0] != key:
                directory = ProviderDirectory(csv_path, imported_release(where))
                directory.imported = True
                cached = _imported[csv_path] = (key, directory)
        return cached[1]
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = ProviderDirectory()
    return _default


def find_organization(directory: "ProviderDirectory", search_by: str, text: str) -> tuple[Provider | None, str]:
    """iQIES's Search for: the provider a CCN or Facility ID finds, or why none is (its format,
    or not in the directory). The wizard and the answers-file check both ask here."""
    from wizard.identifiers import IdentifierError, parse_organization_id

    try:
        ident = parse_organization_id(search_by, text)  # type: ignore[arg-type]
    except IdentifierError as err:
        return None, str(err)
    if search_by == "ccn":
        provider, what = directory.by_ccn(ident), f"CCN {ident}"
    else:
        provider, what = directory.by_facility_id(str(ident)), f"Facility ID {ident}"
    if provider is None:
        where = (
            "CMS's nursing homes, August 2021" if directory.release == BUILT_IN_RELEASE
            else directory.release
        )
        if isinstance(ident, Ccn):
            from wizard.rules import ccn_outside_directory

            return None, ccn_outside_directory(ident, where)
        return None, (
            f"No provider with {what} is in the sandbox directory ({where}). "
            "Check the number with your administrator."
        )
    return provider, ""
