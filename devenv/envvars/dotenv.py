"""dotenv files exactly as compose reads them: a port of compose-go's `dotenv` parser (v2).

- Blank lines and lines starting with `#` are skipped; `export KEY=...` is accepted; a key ends
  at `=` or `:` (YAML style, `KEY: value`) and may hold letters, digits, `_ . - [ ]` (Unicode
  letters too); spaces around it are dropped; a space inside it is an error.
- An unquoted value runs to the end of the line, is cut at the first ` #` (space, then `#`) and
  right-trimmed; backslashes are kept as they are.
- A quoted value may span lines and ends at the first unescaped quote of its kind; an escaped
  quote loses its backslash, any other escape keeps it. In double quotes the escapes
  `\\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\$` and octal `\\0NNN` are then expanded, and `${VAR}` is
  interpolated (`interpolate`); single quotes are literal.
- A bare `KEY` (no `=`) takes its value from the environment compose runs in (else it is unset).
- An unquoted or double-quoted value is interpolated against `lookup` and the keys read so far;
  compose's env_file reading asks `lookup` first (`lookup_first`), its `.env` reading the file.

`read_dotenv` adds what compose's file reader does on top (`ReadWithLookup`): keys starting with
a digit are dropped, here with a warning. `parse_raw` is compose's `format: raw` (the
`docker run --env-file` rules: each line is KEY=VALUE taken literally).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Optional

from devenv.envvars.interpolate import (
    InterpolationError,
    Lookup,
    PartsLookup,
    interpolate_parts,
    parts_of,
    variable,
)
from devenv.envvars.model import Piece, joined
from devenv.errors import ConfigError

_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0\d{0,3})")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
_SPACE = "\t\v\f\r \x85\xa0"  # compose-go's isSpace: whitespace that is not a line break
_STARTS_WITH_DIGIT = re.compile(r"\s*\d")
KEY_HINT = "keys are letters, digits and _ . - [ ]; quote values with spaces, '#' or newlines"
LITERAL_HINT = "quote the value with single quotes ('...') to keep every $ as written"
# A secrets file's messages name a key only when it reads as a name: one case, like DB_PASSWORD,
# password or tls.key. A pasted base64 token (`c2VjcmV0...=` parses as a key) mixes them.
_NAMEABLE = re.compile(r"[A-Z_][A-Z0-9_.-]{0,63}|[a-z_][a-z0-9_.-]{0,63}")


def nameable(key: str) -> bool:
    """Whether a secrets file's message may name this key (else it gives the line number only)."""
    return bool(_NAMEABLE.fullmatch(key))


class DotenvEntry(NamedTuple):
    key: str
    value: Optional[str]  # None: a bare KEY that the environment did not provide
    line: int
    inherited: bool = False  # a bare KEY: its value comes from the environment, not the file
    pieces: tuple[Piece, ...] = ()  # set when the value was built from variables (`${NAME}`)


class DotenvResult:
    """A plain class (DotenvEntry a NamedTuple): `up` imports this module, and creating a
    dataclass compiles its methods at import."""

    __slots__ = ("entries", "warnings")

    def __init__(
        self, entries: Optional[list[DotenvEntry]] = None, warnings: Optional[list[str]] = None
    ) -> None:
        self.entries: list[DotenvEntry] = [] if entries is None else entries
        self.warnings: list[str] = [] if warnings is None else warnings

    def values(self) -> dict[str, str]:
        return {e.key: e.value for e in self.entries if e.value is not None}


def _none(_: str) -> Optional[tuple[Piece, ...]]:
    return None


def _derived(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    return pieces if any(p.ref is not None for p in pieces) else ()


def _inherited(key: str, found: Optional[tuple[Piece, ...]], line: int) -> DotenvEntry:
    """A bare KEY: the value the lookup has for it (and what that is made of), else None."""
    if found is None:
        return DotenvEntry(key, None, line, inherited=True)
    return DotenvEntry(key, joined(found), line, True, _derived(found))


def _unescape(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "\\$":
        return "$$"  # interpolation reads `$$` as a literal `$`
    if text.startswith("\\0"):
        octal = text[2:]  # compose-go rewrites `\0NNN` to Go's `\NNN`
        if len(octal) == 3 and all(c in "01234567" for c in octal) and int(octal, 8) < 256:
            return chr(int(octal, 8))
        return "\\" + octal
    return _SIMPLE_ESCAPES.get(text[1], text)


class _Parser:
    def __init__(
        self,
        text: str,
        label: str,
        lookup: PartsLookup,
        lookup_first: bool,
        known: Mapping[str, tuple[Piece, ...]],
        private: bool = False,
    ):
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.label = label
        self.private = private  # a secrets file: messages never quote its text
        self.lookup = lookup
        self.lookup_first = lookup_first
        self.result = DotenvResult()
        # key -> its value's pieces: a later `${KEY}` takes what KEY was built from, so a value
        # built from one built from a secret still names that secret
        self.seen: dict[str, tuple[Piece, ...]] = dict(known)

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def fail(self, pos: int, message: str, hint: str = KEY_HINT) -> ConfigError:
        # Never the line itself: this may be the secrets file.
        return ConfigError(f"{self.label}:{self.line_at(pos)}: {message}", hint)

    def resolve(self, name: str) -> Optional[tuple[Piece, ...]]:
        if self.lookup_first:
            found = self.lookup(name)
            return found if found is not None else self.seen.get(name)
        return self.seen[name] if name in self.seen else self.lookup(name)

    def keep(self, key: str, value: str, pieces: tuple[Piece, ...]) -> None:
        self.seen[key] = pieces or variable(key, value)

    def expand(self, raw: str, start: int, key: str) -> tuple[Piece, ...]:
        unset: list[str] = []
        try:
            value = interpolate_parts(raw, self.resolve, unset)
        except InterpolationError as err:
            if self.private:  # the "variable" is the rest of a secret value
                raise self.fail(
                    start,
                    f"{self._key(key)}a $ in the value starts a reference that cannot be expanded",
                    LITERAL_HINT,
                ) from None
            raise self.fail(
                start, str(err), "set the variable earlier, or give a default: ${VAR:-default}"
            ) from None
        if unset and self.private:
            self.result.warnings.append(
                f"{self.label}:{self.line_at(start)}: {self._key(key)}a $ in the value names a variable "
                f"that is not set, so that part is blank; {LITERAL_HINT}"
            )
            return value
        for name in unset:
            self.result.warnings.append(
                f"{self.label}:{self.line_at(start)}: the {name} variable is not set, defaulting to a blank string"
            )
        return value

    def _key(self, key: str) -> str:
        return f"{key}: " if nameable(key) else ""

    def parse(self) -> DotenvResult:
        pos = self._statement_start(0)
        while pos >= 0:
            pos = self._statement_start(self._statement(pos))
        return self.result

    def _statement_start(self, pos: int) -> int:
        text = self.text
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                return -1
            if text[pos] != "#":
                return pos
            end = text.find("\n", pos)
            if end < 0:
                return -1
            pos = end

    def _statement(self, start: int) -> int:
        text = self.text
        pos = start
        if _EXPORT.match(text, pos):
            pos += len("export")
            while pos < len(text) and text[pos] in _SPACE:
                pos += 1
        key_start = pos
        terminator = None
        while pos < len(text):
            char = text[pos]
            if char in "=:\n":
                terminator = char
                break
            if char not in _SPACE and not (char.isalnum() or char in "_.-[]"):
                shown = "" if self.private else f" {char!r}"
                raise self.fail(pos, f"unexpected character{shown} in variable name")
            pos += 1
        key = text[key_start:pos].rstrip()
        if " " in key:
            raise self.fail(start, "key cannot contain a space")
        if terminator in (None, "\n"):
            # A bare KEY: its value comes from the environment. (At the very end of a file
            # without a newline, compose-go reads an empty name holding KEY as its value;
            # devenv reads the bare KEY it is.)
            entry = _inherited(key, self.lookup(key), self.line_at(start))
            if entry.value is not None:
                self.keep(key, entry.value, entry.pieces)
            self.result.entries.append(entry)
            return pos + 1
        pos += 1
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos < len(text) and text[pos] in "\"'":
            parts, pos = self._quoted(pos, start, key)
        else:
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            raw = text[pos:end].split(" #", 1)[0].rstrip()
            parts = self.expand(raw, start, key)
            pos = end + 1
        value, pieces = joined(parts), _derived(parts)
        self.keep(key, value, pieces)
        self.result.entries.append(DotenvEntry(key, value, self.line_at(start), False, pieces))
        return pos

    def _quoted(self, pos: int, start: int, key: str) -> tuple[tuple[Piece, ...], int]:
        text = self.text
        quote = text[pos]
        chars: list[str] = []
        escaped = False
        i = pos + 1
        while i < len(text):
            char = text[i]
            if escaped:
                escaped = False
                chars.append(char if char == quote else "\\" + char)
            elif char == "\\":
                escaped = True
            elif char == quote:
                raw = "".join(chars)
                if quote == "'":
                    return (Piece(raw),), i + 1
                return self.expand(_ESCAPE.sub(_unescape, raw), start, key), i + 1
            else:
                chars.append(char)
            i += 1
        raise self.fail(
            start, f"unterminated quoted value (no closing {quote})", f"close the value with {quote}"
        )


def parse_dotenv(
    text: str,
    label: str,
    lookup: Optional[Lookup] = None,
    *,
    lookup_first: bool = False,
    known: Mapping[str, tuple[Piece, ...]] = MappingProxyType({}),
    parts: Optional[PartsLookup] = None,
    private: bool = False,
) -> DotenvResult:
    """Parse dotenv `text` as compose-go's parser does; `label` (the project-relative path)
    prefixes every error and warning. `known` are keys read before (earlier env_files).
    `parts` is `lookup` telling what each value is made of (a secret, or a value built from one).
    `private` (a secrets file): messages give the line, and the key when `nameable`, never text."""
    found = parts if parts is not None else parts_of(lookup) if lookup is not None else _none
    return _Parser(text, label, found, lookup_first, known, private).parse()


def read_dotenv(
    text: str, label: str, lookup: Optional[Lookup] = None, *, parts: Optional[PartsLookup] = None
) -> DotenvResult:
    """A dotenv file as compose's reader takes it: parsed, then keys starting with a digit dropped."""
    result = parse_dotenv(text, label, lookup, parts=parts)
    kept: list[DotenvEntry] = []
    for entry in result.entries:
        if _STARTS_WITH_DIGIT.match(entry.key):
            result.warnings.append(
                f"{label}:{entry.line}: {entry.key} starts with a digit; compose ignores it, so does devenv"
            )
        else:
            kept.append(entry)
    result.entries = kept
    return result


def parse_raw(
    text: str, label: str, lookup: Optional[Lookup] = None, *, parts: Optional[PartsLookup] = None
) -> DotenvResult:
    """compose's `format: raw` env_file: docker's --env-file rules, no quotes, no interpolation."""
    look = parts if parts is not None else parts_of(lookup) if lookup is not None else _none
    result = DotenvResult()
    lines = (text[1:] if text.startswith("\ufeff") else text).split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            if any(c in " \t" for c in line):
                raise ConfigError(
                    f"{label}:{number}: variable name contains whitespace", "write KEY=VALUE, one per line"
                )
            result.entries.append(_inherited(line, look(line), number))
            continue
        if not key:
            raise ConfigError(f"{label}:{number}: no variable name before =", "write KEY=VALUE, one per line")
        if any(c in " \t" for c in key):
            raise ConfigError(
                f"{label}:{number}: variable name contains whitespace", "write KEY=VALUE, one per line"
            )
        result.entries.append(DotenvEntry(key, value, number))
    return result
