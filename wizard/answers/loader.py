"""Reading an answers file's text, YAML or JSON, with its limits: a regular file of at most
MAX_FILE_BYTES, UTF-8, at most MAX_DEPTH levels, no anchors, aliases or custom tags, no repeated
keys, scalars kept as text; every problem one line that never repeats a value (it may be a secret)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from wizard.answers.errors import AnswersFileError
from wizard.answers.schema import _YAML_NUMBER, UnquotedNumber

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40  # nested mappings and lists; an answers file needs five or six
MAX_NUMBER_DIGITS = 40  # an explicit !!int or !!float, or a JSON number

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_BOOLS = {"true": True, "false": False}
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$")


_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")


def _field_shown(key: Any) -> str:
    """A repeated key as a message may name it: a field name (snake_case), never other text,
    which may be a value (a password) typed in the wrong place."""
    return f"the field {key}" if isinstance(key, str) and _FIELD_NAME.match(key) else "a field"


def _yaml_problem(yaml, message: str, node) -> Exception:
    """A construction error at ``node``, whose message never repeats the value (it may be a secret)."""
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _text_loader():
    import yaml

    class TextLoader(yaml.SafeLoader):
        """Builds only plain mappings, lists, text, numbers (explicit ``!!int``/``!!float``),
        true/false and null. Scalars stay text unless tagged; no aliases; keys are text; no
        duplicate keys; at most MAX_DEPTH levels; every problem a MarkedYAMLError without the value."""

        _depth = 0

        def __init__(self, stream) -> None:
            super().__init__(stream)
            self.deep_construct = True  # build each value at once, so its errors have its line

        def compose_node(self, parent, index):  # type: ignore[override]
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.MarkedYAMLError(
                    None, None, "anchors and aliases (& and *) are not supported; write the value out",
                    event.start_mark,
                )
            if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
                if self._depth >= MAX_DEPTH:
                    raise yaml.MarkedYAMLError(
                        None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark,
                    )
                self._depth += 1
                try:
                    return super().compose_node(parent, index)
                finally:
                    self._depth -= 1
            return super().compose_node(parent, index)

        def construct_object(self, node, deep=False):  # type: ignore[override]
            if node.tag not in _PLAIN_TAGS:
                core = node.tag.removeprefix("tag:yaml.org,2002:")
                tag = f"the tag !!{core}" if core != node.tag and core.isalpha() and len(core) <= 20 else "a custom tag"
                raise _yaml_problem(yaml, f"{tag} is not supported; write plain text, a list or fields", node)
            if node.tag == "tag:yaml.org,2002:map" and not isinstance(node, yaml.MappingNode) or (
                node.tag == "tag:yaml.org,2002:seq" and not isinstance(node, yaml.SequenceNode)
            ):
                raise _yaml_problem(yaml, "a !!map or !!seq tag on a value of another kind", node)
            try:
                return super().construct_object(node, deep=deep)
            except yaml.MarkedYAMLError:
                raise
            except Exception:  # noqa: BLE001 - any construction error, told without the value
                raise _yaml_problem(yaml, "this value cannot be read", node) from None

        def construct_yaml_bool(self, node):  # type: ignore[override]
            value = self.construct_scalar(node)
            if not isinstance(value, str) or value.lower() not in _BOOLS:
                raise _yaml_problem(yaml, "a !!bool value must be true or false", node)
            return _BOOLS[value.lower()]

        def construct_yaml_int(self, node):  # type: ignore[override]
            value = str(self.construct_scalar(node)).strip()
            if not _INT.match(value) or len(value) > MAX_NUMBER_DIGITS:
                raise _yaml_problem(yaml, f"a !!int value must be a whole number of at most {MAX_NUMBER_DIGITS} digits", node)
            return int(value.replace("_", ""))

        def construct_yaml_float(self, node):  # type: ignore[override]
            value = str(self.construct_scalar(node)).strip()
            if not _FLOAT.match(value) or not any(c.isdigit() for c in value) or len(value) > MAX_NUMBER_DIGITS:
                raise _yaml_problem(yaml, f"a !!float value must be a number of at most {MAX_NUMBER_DIGITS} digits", node)
            return float(value.replace("_", ""))

        def construct_mapping(self, node, deep=False):  # type: ignore[override]
            if not isinstance(node, yaml.MappingNode):
                raise _yaml_problem(yaml, "expected fields here", node)
            self.flatten_mapping(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _yaml_problem(yaml, "a field name must be plain text, not a list or fields", key_node)
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise _yaml_problem(yaml, "a field name must be plain text", key_node)
                if key in mapping:
                    raise yaml.MarkedYAMLError(
                        None, None, f"{_field_shown(key)} appears twice in the same mapping", key_node.start_mark,
                    )
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

        def flatten_mapping(self, node):  # type: ignore[override]
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _yaml_problem(yaml, "merge keys (<<) are not supported; write the fields out", key_node)

    for tag, method in (
        ("tag:yaml.org,2002:bool", TextLoader.construct_yaml_bool),
        ("tag:yaml.org,2002:int", TextLoader.construct_yaml_int),
        ("tag:yaml.org,2002:float", TextLoader.construct_yaml_float),
        ("tag:yaml.org,2002:map", TextLoader.construct_yaml_map),
    ):
        TextLoader.add_constructor(tag, method)

    keep = {"tag:yaml.org,2002:null"}
    TextLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in keep]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    def construct_text(loader, node):  # type: ignore[no-untyped-def]
        value = loader.construct_scalar(node)
        if node.style is None and _YAML_NUMBER.fullmatch(value):
            return UnquotedNumber(value)
        return value

    TextLoader.add_constructor("tag:yaml.org,2002:str", construct_text)
    TextLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"),
    )
    return TextLoader


def _open_regular(path: Path) -> bytes:
    """The first MAX_FILE_BYTES + 1 bytes of ``path`` if it is a regular file: a FIFO, a device or
    a directory is refused without being opened for long (O_NONBLOCK, so a FIFO cannot hang)."""
    import stat

    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise AnswersFileError("is a directory, not an answers file")
    if not stat.S_ISREG(mode):
        raise AnswersFileError("is not a regular file (a pipe, device or socket); save the answers to a file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped between stat and open
            raise AnswersFileError("is not a regular file (a pipe, device or socket); save the answers to a file")
        return handle.read(MAX_FILE_BYTES + 1)


def read_raw(path: Path) -> Any:
    """The file's data, or :class:`AnswersFileError` with one line saying why not."""
    try:
        data = _open_regular(path)
    except FileNotFoundError:
        raise AnswersFileError("no such file") from None
    except PermissionError:
        raise AnswersFileError("cannot be read (permission denied)") from None
    except OSError as err:
        raise AnswersFileError(f"cannot be read: {err.strerror or err}") from None
    if len(data) > MAX_FILE_BYTES:
        raise AnswersFileError(f"is larger than {MAX_FILE_BYTES // 1000} kB; an answers file is a few lines")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise AnswersFileError(f"is not UTF-8 text (byte {err.start + 1})") from None
    return parse_text(text, "json" if path.suffix.lower() == ".json" else "yaml")


class _JsonProblem(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _JsonProblem(f"{_field_shown(key)} appears twice in the same object", key)
        found[key] = value
    return found


def _json_number(kind: type):
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_DIGITS:
            raise _JsonProblem(f"a number longer than {MAX_NUMBER_DIGITS} digits")
        return kind(text)

    return parse


def _json_constant(name: str) -> Any:
    raise _JsonProblem(f"{name} is not a number an answers file can hold")


def _json_line(text: str, needle: str, second: bool = False) -> str:
    """``line N: `` of the first (or second) place ``needle`` appears, else ""."""
    at = text.find(needle)
    if second and at >= 0:
        again = text.find(needle, at + len(needle))
        at = again if again >= 0 else at
    return f"line {text.count(chr(10), 0, at) + 1}: " if at >= 0 else ""


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_text(text: str, fmt: str) -> Any:
    if not text.strip():
        raise AnswersFileError("is empty")
    if fmt == "json":
        try:
            data = json.loads(
                text, object_pairs_hook=_json_object, parse_int=_json_number(int),
                parse_float=_json_number(float), parse_constant=_json_constant,
            )
        except json.JSONDecodeError as err:
            raise AnswersFileError(f"line {err.lineno}, column {err.colno}: not valid JSON: {err.msg}") from None
        except _JsonProblem as err:
            message = str(err.args[0])
            where = ""
            if "appears twice" in message:
                where = _json_line(text, json.dumps(err.args[1]), second=True)
            elif "number longer" in message:
                long_number = re.search(r"[0-9.eE+-]{%d,}" % (MAX_NUMBER_DIGITS + 1), text)
                where = _json_line(text, long_number.group(0)) if long_number else ""
            raise AnswersFileError(f"{where}not valid JSON: {message}") from None
        except (RecursionError, ValueError):
            raise AnswersFileError(f"is nested more than {MAX_DEPTH} levels deep or cannot be read as JSON") from None
        if _too_deep(data):
            raise AnswersFileError(f"is nested more than {MAX_DEPTH} levels deep; an answers file needs a few")
        return data
    import yaml

    try:
        return yaml.load(text, Loader=_text_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(err.problem or err.context or "not valid YAML").split())
        raise AnswersFileError(f"{where}not valid YAML: {what}") from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        # never str(err): PyYAML quotes the text around the mistake, which may be a secret
        raise AnswersFileError("not valid YAML (it could not be read)") from None
