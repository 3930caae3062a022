"""The provider directory (wizard/directory.py) over data/providers.csv, and its builder."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from wizard.directory import (
    DEFAULT_PATH,
    FACILITY_ID_NOTE,
    Provider,
    ProviderDirectory,
    default_directory,
)
from wizard.identifiers import Ccn, FacilityId

REPO = Path(__file__).resolve().parent.parent
PROVIDERS_CSV = REPO / "data" / "providers.csv"
SOURCE_CSV = (REPO / "../shared/data/NH_ProviderInfo_Aug2021.csv").resolve()
HEADER = "ccn,facility_id,name,address,city,state,zip,provider_type"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with PROVIDERS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def directory() -> ProviderDirectory:
    return ProviderDirectory().load(search=True)


# -- the data file ------------------------------------------------------------------------------


def test_default_path_is_the_repo_data_file():
    assert DEFAULT_PATH == PROVIDERS_CSV
    assert PROVIDERS_CSV.read_text(encoding="utf-8").split("\n", 1)[0] == HEADER


def test_every_ccn_parses_and_its_state_code_maps_to_the_row_state(rows):
    assert len(rows) == 15283
    mismatched = []
    for row in rows:
        ccn = Ccn.parse(row["ccn"])
        assert ccn.value == row["ccn"]  # already canonical: text, leading zeros kept
        if ccn.state != row["state"]:
            mismatched.append((row["ccn"], ccn.state, row["state"]))
    assert mismatched == []


def test_rows_sorted_by_ccn_and_unique(rows):
    ccns = [row["ccn"] for row in rows]
    assert ccns == sorted(ccns)
    assert len(set(ccns)) == len(ccns)


def test_facility_ids_are_valid_and_unique_within_state(rows):
    by_state: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        fid = row["facility_id"]
        assert FacilityId.parse(fid).value == fid
        assert fid.startswith(row["state"])
        assert fid not in by_state[row["state"]]
        by_state[row["state"]].add(fid)
    assert len({row["facility_id"] for row in rows}) == len(rows)  # even across states


def test_medicaid_only_rows_carry_the_position_3_letter(rows):
    for row in rows:
        ccn = Ccn.parse(row["ccn"])
        assert ccn.is_medicaid_only == (row["provider_type"] == "Medicaid")
        assert ccn.kind in ("Nursing facility / SNF", "Medicaid-only nursing facility")


def test_zip_codes_are_five_digit_text(rows):
    assert all(len(row["zip"]) == 5 and row["zip"].isdigit() for row in rows)
    assert any(row["zip"].startswith("0") for row in rows)


def test_builder_reproduces_the_shipped_file_byte_for_byte():
    if not SOURCE_CSV.exists():
        pytest.skip(f"source file {SOURCE_CSV} not present")
    spec = importlib.util.spec_from_file_location(
        "build_directory", REPO / "tools" / "build_directory.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, notes = module.build(SOURCE_CSV)
    assert notes["state_mismatches"] == []
    assert module.write_csv(out) == PROVIDERS_CSV.read_bytes()


# -- the directory ------------------------------------------------------------------------------


def test_size(directory):
    assert len(directory) == 15283


def test_by_ccn(directory):
    burns = directory.by_ccn("015009")
    assert burns == Provider(
        ccn="015009",
        facility_id="AL22944795",
        name="BURNS NURSING HOME, INC.",
        address="701 MONROE STREET NW",
        city="RUSSELLVILLE",
        state="AL",
        zip="35653",
        provider_type="Medicare and Medicaid",
    )
    assert burns.location == "701 MONROE STREET NW, RUSSELLVILLE, AL 35653"
    assert directory.by_ccn(Ccn("015009")) is burns
    assert directory.by_ccn(" 01 5009 ") is burns
    assert directory.by_ccn("01a193").ccn == "01A193"
    assert directory.by_ccn("01a193").provider_type == "Medicaid"


def test_by_facility_id(directory):
    assert directory.by_facility_id("AL22944795").ccn == "015009"
    assert directory.by_facility_id("al22944795").ccn == "015009"
    assert directory.by_facility_id(FacilityId("AL22944795")).ccn == "015009"


@pytest.mark.parametrize("text", ["999999", "015008", "15009", "01#009", "", "nursing"])
def test_unknown_ccn_is_none(directory, text):
    assert directory.by_ccn(text) is None


@pytest.mark.parametrize("text", ["ZZ1", "AL00000000", "AL-1", "", "A" * 17])
def test_unknown_facility_id_is_none(directory, text):
    assert directory.by_facility_id(text) is None


def test_quoted_values_are_read_whole(directory):
    sandy = directory.by_ccn("106038")
    assert sandy.name == 'ALEXANDER "SANDY" NININGER STATE VETERANS NURSING'
    elliott = directory.by_ccn("185415")
    assert elliott.address == "RT 32 EAST, HOWARD CREEK RD"
    assert elliott.city == "SANDY HOOK"


def test_search_by_ccn_prefix(directory):
    assert directory.search("015009")[0].ccn == "015009"
    alabama = directory.search("01", limit=50)
    assert len(alabama) == 50
    assert all(p.ccn.startswith("01") for p in alabama)
    assert [p.ccn for p in alabama] == sorted(p.ccn for p in alabama)
    assert directory.search(" 0 1 5 0 0 9")[0].ccn == "015009"


def test_search_by_facility_id_prefix(directory):
    assert [p.ccn for p in directory.search("AL2294")] == ["015009"]
    assert [p.ccn for p in directory.search("al22944795")] == ["015009"]
    texas = directory.search("TX", limit=30)
    assert len(texas) == 30
    assert all(p.facility_id.startswith("TX") for p in texas)


def test_search_by_name_is_case_insensitive_substring(directory):
    assert "015009" in [p.ccn for p in directory.search("burns nursing")]
    assert "015009" in [p.ccn for p in directory.search("Nursing Home, Inc")]
    hits = directory.search("sandy", limit=100)
    assert {"106038", "105552", "115504", "465111"} <= {p.ccn for p in hits}
    assert all("SANDY" in p.name for p in hits)  # names only, not cities or addresses
    assert "185415" not in {p.ccn for p in hits}  # SANDY HOOK is its city


def test_search_names_starting_with_text_come_first(directory):
    hits = directory.search("sandy", limit=100)
    starts = [p.name.startswith("SANDY") for p in hits]
    assert starts == sorted(starts, reverse=True)
    assert starts[0]


def test_search_forgives_apostrophes_and_full_width(directory):
    assert [p.ccn for p in directory.search("governor's hous")] == ["075338"]
    assert [p.ccn for p in directory.search("GOVERNOR’S HOUS")] == ["075338"]
    assert "015009" in [p.ccn for p in directory.search("ｂｕｒｎｓ")]


def test_search_limit_and_nothing_found(directory):
    assert len(directory.search("a", limit=7)) == 7
    assert directory.search("a", limit=0) == []
    assert directory.search("") == []
    assert directory.search("   ") == []
    assert directory.search("zzzz qqqq") == []
    assert directory.search("x" * 200) == []


def test_search_results_are_unique(directory):
    for text in ["01", "a", "care", "AL", "5"]:
        hits = directory.search(text, limit=200)
        assert len({p.ccn for p in hits}) == len(hits)


def test_search_is_fast(directory):
    queries = ["015009", "01", "67", "AL2294", "TX", "a", "burns", "care center", "zzzzqqq",
               "governor's", "nursing", "x" * 40, "#", "HOME"]
    start = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for text in queries:
            directory.search(text)
    per_call = (time.perf_counter() - start) / (rounds * len(queries))
    assert per_call < 0.005


def test_load_is_lazy_and_fast():
    fresh = ProviderDirectory()
    assert not fresh.loaded
    start = time.perf_counter()
    assert len(fresh) == 15283
    fresh.search("burns")
    elapsed = time.perf_counter() - start
    assert fresh.loaded
    assert elapsed < 0.5  # ~40 ms here; generous for a loaded CI machine


def test_iteration_yields_every_provider_in_ccn_order(directory):
    ccns = [p.ccn for p in directory]
    assert len(ccns) == 15283
    assert ccns == sorted(ccns)


def test_default_directory_is_shared():
    assert default_directory() is default_directory()
    assert default_directory().path == DEFAULT_PATH


def test_facility_id_note_says_sandbox():
    assert "Sandbox" in FACILITY_ID_NOTE


def test_import_is_cheap_and_textual_free():
    code = (
        "import sys, wizard.directory as d, wizard.identifiers;"
        "assert d._default is None;"
        "assert 'textual' not in sys.modules and 'pydantic' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# -- other files --------------------------------------------------------------------------------


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_small_file_unsorted_with_quotes(tmp_path):
    path = _write(tmp_path / "p.csv", [
        '455001,TX1,"A ""Q"", B",1 MAIN ST,DALLAS,TX,75001,Medicare',
        "015009,AL1,BURNS,701 MONROE,RUSSELLVILLE,AL,35653,Medicare and Medicaid",
        '01A193,AL2,"ONE, TWO",2 ST,CITY,AL,36000,Medicaid',
    ])
    directory = ProviderDirectory(path)
    assert [p.ccn for p in directory] == ["015009", "01A193", "455001"]
    assert directory.by_ccn("455001").name == 'A "Q", B'
    assert directory.by_facility_id("al2").name == "ONE, TWO"
    assert [p.ccn for p in directory.search("one, two")] == ["01A193"]
    assert [p.ccn for p in directory.search('"q"')] == ["455001"]
    assert [p.ccn for p in directory.search("AL")] == ["015009", "01A193"]


def test_file_with_a_quoted_line_break_falls_back_to_full_parsing(tmp_path):
    path = _write(tmp_path / "p.csv", [
        '015009,AL1,"BURNS\nNURSING  HOME",701 MONROE,RUSSELLVILLE,AL,35653,Medicare',
        "015010,AL2,COOSA,260 WALNUT,SYLACAUGA,AL,35150,Medicare",
    ])
    directory = ProviderDirectory(path)
    assert len(directory) == 2
    assert directory.by_ccn("015009").name == "BURNS NURSING HOME"
    assert [p.ccn for p in directory.search("burns nursing")] == ["015009"]


def test_crlf_file(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(
        (HEADER + "\r\n015009,AL1,BURNS,701 MONROE,RUSSELLVILLE,AL,35653,Medicare\r\n").encode()
    )
    assert ProviderDirectory(path).by_ccn("015009").provider_type == "Medicare"


def test_duplicate_ccn_refused(tmp_path):
    path = _write(tmp_path / "p.csv", [
        "015009,AL1,A,1 ST,C,AL,35653,Medicare",
        "015009,AL2,B,2 ST,C,AL,35653,Medicare",
    ])
    with pytest.raises(ValueError, match="CCN twice"):
        len(ProviderDirectory(path))


def test_wrong_header_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        len(ProviderDirectory(path))


def test_missing_file_says_how_to_build_it(tmp_path):
    directory = ProviderDirectory(tmp_path / "nope.csv")  # constructing reads nothing
    with pytest.raises(FileNotFoundError, match="iqies-onboard directory import FILE.csv"):
        directory.by_ccn("015009")


def test_empty_file_is_an_empty_directory(tmp_path):
    path = _write(tmp_path / "p.csv", [])
    directory = ProviderDirectory(path)
    assert len(directory) == 0
    assert directory.search("a") == []
    assert directory.by_ccn("015009") is None


def test_duplicate_facility_id_refused(tmp_path):
    path = _write(tmp_path / "p.csv", [
        "015009,AL1,A,1 ST,C,AL,35653,Medicare",
        "015010,AL1,B,2 ST,C,AL,35653,Medicare",
    ])
    with pytest.raises(ValueError, match="Facility ID twice"):
        len(ProviderDirectory(path))


def test_last_row_without_a_line_break(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "\n015010,AL2,COOSA,260 WALNUT,SYLACAUGA,AL,35150,Medicare\n"
                    "015009,AL1,BURNS,701 MONROE,RUSSELLVILLE,AL,35653,Medicare", encoding="utf-8")
    directory = ProviderDirectory(path)
    assert [p.ccn for p in directory] == ["015009", "015010"]
    assert directory.by_ccn("015009").provider_type == "Medicare"
    assert directory.by_facility_id("AL2").name == "COOSA"
    assert directory.by_facility_id("AL3") is None


def test_identifier_with_a_comma_inside_quotes_is_refused(tmp_path):
    path = _write(tmp_path / "p.csv", ['"01,009",AL1,A,1 ST,C,AL,35653,Medicare'])
    with pytest.raises(ValueError, match="letters and digits"):
        len(ProviderDirectory(path))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes((HEADER + "\n015009,AL1,CAF\xc9,1 ST,C,AL,35653,Medicare\n").encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        len(ProviderDirectory(path))
