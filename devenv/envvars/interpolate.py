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

Lookup = Callable[[str], Optional[str]]

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


def interpolate(text: str, lookup: Lookup, unset: Optional[list[str]] = None) -> str:
    """Expand `text`; names that were unset and became "" are appended to `unset`."""
    first_error: list[InterpolationError] = []

    def replace(match: re.Match[str]) -> str:
        try:
            return _replacement(match.group(0), lookup, unset)
        except InterpolationError as err:
            if isinstance(err, _Invalid) and err.template is None:
                err.template = text
            if not first_error:
                first_error.append(err)
            return ""

    result = PATTERN.sub(replace, text)
    if first_error:
        raise first_error[0]
    return result


def _replacement(substring: str, lookup: Lookup, unset: Optional[list[str]]) -> str:
    operator = _operator_for(substring)
    close = _first_closing_brace(substring)
    head, rest = (substring[: close + 1], substring[close + 1 :]) if close >= 0 else (substring, "")
    match = PATTERN.fullmatch(head) or PATTERN.match(head)
    groups = match.groupdict() if match else {}
    if groups.get("escaped"):
        return "$"
    substitution = groups.get("named") or ""
    braced = not substitution
    if braced:
        substitution = groups.get("braced") or ""
    if not substitution:
        raise _Invalid()
    if braced and operator in substitution:
        return _apply(operator, substitution, lookup, unset) + interpolate(rest, lookup, unset)
    value = lookup(substitution)
    if value is None:
        if unset is not None:
            unset.append(substitution)
        return ""
    return value


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


def _apply(operator: str, substitution: str, lookup: Lookup, unset: Optional[list[str]]) -> str:
    name, _, word = substitution.partition(operator)
    value = lookup(name)
    needs_value = operator.startswith(":")
    usable = value is not None and (not needs_value or value != "")
    kind = operator[-1]
    if kind == "-":
        return value if usable and value is not None else interpolate(word, lookup, unset)
    if kind == "+":
        return interpolate(word, lookup, unset) if usable else (value or "")
    if usable and value is not None:  # "?": required
        return value
    reason = interpolate(word, lookup, unset)
    detail = f": {reason}" if reason else ""
    raise InterpolationError(f"required variable {name} is missing a value{detail}")
