"""The step registry: one ordered list of specs; numbers, order and lookups derive from it."""

from __future__ import annotations

import json

import pytest

from wizard import models
from wizard.catalogue import help_texts
from wizard.resources import data_path
from wizard.steps import ORDER, FieldSpec, Step, StepSpec, register, registered, unregister


def test_the_order_is_the_one_list_and_numbers_follow_it():
    assert Step.ordered() == ORDER
    assert [s.number for s in Step.ordered()] == list(range(1, len(ORDER) + 1))
    assert len(Step) == len(ORDER) and list(Step) == ORDER
    first, last = Step.ordered()[0], Step.ordered()[-1]
    assert first.previous is None and last.next is None
    for a, b in zip(ORDER, ORDER[1:]):
        assert a.next is b and b.previous is a and a < b and a <= b and b > a


def test_members_are_specs_found_by_attribute_key_and_name():
    for spec in ORDER:
        assert isinstance(spec, StepSpec) and isinstance(spec, Step)
        assert getattr(Step, spec.key.upper()) is spec
        assert Step.from_key(spec.key) is spec and Step[spec.name] is spec
        assert spec.info is spec and spec.help_id
        assert spec.position == f"step {spec.number} of {len(Step)}"
    assert {Step.PROFILE: 1}[Step.from_key("profile")] == 1
    with pytest.raises(ValueError):
        Step.from_key("nope")
    with pytest.raises(AttributeError):
        Step.NOPE  # noqa: B018


def test_fields_take_label_required_and_limit_from_the_model_unless_the_page_says():
    first = Step.PROFILE.field("first_name")
    assert first is not None and first.label == models.HarpProfile.model_fields["first_name"].title
    assert first.required is True and first.max_length == 50  # the rule's limit, not the parse bound
    assert Step.PROFILE.field("middle_name").required is False
    assert Step.PROFILE.field("suffix").max_length == 10  # from the model
    phone = Step.TWO_FACTOR_SETUP.field("phone")
    assert phone.required is True
    assert not phone.applies_to({"device_type": "google_authenticator"}) and phone.applies_to({"device_type": "sms"})
    assert ("sms", models.DEVICE_TYPES["sms"]) in Step.TWO_FACTOR_SETUP.field("device_type").options()


def test_a_step_registered_at_test_time_is_numbered_and_goes_away():
    before = Step.ordered()
    spec = StepSpec(key="accept_terms", system="iQIES", real_page="Accept Terms", real_address="iqies.cms.gov",
                    label="Accept terms", fields=(FieldSpec("accept", "yesno", label="I accept"),))
    with registered(spec, after="iqies_sign_in"):
        assert Step.ACCEPT_TERMS is spec
        assert spec.previous is Step.IQIES_SIGN_IN and spec.next is Step.WELCOME
        assert Step.WELCOME.number == spec.number + 1 and len(Step) == len(before) + 1
        with pytest.raises(ValueError):
            register(spec)
    assert Step.ordered() == before
    register(spec, before="profile")
    try:
        assert Step.ordered()[0] is spec and Step.PROFILE.number == spec.number + 1
    finally:
        unregister("accept_terms")
    assert Step.ordered() == before


def test_every_step_model_is_in_a_spec():
    in_specs = {spec.model for spec in ORDER if spec.model is not None}
    step_models = {cls for cls in vars(models).values()
                   if isinstance(cls, type) and issubclass(cls, models.StepModel) and cls is not models.StepModel}
    assert step_models <= in_specs
    assert set(models.STEP_MODELS.values()) == in_specs


def test_every_step_has_a_help_entry_and_presenter_notes():
    notes = json.loads(data_path("presenter_notes.json").read_text(encoding="utf-8"))["steps"]
    for spec in ORDER:
        assert spec.help_id in help_texts(), spec.key
        assert spec.key in notes, spec.key


def test_never_saved_is_an_explicit_list_of_the_specs_own_fields():
    for spec in ORDER:
        names = {f.name for f in spec.fields}
        assert set(spec.never_saved) <= names, spec.key
        for f in spec.fields:
            if f.kind in ("secret", "code", "answers"):
                assert f.name in spec.never_saved, (spec.key, f.name)
