"""`${VAR}` interpolation exactly as compose does it: a port of compose-go's `template` package
(v2, `DefaultPattern`, `DefaultReplacementAppliedFunc`, the six operator functions).

`$VAR` and `${VAR}` (names `[_a-zA-Z][_a-zA-Z0-9]*`), `${VAR:-default}`, `${VAR-default}`,
`${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested in the word part; `$$` is a
literal `$`; a `$` that starts nothing is kept; `${` with anything else is an invalid template.
A braced expression ends at its balanced closing brace, counting every `{` (so a default may
hold JSON: `${JSON:-{"a":1}}`). An unset variable expands to "" and is reported, as compose
warns. Error texts are compose-go's, except that an invalid template is not quoted back (a
value may be a secret).
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from devenv.envvars.model import Piece

Lookup = Callable[[str], Optional[str]]
# NAME -> what its value is made of (one piece naming NAME, or the parts it was built from), or None
PartsLookup = Callable[[str], Optional[tuple[Piece, ...]]]

PATTERN = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))"
)


class InterpolationError(ValueError):
    """A required variable without a value, or an invalid template; the caller adds file and line."""


class _Invalid(InterpolationError):
    def __init__(self, template: Optional[str] = None):
        super().__init__("")
        self.template = template

    def __str__(self) -> str:
        # compose-go appends the template; devenv does not print values (they may be secret).
        return "Invalid template: a ${ needs a name ([_a-zA-Z][_a-zA-Z0-9]*) and a closing }"


def variable(name: str, value: str, secret: bool = False) -> tuple[Piece, ...]:
    """A variable's value as one piece that names it (what a `PartsLookup` returns for a plain value)."""
    return (Piece(value, name, secret, interpolated=True),)


def parts_of(lookup: Lookup) -> PartsLookup:
    def parts(name: str) -> Optional[tuple[Piece, ...]]:
        value = lookup(name)
        return None if value is None else variable(name, value)

    return parts


def interpolate(text: str, lookup: Lookup, unset: Optional[list[str]] = None) -> str:
    """Expand `text`; names that were unset and became "" are appended to `unset`."""
    return "".join(p.text for p in interpolate_parts(text, parts_of(lookup), unset))


def interpolate_parts(text: str, lookup: PartsLookup, unset: Optional[list[str]] = None) -> tuple[Piece, ...]:
    """`interpolate`, keeping which text came from which variable: a value built from a secret
    is secret, and dev rebuilds it from its own value of that variable."""
    if "$" not in text:  # most values: nothing to expand
        return (Piece(text),) if text else ()
    return _merged(_expand(text, lookup, unset))


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Adjacent literal text as one piece; empty literals dropped."""
    out: list[Piece] = []
    for piece in pieces:
        if piece.ref is None:
            if not piece.text:
                continue
            if out and out[-1].ref is None:
                out[-1] = Piece(out[-1].text + piece.text)
                continue
        out.append(piece)
    return tuple(out)


def _expand(text: str, lookup: PartsLookup, unset: Optional[list[str]]) -> list[Piece]:
    first_error: list[InterpolationError] = []
    pieces: list[Piece] = []
    end = 0
    for match in PATTERN.finditer(text):
        pieces.append(Piece(text[end : match.start()]))
        end = match.end()
        try:
            pieces.extend(_replacement(match.group(0), lookup, unset))
        except InterpolationError as err:
            if isinstance(err, _Invalid) and err.template is None:
                err.template = text
            if not first_error:
                first_error.append(err)
    pieces.append(Piece(text[end:]))
    if first_error:
        raise first_error[0]
    return pieces


def _replacement(substring: str, lookup: PartsLookup, unset: Optional[list[str]]) -> list[Piece]:
    operator = _operator_for(substring)
    close = _first_closing_brace(substring)
    head, rest = (substring[: close + 1], substring[close + 1 :]) if close >= 0 else (substring, "")
    match = PATTERN.fullmatch(head) or PATTERN.match(head)
    groups = match.groupdict() if match else {}
    if groups.get("escaped"):
        return [Piece("$")]
    substitution = groups.get("named") or ""
    braced = not substitution
    if braced:
        substitution = groups.get("braced") or ""
    if not substitution:
        raise _Invalid()
    if braced and operator in substitution:
        return _apply(operator, substitution, lookup, unset) + _expand(rest, lookup, unset)
    value = lookup(substitution)
    if value is None:
        if unset is not None:
            unset.append(substitution)
        return []
    return list(value)


_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


def _operator_for(template: str) -> str:
    """The operator that appears first in the matched text (compose-go sorts them by index)."""
    found = [(template.index(op), n, op) for n, op in enumerate(_OPERATORS) if op in template]
    return min(found)[2] if found else _OPERATORS[0]


def _first_closing_brace(text: str) -> int:
    depth = 0
    i = 0
    while i < len(text):
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        if text[i] == "{":
            depth += 1
            i += 1  # as compose-go: the character after a `{` is not looked at
        i += 1
    return -1


def _apply(operator: str, substitution: str, lookup: PartsLookup, unset: Optional[list[str]]) -> list[Piece]:
    name, _, word = substitution.partition(operator)
    value = lookup(name)
    text = None if value is None else "".join(p.text for p in value)
    needs_value = operator.startswith(":")
    usable = text is not None and (not needs_value or text != "")
    kind = operator[-1]
    if kind == "-":
        return list(value) if usable and value is not None else _expand(word, lookup, unset)
    if kind == "+":
        # the alternative says only that the variable is set; an unusable value is "" here
        return _expand(word, lookup, unset) if usable else []
    if usable and value is not None:  # "?": required
        return list(value)
    reason = "".join(p.text for p in _expand(word, lookup, unset))
    detail = f": {reason}" if reason else ""
    raise InterpolationError(f"required variable {name} is missing a value{detail}")
