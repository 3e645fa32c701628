"""dotenv files as docker compose reads them (docs.docker.com/compose/environment-variables/env-file/).

- `#` starts a comment line; blank lines are skipped; `export KEY=...` is accepted.
- Unquoted values run to the end of the line; ` #` (whitespace then `#`) starts an inline comment;
  trailing whitespace is dropped; escapes are kept literally.
- Double-quoted values may span lines; `\\n \\r \\t \\\\ \\" \\$` are escapes; `${VAR}` is expanded.
- Single-quoted values may span lines and are literal, except `\\'`.
- A bare `KEY` (no `=`) takes its value from the environment devenv was given (else it is unset).
- Unquoted and double-quoted values are interpolated against earlier keys of the same file, then
  `lookup`; an unset variable becomes "" and is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from devenv.envvars.interpolate import InterpolationError, Lookup, interpolate
from devenv.errors import ConfigError

_KEY = re.compile(r"(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*")
_DQ_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}
_DOLLAR = "\x00"  # stands in for an escaped `$` until interpolation is done


@dataclass(frozen=True)
class DotenvEntry:
    key: str
    value: Optional[str]  # None: a bare KEY that the environment did not provide
    line: int
    inherited: bool = False  # a bare KEY: its value comes from the environment, not the file


@dataclass
class DotenvResult:
    entries: list[DotenvEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _none(_: str) -> Optional[str]:
    return None


class _Parser:
    def __init__(self, text: str, label: str, lookup: Lookup):
        self.text = text.replace("\r\n", "\n")
        if self.text.startswith("\ufeff"):
            self.text = self.text[1:]
        self.label = label
        self.lookup = lookup
        self.pos = 0
        self.result = DotenvResult()
        self.seen: dict[str, str] = {}

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def fail(self, pos: int, message: str, hint: Optional[str] = None) -> ConfigError:
        return ConfigError(
            f"{self.label}:{self.line_at(pos)}: {message}",
            hint or "write KEY=VALUE; quote values with spaces, '#' or newlines",
        )

    def resolve(self, name: str) -> Optional[str]:
        return self.seen[name] if name in self.seen else self.lookup(name)

    def expand(self, raw: str, start: int) -> str:
        unset: list[str] = []
        try:
            value = interpolate(raw, self.resolve, unset)
        except InterpolationError as err:
            raise self.fail(
                start, str(err), "set the variable earlier in the file, or give a default"
            ) from None
        for name in unset:
            self.result.warnings.append(
                f"{self.label}:{self.line_at(start)}: the {name} variable is not set, defaulting to a blank string"
            )
        return value.replace(_DOLLAR, "$")

    def parse(self) -> DotenvResult:
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos] in " \t\n\v\f":
                self.pos += 1
            if self.pos >= len(text):
                return self.result
            if text[self.pos] == "#":
                self._skip_line()
                continue
            self._statement()

    def _skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    def _statement(self) -> None:
        start = self.pos
        match = _KEY.match(self.text, self.pos)
        if match is None:
            # The line itself is not echoed: this may be the secrets file.
            raise self.fail(start, "expected KEY=VALUE (a key starts with a letter or _)")
        key = match.group(1)
        self.pos = match.end()
        char = self.text[self.pos] if self.pos < len(self.text) else "\n"
        if char in "\n#":  # bare KEY: inherited from the environment
            self._skip_line()
            self._add(key, self.lookup(key), start, inherited=True)
            return
        if char != "=":
            raise self.fail(self.pos, f"unexpected {char!r} after key {key}: keys are letters, digits, _ . -")
        self.pos += 1
        gap = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1
        had_space = self.pos > gap
        char = self.text[self.pos] if self.pos < len(self.text) else "\n"
        if char in "\"'":
            value = self._quoted(char, start)
        elif char == "#" and had_space:
            value = ""
            self._skip_line()
        else:
            value = self._unquoted(start)
        self._add(key, value, start)

    def _add(self, key: str, value: Optional[str], start: int, inherited: bool = False) -> None:
        if value is not None:
            self.seen[key] = value
        self.result.entries.append(DotenvEntry(key, value, self.line_at(start), inherited))

    def _unquoted(self, start: int) -> str:
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end
        raw = self.text[self.pos : end]
        self.pos = end
        comment = re.search(r"[ \t]#", raw)
        if comment:
            raw = raw[: comment.start()]
        return self.expand(raw.rstrip(), start)

    def _quoted(self, quote: str, start: int) -> str:
        text = self.text
        i = self.pos + 1
        chunks: list[str] = []
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if quote == "'":
                    chunks.append("'" if nxt == "'" else "\\" + nxt)
                elif nxt == "$":
                    chunks.append(_DOLLAR)
                else:
                    chunks.append(_DQ_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            if char == quote:
                break
            chunks.append(char)
            i += 1
        else:
            raise self.fail(
                start, f"unterminated {quote}quoted value{quote}", f"close the value with {quote}"
            )
        self.pos = i + 1
        rest_end = text.find("\n", self.pos)
        rest_end = len(text) if rest_end < 0 else rest_end
        rest = text[self.pos : rest_end]
        if rest.strip() and not re.match(r"[ \t]*#", rest):
            raise self.fail(self.pos, "unexpected text after the closing quote (only a # comment may follow)")
        self.pos = rest_end
        raw = "".join(chunks)
        return raw if quote == "'" else self.expand(raw, start)


def parse_dotenv(text: str, label: str, lookup: Optional[Lookup] = None) -> DotenvResult:
    """Parse dotenv `text`; `label` (the project-relative path) prefixes every error and warning."""
    return _Parser(text, label, lookup or _none).parse()
