"""Value types for config declarations: each validates, normalizes, describes itself (as JSON
Schema and as one phrase for the docs) and turns a checked value into the model's (`to_model`),
so one declaration serves validation, the model, the schema and the reference page.

Plain classes with their `__init__` written out: every devenv process (a `down` too) builds
these classes, and a dataclass compiles its generated methods at import; nothing compares,
copies or mutates a declaration."""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Generic, Optional, TypeVar, Union

PathPart = Union[str, int]
R = TypeVar("R")


class Invalid(Exception):
    """A value does not fit its declaration. `where` is the path below the value being checked."""

    def __init__(self, message: str, where: tuple[PathPart, ...] = ()):
        super().__init__(message)
        self.message = message
        self.where = where


def quoted(text: str) -> str:
    """A value from the user's file, quoted for an error: JSON's way, so a newline or a quote in
    it stays on the error's one line."""
    return json.dumps(text, ensure_ascii=False)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        shown = json.dumps(value, default=str)
        return shown if len(shown) <= 40 else shown[:37] + "..."
    return repr(value)


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class Type:
    """Base: subclasses implement `check` (normalize or raise Invalid), `schema` and `describe`;
    `to_model` turns a checked value (never None: an unset key leaves the model's default) into
    what the model holds."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def to_model(self, value: Any) -> Any:
        return value

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Str(Type):
    __slots__ = ("example", "pattern", "what")

    def __init__(self, pattern: Optional[str] = None, example: Optional[str] = None, what: str = "a string"):
        self.pattern = pattern
        self.example = example
        self.what = what

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid(f"expected {self.what}, got {_kind(value)} {_show(value)}")
        if self.pattern and not re.fullmatch(self.pattern, value):
            example = f' — e.g. "{self.example}"' if self.example else ""
            raise Invalid(f"{_show(value)} is not {self.what}{example}")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.pattern:
            out["pattern"] = f"^(?:{self.pattern})$"
        return out

    def describe(self) -> str:
        return self.what


class Bool(Type):
    __slots__ = ()

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid(f"expected true or false, got {_kind(value)} {_show(value)}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "boolean"


class Int(Type):
    __slots__ = ("maximum", "minimum")

    def __init__(self, minimum: Optional[int] = None, maximum: Optional[int] = None):
        self.minimum = minimum
        self.maximum = maximum

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected an integer, got {_kind(value)} {_show(value)}")
        if self.minimum is not None and value < self.minimum:
            raise Invalid(f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise Invalid(f"{value} is above the maximum {self.maximum}")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out

    def describe(self) -> str:
        bounds = ""
        if self.minimum is not None or self.maximum is not None:
            bounds = f" ({self.minimum if self.minimum is not None else ''}..{self.maximum or ''})"
        return "integer" + bounds


class Enum(Type):
    __slots__ = ("choices",)

    def __init__(self, choices: tuple[str, ...]):
        self.choices = choices

    def check(self, value: Any) -> Any:
        if value not in self.choices:
            raise Invalid(f"{_show(value)} is not one of {', '.join(self.choices)}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def describe(self) -> str:
        return " | ".join(f'"{c}"' for c in self.choices)


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)(ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


MAX_DURATION_S = 365 * 24 * 3600.0
MAX_DURATION_TEXT = '"8760h" (a year)'


class Duration(Type):
    """ "500ms", "2s", "1m30s" or a number of seconds; normalized to float seconds."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value < 0:
                raise Invalid(f'{value} is negative — a duration is e.g. "500ms" or "2s"')
            seconds = float(value)
        elif isinstance(value, str) and _DURATION.fullmatch(value.strip()):
            seconds = sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(value))
        else:
            raise Invalid(f'{_show(value)} is not a duration — e.g. "500ms", "2s" or "1m30s"')
        # TOML's inf and nan are numbers; neither (nor centuries) is a time the engine can wait.
        if not seconds <= MAX_DURATION_S:
            raise Invalid(f"{_show(value)} is not a duration devenv can use: at most {MAX_DURATION_TEXT}")
        return seconds

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h))+$"}, {"type": "number"}]}

    def describe(self) -> str:
        return 'duration ("500ms", "2s", "1m")'


class ListOf(Type):
    __slots__ = ("item", "unique")

    def __init__(self, item: Type, unique: bool = False):
        self.item = item
        self.unique = unique

    def check(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise Invalid(f"expected an array of {self.item.describe()}, got {_kind(value)} {_show(value)}")
        out = []
        for index, entry in enumerate(value):
            try:
                out.append(self.item.check(entry))
            except Invalid as err:
                raise Invalid(err.message, (index, *err.where)) from None
        if self.unique:
            seen: set[Any] = set()
            for index, entry in enumerate(value):
                if repr(entry) in seen:
                    raise Invalid(f"{_show(entry)} is listed twice", (index,))
                seen.add(repr(entry))
        return out

    def to_model(self, value: Any) -> Any:
        return tuple(self.item.to_model(entry) for entry in value)

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema()}

    def describe(self) -> str:
        return f"array of {self.item.describe()}"


class Command(Type):
    """A command: an array of strings (exec form) or one string (run by /bin/sh -c)."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise Invalid('is empty — give a command, e.g. ["python", "app.py"]')
            return ["/bin/sh", "-c", value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return list(value)
        raise Invalid(f"expected a non-empty array of strings or a string, got {_kind(value)} {_show(value)}")

    def to_model(self, value: Any) -> Any:
        return tuple(value)

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}

    def describe(self) -> str:
        return "array of strings, or a shell string"


class Entrypoint(Command):
    """An entrypoint: a command, or `[]` — no entrypoint at all, the image's cleared (`command`
    then runs as it is, like compose's `entrypoint: []`)."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        if value == []:
            return []
        return super().check(value)

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

    def describe(self) -> str:
        return "array of strings (`[]`: none, the image's cleared), or a shell string"


class MapOf(Type):
    """A table with free keys (e.g. environment variables)."""

    __slots__ = ("key_pattern", "key_what", "value")

    def __init__(self, value: Type, key_pattern: Optional[str] = None, key_what: str = "a key"):
        self.value = value
        self.key_pattern = key_pattern
        self.key_what = key_what

    def check(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Invalid(f"expected a table, got {_kind(value)} {_show(value)}")
        out = {}
        for key, entry in value.items():
            if self.key_pattern and not re.fullmatch(self.key_pattern, key):
                raise Invalid(f"{quoted(key)} is not {self.key_what}", (key,))
            try:
                out[key] = self.value.check(entry)
            except Invalid as err:
                raise Invalid(err.message, (key, *err.where)) from None
        return out

    def to_model(self, value: Any) -> Any:
        """A table of records: one record each, named by its key, in the file's order; a table
        of values: (key, value) pairs, sorted."""
        if isinstance(self.value, Record):
            return tuple(self.value.build(entry, name=key) for key, entry in value.items())
        return tuple(sorted((key, self.value.to_model(entry)) for key, entry in value.items()))

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.value.schema()}
        if self.key_pattern:
            out["propertyNames"] = {"pattern": f"^(?:{self.key_pattern})$"}
        return out

    def describe(self) -> str:
        return f"table of {self.value.describe()}"


class EnvValue(Type):
    """Environment values: strings; numbers and booleans are accepted and turned into strings."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise Invalid(f"expected a string, got {_kind(value)} {_show(value)}")

    def schema(self) -> dict[str, Any]:
        return {"type": ["string", "number", "boolean"]}

    def describe(self) -> str:
        return "string"


class OneOf(Type):
    """Either of several types (first that fits wins); `what` names the accepted forms."""

    __slots__ = ("options", "what")

    def __init__(self, options: tuple[Type, ...], what: str):
        self.options = options
        self.what = what

    def check(self, value: Any) -> Any:
        errors = []
        for option in self.options:
            try:
                return option.check(value)
            except Invalid as err:
                errors.append(err)
        deepest = max(errors, key=lambda e: len(e.where))
        if deepest.where:
            raise deepest
        raise Invalid(f"expected {self.what}, got {_kind(value)} {_show(value)}")

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [o.schema() for o in self.options]}

    def describe(self) -> str:
        return self.what


class Key:
    """One declared key: its type (which validates it), default, one line of help, and the model
    field it fills (`field`, default: the key's name). A `custom` key's field is computed by the
    loader from more than this key's value (other keys, the file system); `Record.build` leaves
    it to the loader."""

    __slots__ = ("custom", "default", "example", "field", "help", "name", "required", "type")

    def __init__(
        self,
        name: str,
        type: Type,
        help: str,
        default: Any = None,
        required: bool = False,
        example: Optional[str] = None,
        field: Optional[str] = None,
        custom: bool = False,
    ):
        self.name = name
        self.type = type
        self.help = help
        self.default = default
        self.required = required
        self.example = example
        self.field = field or name
        self.custom = custom


class Table(Type):
    """A table with declared keys; unknown keys are errors with a "did you mean"."""

    __slots__ = ("help", "keys", "post", "what")

    def __init__(
        self,
        keys: tuple[Key, ...],
        help: str = "",
        what: str = "a table",
        post: Optional[Callable[[dict[str, Any]], dict[str, Any]]] = None,
    ):
        self.keys = keys
        self.help = help
        self.what = what
        self.post = post

    def key(self, name: str) -> Optional[Key]:
        for key in self.keys:
            if key.name == name:
                return key
        return None

    def check(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Invalid(f"expected {self.what}, got {_kind(value)} {_show(value)}")
        known = {k.name for k in self.keys}
        for name in value:
            if name not in known:
                raise Invalid(unknown_key_message(name, known), (name,))
        out: dict[str, Any] = {}
        for key in self.keys:
            if key.name in value:
                try:
                    out[key.name] = key.type.check(value[key.name])
                except Invalid as err:
                    raise Invalid(err.message, (key.name, *err.where)) from None
            elif key.required:
                raise Invalid(f'missing required key "{key.name}" ({key.help})', ())
            else:
                # Defaults go through the same normalization (e.g. "1s" → 1.0) as written values.
                out[key.name] = key.type.check(key.default) if key.default is not None else None
        return self.post(out) if self.post else out

    def schema(self) -> dict[str, Any]:
        props = {}
        for key in self.keys:
            prop = dict(key.type.schema())
            prop["description"] = key.help
            if key.default is not None:
                prop["default"] = key.default
            props[key.name] = prop
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = [k.name for k in self.keys if k.required]
        if required:
            out["required"] = required
        if self.help:
            out["description"] = self.help
        return out

    def describe(self) -> str:
        return self.what


class Record(Table, Generic[R]):
    """A table whose checked value fills one model record: each key its `field`, converted by its
    type's `to_model`; an unset key leaves the record's default. `extra` names the record's fields
    no key of this table fills (a table key's name, the loader's `line`)."""

    __slots__ = ("extra", "model")

    def __init__(
        self,
        model: Callable[..., R],
        keys: tuple[Key, ...],
        help: str = "",
        what: str = "a table",
        extra: tuple[str, ...] = (),
    ):
        super().__init__(keys, help, what)
        self.model = model
        self.extra = extra

    def build(self, checked: dict[str, Any], /, **computed: Any) -> R:
        """The record from a checked table; `computed` holds the custom keys' fields and `extra`."""
        fields = computed
        for key in self.keys:
            if not key.custom:
                value = checked[key.name]
                if value is not None:
                    fields[key.field] = key.type.to_model(value)
        return self.model(**fields)

    def to_model(self, value: Any) -> Any:
        return self.build(value)


def unknown_key_message(name: str, known: set[str]) -> str:
    import difflib  # only an error message needs it: not loaded for every valid file

    shown = quoted(name)
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f'unknown key {shown} — did you mean "{close[0]}"?'
    return f"unknown key {shown} — known keys: {', '.join(sorted(known))}"
