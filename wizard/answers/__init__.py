"""Answers files: a scripted run of the wizard, in YAML or JSON, and the demo personas.

An answers file uses the wizard's own form field names (the step models of :mod:`wizard.models`),
grouped per step::

    expect: submitted            # submitted | manual_proofing | locked | refused | approved
    profile: {first_name: ..., last_name: ..., date_of_birth: 04/27/1980, ...}   # HarpProfile
    account: {user_id: ..., password: ..., challenge_question: ..., challenge_answer: ...}
    proofing: {attempts: [correct], not_a_robot: true}      # or manual: true
    two_factor: {device_type: sms, phone: (614) 555-0101, codes: [correct]}
    role: {category: provider, role: pso, relationship: employee}
    organizations: [{search_by: ccn, id: "365005"}]

A scenario with several people lists them under ``people:`` (each with a ``practice_account``) and
says what approvers do under ``then:`` (``approve``, ``reject``, ``remove_pso``, ``remove_role``,
``advance_clock``, ``run``). ``iqies-onboard schema`` prints the JSON schema of all of it.

Validation is in three passes, all before anything is stored, so that *every* mistake is
reported at once as ``path: message`` (list items count from 1):

1. structure (pydantic): unknown fields, wrong kinds of value, missing fields;
2. content, per step, through :func:`wizard.models.validate_form` with the same context the
   flow uses, so the messages are the wizard's own;
3. the scenario as a whole: unique profiles and User IDs, who acts on whom, which steps each
   person needs for the expected end.

YAML scalars stay text (a CCN like ``015000`` is not read as an octal number, a date stays what
was typed); only ``true``/``false`` and ``null`` are read as such. Anchors and aliases are refused.
Secrets (passwords, challenge answers, TOTP secrets) are :class:`pydantic.SecretStr` and never
appear in a message.

The package, by concern (every name is importable from ``wizard.answers`` as before):

- :mod:`wizard.answers.schema`: the sections, actions and :class:`AnswersFile`; :func:`answers_schema`;
- :mod:`wizard.answers.forms`: a section as the wizard's form; which step a section or field is for;
- :mod:`wizard.answers.errors`: :class:`AnswerError`, :class:`AnswersFileError`, pydantic errors in words;
- :mod:`wizard.answers.loader`: the YAML/JSON text and its limits (:func:`read_raw`, :func:`parse_text`);
- :mod:`wizard.answers.checking`: the content and scenario passes, :func:`check` and :func:`load`;
- :mod:`wizard.answers.demo_personas`: the demo personas (:func:`personas`).
"""

# Private names too: callers (and tests) written against the single module keep working.
from wizard.answers.schema import (  # noqa: F401
    ACTION_KINDS,
    INTERACTIVE_NOTE,
    MAX_ACTIONS,
    MAX_PEOPLE,
    SECTIONS,
    _YAML_NUMBER,
    AccountAnswers,
    Action,
    AdvanceClockAction,
    AnswersFile,
    ApproveAction,
    Decision,
    IdText,
    OrganizationAnswer,
    Outcome,
    PersonAnswers,
    ProfileAnswers,
    ProofingAnswers,
    PsoRemoval,
    Refusal,
    RejectAction,
    Rejection,
    RemovePsoAction,
    RemoveRoleAction,
    RoleRemoval,
    RoleAnswers,
    RunAction,
    Text,
    TwoFactorAnswers,
    UnquotedNumber,
    _Section,
    _action_kind,
    _as_identifier,
    _as_text,
    _enum_from,
    _like,
    answers_schema,
)
from wizard.answers.forms import (  # noqa: F401
    _field_step,
    _SECTION_STEP,
    Context,
    _form,
    account_form,
    end_step,
    profile_form,
    sections_needed,
    step_of,
    two_factor_form,
)
from wizard.answers.errors import (  # noqa: F401
    _ACTION_MODELS,
    AnswerError,
    AnswersFileError,
    _inner_model,
    _model_fields_at,
    _normalise_loc,
    _path,
    _structure_errors,
    _title,
)
from wizard.answers.loader import (  # noqa: F401
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NUMBER_DIGITS,
    _BOOLS,
    _FIELD_NAME,
    _FLOAT,
    _INT,
    _PLAIN_TAGS,
    _JsonProblem,
    _field_shown,
    _json_constant,
    _json_line,
    _json_number,
    _json_object,
    _open_regular,
    _text_loader,
    _too_deep,
    _yaml_problem,
    parse_text,
    read_raw,
)
from wizard.answers.checking import (  # noqa: F401
    _BASE32,
    _SECTION_MODELS,
    Checked,
    _field_order,
    _literal_hint,
    _person_prefix,
    _up_to,
    _wizard_errors,
    check,
    content_errors,
    load,
    open_step,
    organization_problem,
    scenario_errors,
    totp_secret_problem,
)
from wizard.answers.demo_personas import (  # noqa: F401
    PERSONAS_PATH,
    Persona,
    _PersonaFile,
    personas,
)
