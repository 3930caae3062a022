"""Build the slim provider directory (``providers.csv``) from a CMS nursing-home "Provider
Information" download: the code behind ``iqies-onboard directory import FILE.csv`` and
``tools/build_directory.py`` (a thin wrapper). Standard library only; the output is
byte-identical on every run from the same input.

The public file has no Facility ID, so each provider gets a stable SANDBOX Facility ID derived
from its CCN alone (see :func:`sandbox_facility_id`). The column is ``Federal Provider Number``
in older releases and ``CMS Certification Number (CCN)`` in newer ones; the file may be cp1252
(older) or UTF-8 (newer).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, defaultdict
from pathlib import Path

from wizard.identifiers import Ccn, FacilityId, IdentifierError

DEFAULT_SOURCE = "../shared/data/NH_ProviderInfo_Aug2021.csv"


class DirectorySourceError(ValueError):
    """The file is not a usable CMS Provider Information download; ``str(err)`` is one line."""


OUT_COLUMNS = ["ccn", "facility_id", "name", "address", "city", "state", "zip", "provider_type"]

# Output column -> accepted source headers (August 2021 name first, newer releases after).
SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "ccn": ("Federal Provider Number", "CMS Certification Number (CCN)"),
    "name": ("Provider Name",),
    "address": ("Provider Address",),
    "city": ("Provider City", "City/Town"),
    "state": ("Provider State", "State"),
    "zip": ("Provider Zip Code", "ZIP Code"),
    "provider_type": ("Provider Type",),
}

FACILITY_DIGITS = 8  # state abbreviation + 8 digits = 10 characters (limit is 16)


def sandbox_facility_id(ccn: Ccn, attempt: int = 0) -> str:
    """The SANDBOX Facility ID of a CCN: its state's abbreviation + 8 digits from sha256.

    Deterministic from the CCN alone; `attempt` > 0 is only used to step past a collision
    within a state (none occur in the August 2021 file).
    """
    state = ccn.state
    if state is None:
        raise DirectorySourceError(f"CCN {ccn}: state code {ccn.state_code} is not a known state")
    key = ccn.value if attempt == 0 else f"{ccn.value}#{attempt}"
    number = int.from_bytes(hashlib.sha256(key.encode("ascii")).digest()[:8], "big")
    return f"{state}{number % 10**FACILITY_DIGITS:0{FACILITY_DIGITS}d}"


def read_source(path: Path) -> tuple[list[dict[str, str]], str, int]:
    """The rows of ``path`` (the kept columns, respaced), its encoding and how many values were
    respaced; the release's "Processing Date", when the file has one, is kept as ``_date``."""
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252"), "cp1252"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as err:
        raise DirectorySourceError(f"{path.name} is not a CSV file: {err}") from None
    chosen: dict[str, str] = {}
    for out, candidates in SOURCE_COLUMNS.items():
        found = next((c for c in candidates if c in header), None)
        if found is None:
            raise DirectorySourceError(
                f"{path.name} is not a CMS Provider Information download: it has no column "
                f"{' or '.join(map(repr, candidates))}"
            )
        chosen[out] = found
    # One space between words: the file has a few double spaces ("ALTOONA  HEALTH"), and a
    # value never holds a line break, so each provider is one line of providers.csv.
    rows: list[dict[str, str]] = []
    respaced = 0
    try:
        records = list(reader)
    except csv.Error as err:
        raise DirectorySourceError(f"{path.name} is not a CSV file: {err}") from None
    release_date = next((r.get("Processing Date") or "" for r in records[:1]), "").strip()
    for rec in records:
        row = {}
        for out, src in chosen.items():
            value = rec[src] or ""
            row[out] = " ".join(value.split())
            respaced += row[out] != value.strip()
        rows.append(row)
    if rows:
        rows[0]["_date"] = release_date
    return rows, encoding, respaced


def build(source: Path) -> tuple[list[list[str]], dict[str, object]]:
    rows, encoding, respaced = read_source(source)
    if not rows:
        raise DirectorySourceError(f"{source.name} lists no providers")
    notes: dict[str, object] = {"encoding": encoding, "source_rows": len(rows)}
    notes["release_date"] = rows[0].pop("_date", "")
    notes["respaced"] = respaced

    padded = 0
    by_ccn: dict[str, dict[str, str]] = {}
    mismatched: list[str] = []
    for rec in rows:
        text = rec["ccn"]
        if text.isdigit() and len(text) < 6:  # a spreadsheet ate the leading zeros
            text = text.zfill(6)
            padded += 1
        try:
            ccn = Ccn.parse(text)
        except IdentifierError as exc:
            raise DirectorySourceError(f"unparseable CCN {rec['ccn']!r}: {exc}") from None
        if ccn.value in by_ccn:
            raise DirectorySourceError(f"duplicate CCN {ccn.value}")
        if ccn.state != rec["state"]:
            mismatched.append(
                f"{ccn.value} (code {ccn.state_code} -> {ccn.state}) vs {rec['state']}"
            )
        zip_code = rec["zip"]
        if zip_code.isdigit() and len(zip_code) < 5:
            zip_code = zip_code.zfill(5)
        rec = dict(rec, ccn=ccn.value, zip=zip_code)
        by_ccn[ccn.value] = rec
    notes["padded_ccns"] = padded
    notes["state_mismatches"] = mismatched
    if mismatched:
        raise DirectorySourceError(
            f"{len(mismatched)} CCN state codes do not match the State column, e.g. {mismatched[0]}"
        )

    # Sandbox Facility IDs, unique within a state; collisions step to the next attempt in CCN
    # order, so the result is deterministic.
    taken: dict[str, set[str]] = defaultdict(set)
    collisions = 0
    out: list[list[str]] = []
    for ccn_text in sorted(by_ccn):
        rec = by_ccn[ccn_text]
        ccn = Ccn(ccn_text)
        attempt = 0
        fid = sandbox_facility_id(ccn)
        while fid in taken[rec["state"]]:
            attempt += 1
            collisions += 1
            fid = sandbox_facility_id(ccn, attempt)
        assert FacilityId.parse(fid).value == fid
        taken[rec["state"]].add(fid)
        out.append([ccn_text, fid] + [rec[c] for c in OUT_COLUMNS[2:]])
    all_fids = [r[1] for r in out]
    assert len(set(all_fids)) == len(all_fids), "facility IDs must be unique"
    notes["facility_id_collisions"] = collisions
    notes["states"] = len(taken)
    notes["provider_types"] = Counter(r[-1] for r in out)
    return out, notes


def write_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def origin_markdown(source: Path, source_sha: str, out_sha: str, rows: int, notes: dict) -> str:
    types = ", ".join(f"{k} {v:,}" for k, v in sorted(notes["provider_types"].items()))
    return f"""# Origin of `providers.csv`

`providers.csv` is the sandbox's provider directory: every nursing home in a public CMS file,
slimmed to the columns the Add Organizations step needs.

## Source

- **CMS Provider Data Catalog**, nursing homes, **"Provider Information"**
  (dataset `4pq5-n9py`), **August 2021 release**, file `{source.name}`.
- A US federal government public-use file (no copyright; no personal data: it lists
  facilities, not people).
- {notes["source_rows"]:,} rows, {notes["encoding"]} encoding; sha256 of the file used:
  `{source_sha}`.

## Columns kept

| column | from the source column | notes |
|---|---|---|
| `ccn` | `Federal Provider Number` (newer releases: `CMS Certification Number (CCN)`) | text, 6 characters, leading zeros kept |
| `facility_id` | none | **sandbox invention**, see below |
| `name` | `Provider Name` | |
| `address` | `Provider Address` | |
| `city` | `Provider City` | |
| `state` | `Provider State` | USPS abbreviation |
| `zip` | `Provider Zip Code` | 5 digits, text |
| `provider_type` | `Provider Type` | {types} |

Values are copied as published, except that runs of spaces become one space and surrounding
spaces are trimmed ({notes["respaced"]} values); the file is UTF-8 (the
source was read as {notes["encoding"]}; a typographic apostrophe stays U+2019), rows are
sorted by CCN, and every CCN parses with `wizard.identifiers.Ccn` and its state code maps to
the row's state. {notes["padded_ccns"]} CCNs needed their leading zeros restored.

## Facility IDs are sandbox inventions

The real Facility ID is the state-assigned MDS submission ID, which the public file does not
contain. So that the "Search By Facility ID" option can be practised, each provider gets a
**sandbox Facility ID**: its state's abbreviation followed by 8 digits, the first 8 bytes of
the sha256 hash of its CCN (as a big-endian integer) modulo 10^8, zero-padded (e.g. `AL22944795`
for CCN `015009`). It is stable (it depends on the CCN alone), at most 16
letters and digits, and unique within its state ({notes["facility_id_collisions"]} collisions
had to be stepped past). **It is not the provider's real Facility ID**; the app says so
wherever it shows one.

## Regenerate

From the repository root (standard library only; the output is byte-identical each run):

```
python tools/build_directory.py            # reads {DEFAULT_SOURCE}
python tools/build_directory.py PATH.csv   # another release of the same dataset
```

{rows:,} providers; sha256 of `providers.csv`: `{out_sha}`.
"""




def release_label(source: Path, release_date: str) -> str:
    """How the page and the report name a release: "CMS Provider Information, 2024-01-01
    (FILE.csv)", or the file's name alone when it has no Processing Date."""
    return f"CMS Provider Information, {release_date} ({source.name})" if release_date \
        else f"CMS Provider Information, {source.name}"


def import_directory(source: Path, data_dir: Path) -> tuple[str, int]:
    """``iqies-onboard directory import``: build the slim directory from ``source`` into
    ``data_dir`` (used from then on); returns (release label, providers). Raises
    :class:`DirectorySourceError` (one line) for a file that is not such a download, and
    ``OSError`` when it cannot be read or written; either way the directory in use is kept."""
    import json
    from datetime import datetime, timezone

    from wizard.directory import IMPORTED_CSV, IMPORTED_DIR, IMPORTED_ORIGIN, ProviderDirectory
    from wizard.files import replace_privately
    from wizard.store import prepare_data_dir

    source = Path(source).expanduser()
    if source.is_dir():
        raise DirectorySourceError(f"{source} is a directory, not a CSV file")
    rows, notes = build(source)
    data = write_csv(rows)
    release = release_label(source, str(notes.get("release_date") or ""))
    folder = prepare_data_dir(Path(data_dir).expanduser()) / IMPORTED_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    staged = folder / f".{IMPORTED_CSV}.check"
    replace_privately(staged, data, prefix=".import-")
    try:
        len(ProviderDirectory(staged).load(search=True))  # the same reader the wizard uses
    except ValueError as err:
        raise DirectorySourceError(f"{source.name}: the built directory cannot be read: {err}") from None
    finally:
        staged.unlink(missing_ok=True)
    origin = {
        "release": release,
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "encoding": notes["encoding"],
        "providers": len(rows),
        "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    replace_privately(folder / IMPORTED_CSV, data, prefix=".import-")
    replace_privately(folder / IMPORTED_ORIGIN, (json.dumps(origin, indent=2) + "\n").encode(), prefix=".import-")
    return release, len(rows)
