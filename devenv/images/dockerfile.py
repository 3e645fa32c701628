"""What devenv reads in a Dockerfile: the `BASE_IMAGE` build arg its FROM lines start from, and
the outside images its stages start from.

Only the part of the Dockerfile syntax this needs: instructions (any case), line continuations
with `\\`, comments, global `ARG`s before the first FROM, and FROM's image operand."""

from __future__ import annotations

import re
import shlex
from typing import NamedTuple, Optional

from devenv.config.model import BASE_IMAGE_ARG

BASE_ARG = BASE_IMAGE_ARG  # catalog builds pass their base as this build arg, as services do

_USES_BASE = re.compile(r"\$(?:\{" + BASE_ARG + r"(?:[:?+-][^}]*)?\}|" + BASE_ARG + r"\b)")


class BaseArg(NamedTuple):
    declared: bool  # a global `ARG BASE_IMAGE` exists
    default: Optional[str]  # its default value, if it has one
    used: bool  # some FROM line starts from it
    line: int  # the ARG's line (0 when not declared)


def instructions(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[int, str, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments may sit inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(part.strip() for part in pending)
        pending = []
        word, _, rest = joined.partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


def base_arg(text: str) -> BaseArg:
    declared, default, used, line = False, None, False, 0
    seen_from = False
    for number, word, rest in instructions(text):
        if word == "ARG" and not seen_from:
            for item in _split(rest):
                name, sep, value = item.partition("=")
                if name == BASE_ARG:
                    declared, line = True, number
                    default = value if sep and value else None
        elif word == "FROM":
            seen_from = True
            operands = [w for w in _split(rest) if not w.startswith("--")]
            if operands and _USES_BASE.search(operands[0]):
                used = True
    return BaseArg(declared, default, used, line)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:  # an unbalanced quote: the engine will say more; read it word by word
        return text.split()


class FromLine(NamedTuple):
    line: int
    image: str  # the operand, global ARG defaults substituted ("python:3.11-slim")
    written: str  # the instruction as written, continuations joined ("FROM python:3.11-slim AS app")
    stage: Optional[str]  # its `AS name`


_ARG_REF = re.compile(r"\$(?:\{(\w+)(?::?-([^}]*))?\}|(\w+))")


def outside_bases(text: str) -> list[FromLine]:
    """The FROM lines that start from an outside image: not `scratch`, not an earlier stage, not
    `${BASE_IMAGE}` (devenv passes that one). Global ARG defaults are substituted, as the
    engine would without build args."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    found: list[FromLine] = []
    seen_from = False
    for number, word, rest in instructions(text):
        if word == "ARG" and not seen_from:
            for item in _split(rest):
                name, sep, value = item.partition("=")
                if sep:
                    defaults[name] = value
        elif word == "FROM":
            seen_from = True
            operands = [w for w in _split(rest) if not w.startswith("--")]
            if not operands:
                continue
            stage = operands[2] if len(operands) >= 3 and operands[1].lower() == "as" else None
            image = operands[0]
            uses_base = bool(_USES_BASE.search(image))
            image = _ARG_REF.sub(lambda m: defaults.get(m.group(1) or m.group(3), m.group(2) or ""), image)
            if not uses_base and image and image.lower() != "scratch" and image not in stages:
                found.append(FromLine(number, image, f"FROM {rest}", stage))
            if stage:
                stages.add(stage)
    return found


def base_arg_change(line: FromLine) -> tuple[str, str]:
    """The two lines that make `line` start from ${BASE_IMAGE}, its image kept as the default."""
    tail = line.written[len("FROM ") :].split(None, 1)
    rest = f" {tail[1]}" if len(tail) > 1 else ""
    return f"ARG {BASE_ARG}={line.image}", f"FROM ${{{BASE_ARG}}}{rest}"
