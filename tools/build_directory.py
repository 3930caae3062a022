#!/usr/bin/env python3
"""Build the sandbox provider directory, data/providers.csv, from the CMS nursing-home file.

Usage (from the repository root):

    python tools/build_directory.py [SOURCE_CSV]

SOURCE_CSV defaults to ../shared/data/NH_ProviderInfo_Aug2021.csv, relative to the repository
root: CMS Provider Data Catalog, nursing home "Provider Information" (dataset 4pq5-n9py),
August 2021 release, cp1252-encoded. Newer releases (UTF-8, renamed columns such as
"CMS Certification Number (CCN)") are accepted too.

Writes data/providers.csv (UTF-8, "\\n" line ends, sorted by CCN) with the columns
ccn,facility_id,name,address,city,state,zip,provider_type, and data/PROVIDERS_ORIGIN.md.
The public file has no Facility ID, so each provider gets a stable SANDBOX Facility ID
derived from its CCN alone (see sandbox_facility_id). Standard library only; the output is
byte-identical on every run from the same input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from wizard.identifiers import Ccn, FacilityId, IdentifierError  # noqa: E402  (stdlib-only module)

DEFAULT_SOURCE = "../shared/data/NH_ProviderInfo_Aug2021.csv"
OUT_CSV = REPO / "data" / "providers.csv"
OUT_ORIGIN = REPO / "data" / "PROVIDERS_ORIGIN.md"

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
        raise SystemExit(f"CCN {ccn}: state code {ccn.state_code} is not in STATE_CODES")
    key = ccn.value if attempt == 0 else f"{ccn.value}#{attempt}"
    number = int.from_bytes(hashlib.sha256(key.encode("ascii")).digest()[:8], "big")
    return f"{state}{number % 10**FACILITY_DIGITS:0{FACILITY_DIGITS}d}"


def read_source(path: Path) -> tuple[list[dict[str, str]], str, int]:
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252"), "cp1252"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    chosen: dict[str, str] = {}
    for out, candidates in SOURCE_COLUMNS.items():
        found = next((c for c in candidates if c in header), None)
        if found is None:
            raise SystemExit(f"{path}: no column {' or '.join(map(repr, candidates))}")
        chosen[out] = found
    # One space between words: the file has a few double spaces ("ALTOONA  HEALTH"), and a
    # value never holds a line break, so each provider is one line of providers.csv.
    rows: list[dict[str, str]] = []
    respaced = 0
    for rec in reader:
        row = {}
        for out, src in chosen.items():
            value = rec[src] or ""
            row[out] = " ".join(value.split())
            respaced += row[out] != value.strip()
        rows.append(row)
    return rows, encoding, respaced


def build(source: Path) -> tuple[list[list[str]], dict[str, object]]:
    rows, encoding, respaced = read_source(source)
    notes: dict[str, object] = {"encoding": encoding, "source_rows": len(rows)}
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
            raise SystemExit(f"unparseable CCN {rec['ccn']!r}: {exc}") from None
        if ccn.value in by_ccn:
            raise SystemExit(f"duplicate CCN {ccn.value}")
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
        raise SystemExit("state code / State column mismatches:\n  " + "\n  ".join(mismatched))

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


def main(argv: list[str]) -> int:
    # The default is relative to the repository root; a path given on the command line is
    # relative to the current directory, as usual.
    source = Path(argv[1]).resolve() if len(argv) > 1 else (REPO / DEFAULT_SOURCE).resolve()
    rows, notes = build(source)
    data = write_csv(rows)
    OUT_CSV.parent.mkdir(parents=True, exist_ok=True)
    OUT_CSV.write_bytes(data)
    source_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    out_sha = hashlib.sha256(data).hexdigest()
    OUT_ORIGIN.write_text(
        origin_markdown(source, source_sha, out_sha, len(rows), notes), encoding="utf-8",
        newline="\n",
    )
    print(
        f"wrote {OUT_CSV.relative_to(REPO)}: {len(rows):,} providers, {len(data):,} bytes, "
        f"{notes['states']} states, {notes['padded_ccns']} CCNs padded, "
        f"{notes['facility_id_collisions']} facility-ID collisions resolved"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
