"""What one step is: :class:`StepSpec` (the page, its model, its fields, its facts, Back, Submit,
what is never saved, how an answers-file section becomes its form) and :class:`FieldSpec`.

:class:`Step` is the registry's class: its members are the registered specs, in the order of
:data:`wizard.steps.ORDER`, so ``Step.PROFILE``, ``Step.ordered()``, ``len(Step)``,
``Step.from_key("role")`` and ``step.number`` all read the one list. A test registers a step with
:func:`register` (or the :func:`registered` context manager) and everything derived follows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.models import StepModel

Flow = Any  # an OnboardingFlow: typed loosely so specs import no flow at start-up
Choices = Callable[[Any], list[tuple[str, str]]]  # flow (or None) -> (value, text) pairs

FIELD_KINDS = ("text", "secret", "choice", "yesno", "date", "code", "answers")


class LeftOpen(Exception):
    """An answers file does not say enough for this step's form; ``str(err)`` says what is missing."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a step's page, declared once. ``label``, ``required`` and ``max_length``
    default to what the step's model says (its Field title, whether it has a default, its
    max_length); a spec states them only where the page differs (the rule's real limit is
    shorter than the model's parsing bound, say)."""

    name: str
    kind: str = "text"  # one of FIELD_KINDS
    label: str = ""  # "" = the model's Field title
    required: bool | None = None  # None = as the model says
    max_length: int | None = None  # None = as the model says (typing limit on the page)
    placeholder: str = ""  # shown inside an empty input
    hint: str = ""  # what the plain mode says with the question
    note: str = ""  # the line the page shows under the field
    choices: Choices | None = None  # where a choice's options come from
    applies: Callable[[Mapping[str, Any]], bool] | None = None  # asked only when the form says so

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field {self.name!r}: kind {self.kind!r} is not one of {', '.join(FIELD_KINDS)}")

    def bound(self, model: type[StepModel] | None) -> FieldSpec:
        """This field with what the model says filled in."""
        info = model.model_fields.get(self.name) if model is not None else None
        label = self.label or (info.title if info is not None and info.title else self.name.replace("_", " ").capitalize())
        required = self.required
        if required is None:
            required = bool(info is not None and info.is_required())
        max_length = self.max_length
        if max_length is None and info is not None:
            max_length = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
        return replace(self, label=label, required=required, max_length=max_length)

    def applies_to(self, form: Mapping[str, Any]) -> bool:
        return self.applies is None or bool(self.applies(form))

    def options(self, flow: Flow = None) -> list[tuple[str, str]]:
        return self.choices(flow) if self.choices is not None else []


class _Registry(type):
    """The class of :class:`Step`: ``Step.PROFILE``, ``Step["ROLE"]``, ``len(Step)``, iteration,
    all over the registered specs in order."""

    _order: list[StepSpec]

    def __getattr__(cls, name: str) -> StepSpec:
        if name[:1].isalpha() and name.isupper():
            for spec in type.__getattribute__(cls, "_order"):
                if spec.key == name.lower():
                    return spec
        raise AttributeError(name)

    def __getitem__(cls, name: str) -> StepSpec:
        try:
            return cls.from_key(name.lower())
        except ValueError:
            raise KeyError(name) from None

    def __iter__(cls) -> Iterator[StepSpec]:
        return iter(list(cls._order))

    def __len__(cls) -> int:
        return len(cls._order)

    def __contains__(cls, item: object) -> bool:
        return item in cls._order


class Step(metaclass=_Registry):
    """A registered step (every member is a :class:`StepSpec`). Compares by its place in the
    order, hashes by its key."""

    _order: list[StepSpec] = []
    key: str

    @classmethod
    def ordered(cls) -> list[StepSpec]:
        return list(cls._order)

    @classmethod
    def from_key(cls, key: str) -> StepSpec:
        for spec in cls._order:
            if spec.key == key:
                return spec
        raise ValueError(f"unknown step {key!r}")

    @classmethod
    def keys(cls) -> list[str]:
        return [spec.key for spec in cls._order]

    @classmethod
    def with_submit(cls) -> tuple[str, ...]:
        """The keys of the steps with a Submit (where the flow may refuse), in order."""
        return tuple(spec.key for spec in cls._order if spec.submit is not None)

    @property
    def number(self) -> int:
        """1-based place in the order (derived, never declared)."""
        return Step._order.index(self) + 1

    @property
    def name(self) -> str:
        return self.key.upper()

    @property
    def info(self) -> StepSpec:  # what StepInfo was: the spec carries it all
        return self

    @property
    def previous(self) -> StepSpec | None:
        i = Step._order.index(self)
        return Step._order[i - 1] if i else None

    @property
    def next(self) -> StepSpec | None:
        i = Step._order.index(self)
        return Step._order[i + 1] if i + 1 < len(Step._order) else None

    @property
    def position(self) -> str:
        """"step n of N", as every front end says it."""
        return f"step {self.number} of {len(Step._order)}"

    def _place(self) -> int:
        try:
            return Step._order.index(self)
        except ValueError:  # an unregistered spec sorts after every registered one
            return len(Step._order)

    def __lt__(self, other: Step) -> bool:
        return self._place() < other._place()

    def __le__(self, other: Step) -> bool:
        return self._place() <= other._place()

    def __gt__(self, other: Step) -> bool:
        return self._place() > other._place()

    def __ge__(self, other: Step) -> bool:
        return self._place() >= other._place()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"<Step.{self.name}>"


def _always(flow: Flow) -> bool:
    return True


def _no_form(answers: Mapping[str, Any], flow: Flow, how: str | None = None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, eq=False, repr=False)
class StepSpec(Step):
    """Everything one step is, in one place (a module of :mod:`wizard.steps`).

    - ``system``, ``real_page``, ``real_address``: the real CMS page it stands for; ``label`` the
      step list's short label; ``help_id`` its entry in ``data/help.json`` (default: the key).
    - ``model`` the pydantic model Submit validates; ``fields`` its fields, declared once.
    - ``done(flow)``: the fact that holds once this step is done; a later step opens only when
      every earlier step's fact holds (:meth:`OnboardingFlow.first_step_not_done`).
    - ``back``: Back goes to the previous step; ``no_back`` what the page says when it cannot.
    - ``sealed(flow)``: a point of no return: once true, this step and every earlier one are
      done in the real system and never reopen; ``sealed_message`` says so.
    - ``submit(flow, form)``: what Next does (a :class:`StepOutcome`).
    - ``never_saved``: the fields no draft keeps (passwords, answers, codes).
    - ``section``: the answers-file section it reads (a new section: ``answers_model`` is its
      pydantic model, and answers files accept it while the step is registered);
      ``form_from(answers, flow, how)`` turns a person's answers (section name -> section, as
      a dict) into this page's form, raising
      :class:`LeftOpen` when they do not say; ``how`` is "correct"/"wrong" where a file says
      which (proofing attempts, security codes), "draft" for what a page opened from the
      file shows (no code is fetched, nothing is set up).
    - ``play(walk, step)``: how an answers-file run plays this step (``walk`` is a
      :class:`wizard.walk.AnswersWalk`): a :class:`wizard.walk.RunEnd` to stop the run, None to
      go on; without one the walk's generic step does it (``form_from``, then Next).
    - ``draft_from_answers(flow, answers)``: what the page starts with when ``run --interactive``
      opens it from an answers file, when that is more than its form kept as a draft (the
      organizations are added); it may raise :class:`LeftOpen` when the answers do not say.
    - ``facts(flow)``: the facts its validators need beyond every step's (today, the profile, the
      catalogue), as a dict :meth:`OnboardingFlow.context` adds when validating this step (a
      database read only where it matters: live checks run on every keystroke);
      ``facts_by_default``: also when ``context()`` names no step.
    - ``ends``: the ends of an answers-file run (besides submitted and refused) that stop at this
      step, so a file expecting one needs answers up to here (proofing: ``manual_proofing``).
    - ``page_fill(flow, answers)``: what trainer mode types on this page for a persona, as
      ``(form, note)`` (``note`` a sentence for the trainer, or ""), when that is more than
      ``form_from``'s form (the proofing answers as the page's choices, the next organization
      to search, a wrong code the scenario needs); it may raise :class:`LeftOpen` (the page
      stays empty). Without one, trainer mode types ``form_from(answers, flow)``.
    - ``prepare(flow, form)``: the slow part of this step's Next (argon2id: a hash, a password
      check) done ahead for the form as typed so far (:func:`wizard.hashing.prepare_hash`); a page
      calls it (:meth:`OnboardingFlow.prepare`) from a worker thread when typing pauses, and
      Next then finds it done. It only prepares: it changes nothing and decides nothing.
    """

    key: str = ""
    system: str = "HARP"  # "HARP" or "iQIES": which real site the page stands for
    real_page: str = ""
    real_address: str = ""
    label: str = ""
    help_id: str = ""
    model: type[StepModel] | None = None
    fields: tuple[FieldSpec, ...] = ()
    done: Callable[[Flow], bool] = _always
    back: bool = False
    no_back: str = "There is no earlier page."
    sealed: Callable[[Flow], bool] | None = None
    sealed_message: str = ""
    submit: Callable[[Flow, dict[str, Any]], Any] | None = None
    never_saved: tuple[str, ...] = ()
    section: str | None = None
    reads: tuple[str, ...] = ()  # the section's fields this step uses (() = all of them)
    also_reads: tuple[str, ...] = ()  # other sections its form needs (sign-in: account)
    form_from: Callable[..., dict[str, Any]] = _no_form
    draft_from: Callable[[Flow], dict[str, Any]] | None = None  # what HARP fills in itself
    answers_model: type | None = None  # the model of its own answers-file section, if it has one
    play: Callable[[Any, Any], Any] | None = None  # (AnswersWalk, this step) -> RunEnd | None
    draft_from_answers: Callable[[Flow, Mapping[str, Any]], None] | None = None  # None: form_from's draft
    facts: Callable[[Flow], dict[str, Any]] | None = None  # its validators' own context
    facts_by_default: bool = False  # facts also in flow.context() without a step
    ends: tuple[str, ...] = ()  # run ends (RunEnd.end, an answers file's expect) that stop here
    page_fill: Callable[[Flow, Mapping[str, Any]], tuple[dict[str, Any], str]] | None = None  # None: form_from's
    prepare: Callable[[Flow, dict[str, Any]], None] | None = None  # Next's slow work, done ahead

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a step needs a key")
        if not self.help_id:
            object.__setattr__(self, "help_id", self.key)
        object.__setattr__(self, "fields", tuple(f.bound(self.model) for f in self.fields))

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def field_label(self, name: str) -> str:
        spec = self.field(name)
        if spec is not None:
            return spec.label
        if self.model is not None:
            return self.model.label(name)
        return name.replace("_", " ").capitalize()

    def is_done(self, flow: Flow) -> bool:
        return bool(self.done(flow))

    def is_sealed(self, flow: Flow) -> bool:
        return self.sealed is not None and bool(self.sealed(flow))

    def apply(self, flow: OnboardingFlow, form: dict[str, Any]) -> Any:
        if self.submit is None:
            from wizard.outcome import StepOutcome

            return StepOutcome(True, next_step=self.next)
        return self.submit(flow, form)


# --- the registry ------------------------------------------------------------------------------


def install(order: list[StepSpec]) -> None:
    """Set the order (wizard.steps does this once, from ORDER)."""
    keys = [s.key for s in order]
    if len(set(keys)) != len(keys):
        raise ValueError("two steps share a key")
    gone = [s for s in Step._order if s not in order]
    Step._order[:] = order
    for spec in gone:
        if spec.answers_model is not None:
            _answers_section(spec, add=False)
    for spec in order:
        if spec.answers_model is not None:
            _answers_section(spec, add=True)


def _answers_section(spec: StepSpec, *, add: bool) -> None:
    """Answers files accept a registered step's own section (``spec.section``, validated by
    ``spec.answers_model``), and no longer once it is unregistered."""
    from pydantic.fields import FieldInfo

    from wizard import answers

    name = spec.section
    assert name is not None, f"step {spec.key!r} has an answers_model but no section"
    models = [answers.PersonAnswers]
    while models:
        model = models.pop()
        models.extend(model.__subclasses__())
        if add and name not in model.model_fields:
            model.model_fields[name] = FieldInfo.from_annotated_attribute(spec.answers_model | None, None)
        elif not add and name in model.model_fields:
            del model.model_fields[name]
        else:
            continue
        model.model_rebuild(force=True)


def register(spec: StepSpec, *, after: str | None = None, before: str | None = None) -> StepSpec:
    """Add ``spec`` to the order, after (or before) the step with that key (default: last)."""
    if spec.key in Step.keys():
        raise ValueError(f"step {spec.key!r} is registered already")
    order = Step.ordered()
    if after is not None:
        order.insert(order.index(Step.from_key(after)) + 1, spec)
    elif before is not None:
        order.insert(order.index(Step.from_key(before)), spec)
    else:
        order.append(spec)
    install(order)
    return spec


def unregister(key: str) -> None:
    install([s for s in Step.ordered() if s.key != key])


@contextlib.contextmanager
def registered(spec: StepSpec, *, after: str | None = None, before: str | None = None) -> Iterator[StepSpec]:
    """``with registered(spec, after="iqies_sign_in"):`` the step exists only inside."""
    register(spec, after=after, before=before)
    try:
        yield spec
    finally:
        unregister(spec.key)


# --- helpers the step modules share ------------------------------------------------------------


def pairs(table: Mapping[str, str]) -> Choices:
    """Choices from a (value -> text) table of the domain."""
    return lambda flow=None: list(table.items())


def section_of(answers: Mapping[str, Any], name: str, missing: str = "") -> dict[str, Any]:
    """One section of a person's answers as a dict (a pydantic section is dumped), or
    :class:`LeftOpen` when the answers have none."""
    value = answers.get(name) if isinstance(answers, Mapping) else getattr(answers, name, None)
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    elif isinstance(value, list):
        value = [v.model_dump() if hasattr(v, "model_dump") else v for v in value]
    if not isinstance(value, (dict, list)):
        raise LeftOpen(missing or f"the file has no {name} section")
    return value  # type: ignore[return-value]


def password_check_ahead(flow: Any, form: dict[str, Any]) -> None:
    """A ``prepare`` for a page that signs in: the check of the password typed so far against
    the account's, made ahead (the 2FA setup's HARP login, the iQIES sign-in)."""
    from wizard.hashing import prepare_verify

    if form.get("password"):
        prepare_verify(flow.record.password_hash, str(form["password"]))


def secret_text(value: Any) -> Any:
    """A secret as typed: SecretStr's text, anything else as it is."""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def outcomes(section: Any, name: str) -> list[str]:
    """A section's list of "correct"/"wrong", in order (its proofing ``attempts``, its security
    ``codes``); ["correct"] when it says none."""
    value = section.get(name) if isinstance(section, Mapping) else getattr(section, name, None)
    return list(value or ["correct"])


def outcome_at(said: list[str], n: int, *, last_repeats: bool = False) -> str | None:
    """How the ``n``-th try (from 0) is typed, as ``said`` (:func:`outcomes`) says: the one choice
    an answers-file run and trainer mode share (proofing attempt ``n``, the code after ``n``
    wrong ones). Past the list: None (a run has nothing more to type), or with
    ``last_repeats`` the last one again (trainer mode fills every further page the same way)."""
    if n < len(said):
        return said[n]
    return said[-1] if last_repeats and said else None


def scalars(section: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named text fields of a section (what a page's choice would hold)."""
    return {k: v for k, v in section.items() if k in names and isinstance(v, str)}


def request_valid(flow: Flow, key: str) -> bool:
    """Whether the role request's part for step ``key`` (category, role, organizations) holds."""
    from wizard.catalogue import catalogue
    from wizard.models import validate_form

    req = flow.record.request
    if key == "category":
        form: dict[str, Any] = {"category": req.category}
    elif key == "role":
        form = {"role": req.role, "relationship": req.relationship}
    else:
        form = {"organizations": [o.model_dump() for o in req.organizations]}
    spec = Step.from_key(key)
    assert spec.model is not None
    _, errors = validate_form(spec.model, form, {"catalogue": catalogue()})
    return not errors
