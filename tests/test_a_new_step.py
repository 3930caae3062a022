"""A contributor's page: a throwaway step ("Accept terms", between iQIES sign-in and Welcome)
registered at test time with a spec and nothing else in wizard/, walked in the flow and through
``run --answers``; the step list, numbering and help fallback follow the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.states import advance_to, answers_for, new_flow
from tests.throwaway_step import REFUSAL, accept_terms
from app import cli
from wizard.catalogue import help_for
from wizard.demo import presenter_notes
from wizard.steps import Step, registered

TERMS = accept_terms()  # the contributor's one file: tests/throwaway_step.py

# -----------------------------------------------------------------------------------------------------


@pytest.fixture
def terms():
    with registered(TERMS, after="iqies_sign_in") as spec:
        yield spec


def test_a_new_step_needs_only_its_own_files(terms, data_dir, tmp_path, capsys):
    before = len(Step) - 1
    # the step list and numbering follow the one registry line
    assert Step.ordered().index(terms) == Step.ordered().index(Step.IQIES_SIGN_IN) + 1
    assert terms.number == Step.IQIES_SIGN_IN.number + 1 and Step.WELCOME.number == terms.number + 1
    assert len(Step) == before + 1 and terms.position == f"step {terms.number} of {before + 1}"
    assert Step.ACCEPT_TERMS is terms and Step.from_key("accept_terms") is terms
    # help and presenter notes fall back when the data files say nothing of it
    fallback = help_for(terms.help_id)  # built from the spec: its number, page and fields
    assert fallback.title == f"Step {terms.number}: {terms.label}"
    assert "**Rules of Behavior**" in fallback.body and "I accept the iQIES Rules of Behavior" in fallback.body
    assert presenter_notes(terms).tips == ()
    assert terms.field("accept").label == "I accept the iQIES Rules of Behavior"

    # in the flow: signing in leads to it, Welcome waits for it, Next records it
    flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
    sections = answers_for()
    assert flow.submit(Step.IQIES_SIGN_IN, Step.IQIES_SIGN_IN.form_from(sections, flow)).next_step is terms
    assert flow.current_step is terms and not flow.can_open(Step.WELCOME)
    assert flow.back(terms).ok is False  # no Back: signing in is not undone
    refused = flow.submit(terms, {"accept": False})
    assert not refused.ok and "Rules of Behavior" in refused.errors["accept"]
    assert [s for s, state in flow.step_states() if state == "current"] == [terms]
    assert flow.submit(terms, terms.form_from({"terms": {"accept": True}}, flow)).next_step == Step.WELCOME
    again = new_flow(data_dir)  # a relaunch signs in again, and goes on past the accepted terms
    assert again.current_step == Step.IQIES_SIGN_IN
    assert again.submit(Step.IQIES_SIGN_IN, Step.IQIES_SIGN_IN.form_from(sections, again)).next_step == Step.WELCOME

    # through run --answers, with a section for it
    path = tmp_path / "terms.yaml"
    raw = {"practice_account": "terms", "expect": "submitted", **_file_sections(), "terms": {"accept": True}}
    path.write_text(json.dumps(raw), encoding="utf-8")  # JSON is YAML; CCNs stay quoted
    code = cli.main(["--data-dir", str(tmp_path / "run"), "run", "--answers", str(path)])
    printed = capsys.readouterr()
    out = printed.out
    assert code == 0, printed.out + printed.err
    assert f"{terms.number}/{len(Step)} Rules of Behavior: ok" in out
    assert f"{Step.WELCOME.number}/{len(Step)} Welcome to iQIES: ok" in out
    assert f"{len(Step)}/{len(Step)} {Step.ordered()[-1].real_page}: request pending" in out

    # a file without the section is told it needs one, and nothing runs
    del raw["terms"]
    path.write_text(json.dumps(raw), encoding="utf-8")  # JSON is YAML; CCNs stay quoted
    code = cli.main(["--data-dir", str(tmp_path / "run2"), "run", "--answers", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "terms: this section is needed" in err, err


def test_the_step_and_its_section_go_away_when_unregistered(tmp_path):
    from wizard.answers import AnswersFile, PersonAnswers

    with registered(TERMS, after="iqies_sign_in"):
        assert "terms" in PersonAnswers.model_fields and "terms" in AnswersFile.model_fields
    assert TERMS not in Step.ordered() and "terms" not in AnswersFile.model_fields
    with pytest.raises(AttributeError):
        Step.ACCEPT_TERMS  # noqa: B018


def _file_sections() -> dict[str, Any]:
    """The happy path as an answers file (YAML: CCNs in quotes, no secrets object)."""
    sections = answers_for()
    account = dict(sections["account"])
    account.pop("user_id_permanent_ok")
    return {**sections, "account": account, "profile": {**sections["profile"]}}


def test_registry_lines_are_one_per_step():
    """The README's one registry line: wizard/steps/__init__.py's ORDER lists each spec once."""
    init = (Path(__file__).resolve().parent.parent / "wizard" / "steps" / "__init__.py").read_text(encoding="utf-8")
    for spec in Step.ordered():
        assert init.count(f"    {spec.key}.SPEC,") == 1, spec.key


def test_plain_mode_asks_a_new_steps_fields_from_its_spec(terms, data_dir):
    import io

    from wizard.plain import PlainSession

    flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
    assert flow.submit(Step.IQIES_SIGN_IN, Step.IQIES_SIGN_IN.form_from(answers_for(), flow)).next_step is terms
    out = io.StringIO()
    PlainSession(flow, stdin=io.StringIO("no\nyes\nq\n"), stdout=out).run()
    text = out.getvalue()
    assert f"Step {terms.number} of {len(Step)}, iQIES: Rules of Behavior" in text
    assert "I accept the iQIES Rules of Behavior, required." in text
    assert REFUSAL in text  # the model's refusal of "no"
    assert f"Step {terms.number} done." in text
    assert flow.current_step == Step.WELCOME
