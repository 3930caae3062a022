"""An answers file's mistakes: :class:`AnswerError` (one ``path: message``), :class:`AnswersFileError`
(a file that cannot be read at all) and the structure pass's pydantic errors in plain words."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from wizard.answers.schema import (
    ACTION_KINDS,
    AdvanceClockAction,
    AnswersFile,
    ApproveAction,
    RejectAction,
    RemovePsoAction,
    RemoveRoleAction,
    RunAction,
)
from wizard.steps import Step

@dataclass(frozen=True)
class AnswerError:
    """One mistake: ``path`` like ``people.2.account.password`` (list items count from 1)."""

    path: str
    message: str
    kind: str = "invalid"  # "structure" (never filled on screen), "missing" or "invalid"
    step: Step | None = None
    person: int = 0  # index into AnswersFile.persons()

    def line(self, source: str) -> str:
        from wizard.sanitize import clean_line

        return clean_line(f"{source}: {self.path}: {self.message}")


class AnswersFileError(Exception):
    """The file cannot be read as an answers file at all; ``str(err)`` is one line."""


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in loc)


_ACTION_MODELS: dict[str, type[BaseModel]] = {
    "approve": ApproveAction, "reject": RejectAction, "remove_pso": RemovePsoAction,
    "remove_role": RemoveRoleAction,
    "advance_clock": AdvanceClockAction, "run": RunAction,
}


def _normalise_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic repeats an action's tag: ('then', 0, 'approve', 'approve', 'as') -> without it."""
    if len(loc) > 3 and loc[0] == "then" and isinstance(loc[1], int) and loc[2] in _ACTION_MODELS and loc[3] == loc[2]:
        return loc[:2] + loc[3:]
    return loc


def _model_fields_at(loc: tuple[Any, ...]) -> dict[str, Any]:
    """The fields of the model that holds the last element of ``loc`` (for titles, suggestions)."""
    from typing import get_args

    model: Any = AnswersFile
    parts = loc[:-1]
    for i, part in enumerate(parts):
        if isinstance(part, int):
            continue
        if parts[:1] == ("then",) and i == 2:
            model = _ACTION_MODELS.get(part, model)
        fields = getattr(model, "model_fields", {})
        info = next((f for n, f in fields.items() if part in (n, f.alias)), None)
        model = _inner_model(info.annotation, get_args) if info is not None else None
        if model is None:
            return {}
    return getattr(model, "model_fields", {})


def _inner_model(annotation: Any, get_args) -> Any:
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(get_args(current))
    return None


def _title(fields: dict[str, Any], name: str) -> str:
    for key, info in fields.items():
        if name in (key, info.alias) and info.title:
            return info.title
    return name.replace("_", " ").capitalize()


def _structure_errors(err: ValidationError) -> list[tuple[tuple[Any, ...], str, str]]:
    """(loc, kind, message) for each pydantic error, in plain words."""
    out: list[tuple[tuple[Any, ...], str, str]] = []
    for item in err.errors(include_url=False):
        loc = _normalise_loc(tuple(item["loc"]))
        kind = item["type"]
        name = str(loc[-1]) if loc else "file"
        fields = _model_fields_at(loc) if loc else {}
        if kind == "missing":
            out.append((loc, "missing", f"{_title(fields, name)} is required."))
        elif kind == "extra_forbidden":
            known = [(f.alias or n) for n, f in fields.items()]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})" if known else ""
            out.append((loc, "structure", f"Unknown field{hint}."))
        elif kind == "literal_error":
            out.append((loc, "structure", f"Choose one of: {item['ctx']['expected'].replace(chr(39), '')}."))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            out.append((loc, "structure", f"Each action is one mapping with one of: {', '.join(ACTION_KINDS)}."))
        elif kind in ("bool_type", "bool_parsing"):
            out.append((loc, "structure", "Write true or false."))
        elif kind in ("int_type", "int_parsing", "int_from_float"):
            out.append((loc, "structure", "Write a whole number."))
        elif kind in ("string_type",):
            out.append((loc, "structure", "Write text here (one value, not a list or mapping)."))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            out.append((loc, "structure", "Write a mapping of fields here (name: value)."))
        elif kind == "list_type":
            out.append((loc, "structure", "Write a list here."))
        elif kind == "too_short":
            out.append((loc, "structure", f"List at least {item['ctx'].get('min_length', 1)} item(s)."))
        elif kind == "too_long":
            out.append((loc, "structure", f"List at most {item['ctx'].get('max_length')} items."))
        elif kind in ("greater_than_equal", "less_than_equal"):
            out.append((loc, "structure", f"{item['msg']}."))
        else:
            out.append((loc, "structure", f"{item['msg']}."))
    return out
