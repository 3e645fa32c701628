"""Kubernetes' `$(VAR)` expansion, exactly as the kubelet does it.

A port of kubernetes `third_party/forked/golang/expansion` (`Expand`, `tryReadVariableName`):
`$(NAME)` is replaced when `lookup` knows NAME and kept as written otherwise; `$$` is a `$`;
a `$(` without a closing `)` is kept; `$X`, `${X}` and a `$` at the end are kept; the name is
everything up to the first `)`. One pass: an expanded value is not expanded again. The
result is a list of pieces, so a derived value remembers which variables it was built from.
"""

from __future__ import annotations

from typing import Callable, Optional

from devenv.envvars.model import Piece

# NAME -> the piece holding its value (text, ref=NAME, secret), or None when undefined
Lookup = Callable[[str], Optional[Piece]]

OPERATOR = "$"


def expand(text: str, lookup: Lookup) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            pieces.append(Piece("".join(literal)))
            literal.clear()

    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == OPERATOR and cursor + 1 < len(text):
            literal.append(text[checkpoint:cursor])
            following = text[cursor + 1]
            advance = 1
            if following == OPERATOR:
                literal.append(OPERATOR)  # `$$` is an escaped `$`
            elif following == "(":
                close = text.find(")", cursor + 2)
                if close < 0:
                    literal.append("$(")  # incomplete reference: kept, scanning goes on after it
                else:
                    name = text[cursor + 2 : close]
                    found = lookup(name)
                    if found is None:
                        literal.append(f"$({name})")  # undefined: passed through as written
                    else:
                        flush()
                        pieces.append(found)
                    advance = close - cursor
            else:
                literal.append(OPERATOR + following)  # `$X`, `${`, `$?`: not an expression
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    literal.append(text[checkpoint:])
    flush()
    return tuple(p for p in pieces if p.text or p.ref is not None)


def expand_text(text: str, mapping: dict[str, str]) -> str:
    """`expand` against a plain name -> value mapping (command and args, tests)."""

    def lookup(name: str) -> Optional[Piece]:
        return Piece(mapping[name], ref=name) if name in mapping else None

    return "".join(p.text for p in expand(text, lookup))
