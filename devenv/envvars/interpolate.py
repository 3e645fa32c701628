"""`${VAR}` expansion as docker compose does it (the compose-spec interpolation rules).

`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
`${VAR:+alt}`, `${VAR+alt}`, nested in the word part; `$$` is a literal `$`; a `$` that does
not start a name is kept. An unset variable expands to "" and is reported, as compose warns.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

Lookup = Callable[[str], Optional[str]]

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")


class InterpolationError(ValueError):
    """`${VAR?err}` with VAR unset, or a malformed `${...}`; the caller adds file and line."""


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose body starts at `start` (nesting counted)."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InterpolationError("unterminated ${ (no closing })")


def interpolate(text: str, lookup: Lookup, unset: Optional[list[str]] = None) -> str:
    """Expand `text`; names that were unset and defaulted to "" are appended to `unset`."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            out.append(_braced(text[i + 2 : end], lookup, unset))
            i = end + 1
        else:
            match = _NAME.match(text, i + 1)
            if match is None:
                out.append("$")
                i += 1
                continue
            out.append(_plain(match.group(), lookup, unset))
            i = match.end()
    return "".join(out)


def _plain(name: str, lookup: Lookup, unset: Optional[list[str]]) -> str:
    value = lookup(name)
    if value is None:
        if unset is not None:
            unset.append(name)
        return ""
    return value


def _braced(body: str, lookup: Lookup, unset: Optional[list[str]]) -> str:
    match = _NAME.match(body)
    if match is None:
        raise InterpolationError(f"invalid interpolation format ${{{body}}}: expected a variable name")
    name, rest = match.group(), body[match.end() :]
    if not rest:
        return _plain(name, lookup, unset)
    op = next((o for o in _OPS if rest.startswith(o)), None)
    if op is None:
        raise InterpolationError(
            f"invalid interpolation format ${{{body}}}: only :- - :? ? :+ + are supported after a name"
        )
    word = rest[len(op) :]
    value = lookup(name)
    is_set = value is not None
    usable = bool(value) if op.startswith(":") else is_set
    kind = op[-1]
    if kind == "-":
        return value if usable else interpolate(word, lookup, unset)  # type: ignore[return-value]
    if kind == "+":
        return interpolate(word, lookup, unset) if usable else ""
    # kind == "?": required
    if usable:
        return value  # type: ignore[return-value]
    detail = interpolate(word, lookup, unset) or ("is empty" if is_set else "is not set")
    raise InterpolationError(f"required variable {name} is missing a value: {detail}")
