"""``iqies-onboard directory import FILE.csv``: a newer CMS Provider Information download becomes
the directory of the data directory; a file that is not one gets one line and changes nothing.
tools/build_directory.py calls the same code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from app import cli
from wizard.directory import BUILT_IN_RELEASE, default_directory, find_organization, use_data_dir
from wizard.directory_build import DirectorySourceError, build, import_directory

ROOT = Path(__file__).resolve().parent.parent

NEWER_HEADER = ('"CMS Certification Number (CCN)","Provider Name","Provider Address","City/Town","State",'
                '"ZIP Code","Telephone Number","Provider Type","Processing Date"\n')
NEWER_ROWS = [
    '"015009","BURNS NURSING HOME, INC.","701 MONROE STREET NW","RUSSELLVILLE","AL","35653",'
    '"2563324110","Medicare and Medicaid","2025-06-01"\n',
    '"365999","NEW CARE  HOME","1 NEW ROAD","SOMEWHERE","OH","43215","6145550100","Medicare","2025-06-01"\n',
]
OLDER = ('"Federal Provider Number","Provider Name","Provider Address","Provider City","Provider State",'
         '"Provider Zip Code","Provider Type"\n'
         '"365005","CAF\xc9 HOME \u2019S","2 OLD ROAD","CINCINNATI","OH","45211","Medicaid"\n')


@pytest.fixture(autouse=True)
def _no_selected_dir():
    yield
    use_data_dir(None)


def newer_file(tmp_path: Path) -> Path:
    """A newer release: UTF-8, renamed columns, CCN 365005 gone, 365999 new (made up)."""
    path = tmp_path / "NH_ProviderInfo_Jun2025.csv"
    path.write_text(NEWER_HEADER + "".join(NEWER_ROWS), encoding="utf-8")
    return path


def test_a_newer_release_is_used_from_then_on(tmp_path, capsys):
    data = tmp_path / "data"
    code = cli.main(["--data-dir", str(data), "directory", "import", str(newer_file(tmp_path))])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""
    assert out.out.startswith("Provider directory: CMS Provider Information, 2025-06-01 "
                              "(NH_ProviderInfo_Jun2025.csv), 2 providers; used from now on")
    directory = default_directory(data)
    assert directory.imported and len(directory) == 2
    assert directory.release == "CMS Provider Information, 2025-06-01 (NH_ProviderInfo_Jun2025.csv)"
    assert directory.by_ccn("365999").name == "NEW CARE HOME"  # respaced, as the shipped file
    assert directory.by_ccn("365005") is None
    provider, problem = find_organization(directory, "ccn", "365005")
    assert provider is None and "2025-06-01" in problem
    # the Facility ID is the sandbox's, from the CCN alone: the same as in the shipped file
    assert directory.by_ccn("015009").facility_id == default_directory().by_ccn("015009").facility_id
    # another data directory still has the shipped one
    use_data_dir(None)
    assert default_directory(tmp_path / "other").release == BUILT_IN_RELEASE


def test_an_older_cp1252_release_imports(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(OLDER.encode("cp1252"))
    release, count = import_directory(path, tmp_path / "data")
    assert (release, count) == ("CMS Provider Information, old.csv", 1)
    assert default_directory(tmp_path / "data").by_ccn("365005").name == "CAF\xc9 HOME \u2019S"


@pytest.mark.parametrize("content", [
    b"just some text\nnot a csv of providers\n",
    b"",
    b'"Federal Provider Number","Provider Name"\n"015009","X"\n',  # a column missing
    NEWER_HEADER.encode(),  # no providers
    (NEWER_HEADER + NEWER_ROWS[0] + NEWER_ROWS[0]).encode(),  # a CCN twice
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
])
def test_a_file_that_is_not_a_download_gets_one_line_and_keeps_the_directory(tmp_path, capsys, content):
    data = tmp_path / "data"
    assert cli.main(["--data-dir", str(data), "directory", "import", str(newer_file(tmp_path))]) == 0
    before = {p.name: p.read_bytes() for p in (data / "provider-directory").iterdir()}
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    code = cli.main(["--data-dir", str(data), "directory", "import", str(bad)])
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert len(out.err.splitlines()) == 1 and "Traceback" not in out.err
    assert out.err.rstrip().endswith("the provider directory in use is kept")
    assert {p.name: p.read_bytes() for p in (data / "provider-directory").iterdir()} == before


def test_a_missing_file_gets_one_line(tmp_path, capsys):
    code = cli.main(["--data-dir", str(tmp_path / "d"), "directory", "import", str(tmp_path / "nope.csv")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "does not exist" in err
    assert not (tmp_path / "d" / "provider-directory").exists()


def test_the_report_says_which_release(tmp_path, capsys):
    data = tmp_path / "data"
    assert cli.main(["--data-dir", str(data), "run", "--answers", str(ROOT / "examples" / "happy-path.yaml")]) == 0
    assert cli.main(["--data-dir", str(data), "report", "--profile", "maria"]) == 0
    assert f"**Provider directory:** {BUILT_IN_RELEASE}" in (data / "readiness-report.md").read_text()
    assert cli.main(["--data-dir", str(data), "directory", "import", str(newer_file(tmp_path))]) == 0
    assert cli.main(["--data-dir", str(data), "report", "--profile", "maria"]) == 0
    md = (data / "readiness-report.md").read_text()
    html = (data / "readiness-report.html").read_text()
    assert "2025-06-01 (NH\\_ProviderInfo\\_Jun2025.csv)" in md
    assert "2025-06-01 (NH_ProviderInfo_Jun2025.csv)" in html


def test_the_tool_calls_the_same_code(tmp_path):
    spec = importlib.util.spec_from_file_location("build_directory", ROOT / "tools" / "build_directory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build is build
    with pytest.raises(DirectorySourceError):
        build(ROOT / "README.md")


async def test_the_add_organizations_page_names_the_imported_release(tmp_path):
    from tests.factory import make_app
    from tests.states import advance_to
    from wizard.steps import Step

    data = tmp_path / "data"
    import_directory(newer_file(tmp_path), data)
    flow = advance_to(data, Step.ORGANIZATIONS)
    app = make_app(data, flow.clock, signed_in=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        preview = str(app.screen.query_one("#search-preview").render())
        assert preview == "Provider directory: CMS Provider Information, 2025-06-01 (NH_ProviderInfo_Jun2025.csv)"
        assert not app.error_references
