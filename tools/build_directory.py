#!/usr/bin/env python3
"""Build the sandbox provider directory, data/providers.csv, from the CMS nursing-home file.

Usage (from the repository root):

    python tools/build_directory.py [SOURCE_CSV]

SOURCE_CSV defaults to ../shared/data/NH_ProviderInfo_Aug2021.csv, relative to the repository
root: CMS Provider Data Catalog, nursing home "Provider Information" (dataset 4pq5-n9py),
August 2021 release, cp1252-encoded. Newer releases (UTF-8, renamed columns such as
"CMS Certification Number (CCN)") are accepted too.

A thin wrapper over wizard/directory_build.py (the code `iqies-onboard directory import` uses).
Writes data/providers.csv (UTF-8, "\\n" line ends, sorted by CCN) with the columns
ccn,facility_id,name,address,city,state,zip,provider_type, and data/PROVIDERS_ORIGIN.md.
The public file has no Facility ID, so each provider gets a stable SANDBOX Facility ID
derived from its CCN alone (see sandbox_facility_id). Standard library only; the output is
byte-identical on every run from the same input.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The building code lives in the package (``iqies-onboard directory import`` uses it too).
from wizard.directory_build import (  # noqa: E402,F401  (standard library only)
    DEFAULT_SOURCE,
    OUT_COLUMNS,
    SOURCE_COLUMNS,
    DirectorySourceError,
    build,
    origin_markdown,
    read_source,
    sandbox_facility_id,
    write_csv,
)

OUT_CSV = REPO / "data" / "providers.csv"
OUT_ORIGIN = REPO / "data" / "PROVIDERS_ORIGIN.md"


def main(argv: list[str]) -> int:
    # The default is relative to the repository root; a path given on the command line is
    # relative to the current directory, as usual.
    source = Path(argv[1]).resolve() if len(argv) > 1 else (REPO / DEFAULT_SOURCE).resolve()
    try:
        rows, notes = build(source)
    except (DirectorySourceError, OSError) as err:
        raise SystemExit(f"build_directory: {err}") from None
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
