"""The JSON Schema (``iqies-onboard schema``) is the contract of an answers file: every example
validates with a real validator, and on a set of edge files the schema and the loader agree
(both accept, or both refuse)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from wizard.answers import INTERACTIVE_NOTE, answers_schema, check, parse_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
HAPPY = (ROOT / "examples" / "happy-path.yaml").read_text(encoding="utf-8")


class _StandardYaml(yaml.SafeLoader):
    """What an editor's or a validator's YAML parser reads (numbers are numbers), without YAML
    1.1 timestamps, which JSON has no type for."""


_StandardYaml.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def standard(text: str, kind: str) -> object:
    return json.loads(text) if kind == "json" else yaml.load(text, Loader=_StandardYaml)  # noqa: S506


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = answers_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_declares_its_draft():
    schema = answers_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert INTERACTIVE_NOTE in schema["description"]
    assert "--interactive" in schema["properties"]["expect"]["description"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_against_the_schema(example, validator):
    """three-mistakes.yaml's mistakes are the wizard's rules (a personal email, a ZIP code, a
    CCN's format), which no schema says: it is well-formed."""
    validator.validate(standard(example.read_text(encoding="utf-8"), "yaml"))


def _happy(old: str, new: str) -> str:
    assert old in HAPPY
    return HAPPY.replace(old, new, 1)


EDGE_FILES = {
    # name: (text, kind, both accept?, a word the loader's message has)
    "as-is": (HAPPY, "yaml", True, None),
    "unquoted-ccn": (_happy('id: "365005"', "id: 365005"), "yaml", False, "quotes"),
    "unquoted-ccn-leading-zero": (_happy('id: "365005"', "id: 0365005"), "yaml", False, "quotes"),
    "single-quoted-ccn": (_happy('id: "365005"', "id: '365005'"), "yaml", True, None),
    "unquoted-zip": (_happy('zip_code: "45211"', "zip_code: 45211"), "yaml", True, None),
    "boolean-name": (_happy("first_name: Maria", "first_name: true"), "yaml", False, "text"),
    "unknown-field": (_happy("first_name: Maria", "first_name: Maria\n  nickname: Mia"), "yaml", False,
                      "Unknown field"),
    "no-expect": (_happy("expect: submitted\n", ""), "yaml", False, "required"),
    "unknown-expect": (_happy("expect: submitted", "expect: finished"), "yaml", False, "Choose one of"),
    "no-attempts": (_happy("attempts: [correct]", "attempts: []"), "yaml", False, "at least"),
    "three-attempts": (_happy("attempts: [correct]", "attempts: [wrong, wrong, correct]"), "yaml", False,
                       "at most"),
    "device-unknown": (_happy("device_type: sms", "device_type: pager"), "yaml", False, "Choose one of"),
    "json-as-is": (json.dumps(parse_text(HAPPY, "yaml")), "json", True, None),
    "json-number-ccn": (json.dumps(parse_text(HAPPY, "yaml")).replace('"id": "365005"', '"id": 365005'),
                        "json", False, "quotes"),
    "json-number-zip": (json.dumps(parse_text(HAPPY, "yaml")).replace('"zip_code": "45211"', '"zip_code": 45211'),
                        "json", True, None),
}


@pytest.mark.parametrize("name", list(EDGE_FILES))
def test_schema_and_loader_agree(name, validator):
    text, kind, accepted, says = EDGE_FILES[name]
    schema_errors = list(validator.iter_errors(standard(text, kind)))
    checked = check(parse_text(text, kind), date.today())
    assert (not schema_errors) is accepted, [e.message for e in schema_errors]
    assert checked.ok is accepted, [e.line("f") for e in checked.errors]
    if says:
        assert any(says.lower() in e.message.lower() for e in checked.errors), [e.line("f") for e in checked.errors]


def test_an_unquoted_ccn_is_refused_with_how_to_quote_it():
    checked = check(parse_text(EDGE_FILES["unquoted-ccn"][0], "yaml"), date.today())
    [error] = checked.errors
    assert error.path == "organizations.1.id"
    assert re.search(r'Put it in quotes, like id: "365005"', error.message)


def test_interactive_lets_a_file_leave_out_expect_and_sections():
    partial = "practice_account: maria\n" + HAPPY.split("practice_account: maria\n", 1)[1].split("account:", 1)[0]
    assert "expect" not in partial
    checked = check(parse_text(partial, "yaml"), date.today(), interactive=True)
    assert checked.ok, [e.line("f") for e in checked.errors]
    assert checked.answers.expect == "submitted"
    assert checked.opening is not None and checked.opening.name == "ACCOUNT"
    assert not check(parse_text(partial, "yaml"), date.today()).ok  # without --interactive: required


LEFT = (ROOT / "examples" / "employee-left.yaml").read_text(encoding="utf-8")
REMOVAL = "remove_role: {as: nhale.practice, person: sam, reason: Left the provider}"

REMOVE_ROLE_FILES = {
    # the remove_role action (issue 19): name: (text, both accept?, a word the loader's message has)
    "as-is": (LEFT, True, None),
    "no-reason": (LEFT.replace(REMOVAL, "remove_role: {as: nhale.practice, person: sam}"), False, "required"),
    "unknown-field": (LEFT.replace(REMOVAL, REMOVAL[:-1] + ", when: today}"), False, "Unknown field"),
    "not-one-mapping": (LEFT.replace(REMOVAL, "remove_role: sam"), False, None),
    "unknown-expect": (LEFT.replace("expect: removed", "expect: gone"), False, "Choose one of"),
}


@pytest.mark.parametrize("name", list(REMOVE_ROLE_FILES))
def test_schema_and_loader_agree_on_remove_role(name, validator):
    text, accepted, says = REMOVE_ROLE_FILES[name]
    assert text != LEFT or name == "as-is"
    schema_errors = list(validator.iter_errors(standard(text, "yaml")))
    checked = check(parse_text(text, "yaml"), date.today())
    assert (not schema_errors) is accepted, [e.message for e in schema_errors]
    assert checked.ok is accepted, [e.line("f") for e in checked.errors]
    if says:
        assert any(says.lower() in e.message.lower() for e in checked.errors), [e.line("f") for e in checked.errors]


def test_the_schema_lists_remove_role_among_the_actions():
    text = json.dumps(answers_schema())
    assert "remove_role" in text and "RoleRemoval" in text
