"""Find the line of a dotted key in TOML text, so errors can say `devenv.toml:14`.

tomllib keeps no positions, so this scans table headers and `key =` lines. It finds the
deepest known prefix of the path, which is the line a person would look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Union

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_BASIC = r"\"(?:[^\"\\]|\\.)*\""  # a basic string key, escapes included: "a\"b"
_KEY = re.compile(
    rf"^\s*((?:[A-Za-z0-9_-]+|{_BASIC}|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|{_BASIC}|'[^']*'))*)\s*="
)
_PART = re.compile(r"(\"(?:[^\"\\]|\\.)*\")|'([^']*)'|([A-Za-z0-9_-]+)")


def _unquote(basic: str) -> str:
    try:
        text: str = json.loads(basic)  # TOML's basic-string escapes are JSON's (plus rare \e, \U)
        return text
    except ValueError:
        return basic[1:-1]


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(_unquote(a) if a else (b or c) for a, b, c in _PART.findall(dotted))


Key = tuple[Union[str, int], ...]

# Errors never point deeper than this (the loader refuses deeper tables): a `[a.a.a…]` header
# 20,000 parts long would otherwise map 20,000 prefixes of up to 20,000 parts each.
MAX_KEY_DEPTH = 64


@lru_cache(maxsize=4)
def key_lines(text: str) -> dict[Key, int]:
    """Map every table header and top-level-of-line key path to its (first) line number.
    Cached: the loader asks for a line per service, and each scan reads the whole file."""
    lines: dict[Key, int] = {}
    table: tuple[str, ...] = ()
    depth = 0  # open brackets of a multi-line array/inline table: their lines hold no keys of ours
    array: Key = ()  # the key of the multi-line array being read
    item = 0  # index of its next element
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 1 and array and line.lstrip().startswith("{"):
            # `rules = [` then one `{ ... },` per line: each item and its keys sit on its line.
            item_path = (*array, item)
            lines.setdefault(item_path, number)
            _inline_keys(line.lstrip(), item_path, number, lines)
            item += 1
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                table = _split(header.group(1))[:MAX_KEY_DEPTH]
                # `[servces.web]` also locates `servces`: errors about a parent table need its line.
                for i in range(1, len(table) + 1):
                    lines.setdefault(table[:i], number)
                continue
            key = _KEY.match(line)
            if key:
                path = (table + _split(key.group(1)))[:MAX_KEY_DEPTH]
                for i in range(len(table) + 1, len(path) + 1):
                    lines.setdefault(path[:i], number)
                _inline_keys(line[key.end() :], path, number, lines)
                array, item = path, 0
        depth = max(0, depth + _bracket_balance(line))
    return lines


# A key starts after no key character: else a long value ("xxxx…") is tried from each of its
# characters, each try running to its end (the square of its length).
_INLINE_KEY = re.compile(rf"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]+|{_BASIC}|'[^']*')\s*=")


def _inline_keys(rest: str, path: Key, number: int, lines: dict[Key, int]) -> None:
    # `health = { cmd = [...], interval = "1s" }`: inline keys sit on the same line.
    if rest.lstrip().startswith("{"):
        for match in _INLINE_KEY.finditer(rest):
            lines.setdefault((*path, *_split(match.group(1))), number)


# A quoted string: its brackets are text, not structure.
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")


def _bracket_balance(line: str) -> int:
    """Open minus closed brackets outside strings and comments; 0 for a table header."""
    if not any(b in line for b in "[]{}"):  # most lines: nothing to count
        return 0
    plain = _QUOTED.sub("", line)
    if '"' not in plain and "'" not in plain:  # every string closed on the line: count at C speed
        code = plain.split("#", 1)[0]
        balance = code.count("[") + code.count("{") - code.count("]") - code.count("}")
        return 0 if balance and _HEADER.match(line) else balance
    return _scanned_balance(line)


def _scanned_balance(line: str) -> int:
    """Character by character: a string left open runs to the end of the line."""
    balance = 0
    quote = ""
    escaped = False
    for char in line:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':  # `"a\"b"`: an escaped quote does not close
                escaped = True
            elif char == quote:
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
    full = tuple(path)
    for end in range(len(full), 0, -1):  # an item of a multi-line array (`rules = [` ...) first
        if any(isinstance(p, int) for p in full[:end]) and full[:end] in found:
            return found[full[:end]]
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
            shown = json.dumps(part, ensure_ascii=False) if needs_quotes else part
            out += f".{shown}" if out else shown
    return out
