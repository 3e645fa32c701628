"""Find the line of a dotted key in TOML text, so errors can say `devenv.toml:14`.

tomllib keeps no positions, so this scans table headers and `key =` lines. It finds the
deepest known prefix of the path, which is the line a person would look at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Union

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)
_PART = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _PART.findall(dotted))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every table header and top-level-of-line key path to its (first) line number."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    depth = 0  # open brackets of a multi-line array/inline table: their lines hold no keys of ours
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                table = _split(header.group(1))
                # `[servces.web]` also locates `servces`: errors about a parent table need its line.
                for i in range(1, len(table) + 1):
                    lines.setdefault(table[:i], number)
                continue
            key = _KEY.match(line)
            if key:
                path = table + _split(key.group(1))
                for i in range(len(table) + 1, len(path) + 1):
                    lines.setdefault(path[:i], number)
                _inline_keys(line[key.end() :], path, number, lines)
        depth = max(0, depth + _bracket_balance(line))
    return lines


def _inline_keys(rest: str, path: tuple[str, ...], number: int, lines: dict[tuple[str, ...], int]) -> None:
    # `health = { cmd = [...], interval = "1s" }`: inline keys sit on the same line.
    if rest.lstrip().startswith("{"):
        for match in re.finditer(r"([A-Za-z0-9_-]+)\s*=", rest):
            lines.setdefault((*path, match.group(1)), number)


def _bracket_balance(line: str) -> int:
    balance = 0
    quote = ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    if _HEADER.match(line):
        return 0
    return balance


def line_of(text: str, path: Sequence[Union[str, int]]) -> int:
    """The line of the deepest prefix of `path` found in `text` (0 when none is)."""
    found = key_lines(text)
    keys = tuple(p for p in path if isinstance(p, str))
    for end in range(len(keys), 0, -1):
        if keys[:end] in found:
            return found[keys[:end]]
    return 0


def dotted(path: Sequence[Union[str, int]]) -> str:
    """services.web.ports[0]"""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            needs_quotes = not re.fullmatch(r"[A-Za-z0-9_-]+", part)
            shown = f'"{part}"' if needs_quotes else part
            out += f".{shown}" if out else shown
    return out
