"""A small, stable TOML writer for the documents `devenv init` produces.

The converters build a plain document (dicts in the order they should be written) and this
module turns it into commented TOML text. Only the shapes devenv.toml uses are supported:
strings, ints, floats, bools, lists of those, inline tables, and tables of tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_INLINE_LIMIT = 100  # wider inline tables become [sub.tables]


@dataclass
class Table:
    """One `[dotted.name]` table: its keys in order, with optional comment lines above it and
    an optional trailing comment per key."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)  # written as `# ...` above the header
    key_comments: dict[str, str] = field(default_factory=dict)
    commented_out: dict[str, Any] = field(default_factory=dict)  # written as `# key = value`


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(value: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX) are all valid in a TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def value(obj: Any) -> str:
    """One TOML value (inline form)."""
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, str):
        return string(obj)
    if isinstance(obj, Mapping):
        if not obj:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in obj.items()) + " }"
    if isinstance(obj, Sequence):
        return "[" + ", ".join(value(v) for v in obj) + "]"
    raise TypeError(f"cannot write {type(obj).__name__} as TOML")


def _comment_lines(lines: Sequence[str]) -> list[str]:
    # A comment is one line: a stray newline in a message would end it and break the file.
    return [f"# {line}".replace("\n", " ").replace("\r", " ").rstrip() for line in lines]


def render_table(table: Table) -> list[str]:
    out = _comment_lines(table.comments)
    out.append(f"[{table.name}]")
    subtables: list[Table] = []
    for name, obj in table.values.items():
        if obj is None:
            continue
        line = f"{key(name)} = {value(obj)}"
        if isinstance(obj, Mapping) and obj and len(line) > _INLINE_LIMIT:
            # Long maps (environment, options) read better as their own table.
            subtables.append(Table(f"{table.name}.{key(name)}", dict(obj)))
            continue
        note = table.key_comments.get(name)
        if _is_table_list(obj) and len(line) > _INLINE_LIMIT:
            # A list of rules: one inline table per line (arrays may span lines; inline tables may not).
            out.append(f"{key(name)} = [" + (f"  # {note}" if note else ""))
            out.extend(f"  {value(item)}," for item in obj)
            out.append("]")
            continue
        out.append(f"{line}  # {note}" if note else line)
    for name, obj in table.commented_out.items():
        note = table.key_comments.get(name)
        line = f"# {key(name)} = {value(obj)}"
        out.append(f"{line}  # {note}" if note else line)
    for sub in subtables:
        out.append("")
        out.extend(render_table(sub))
    return out


def _is_table_list(obj: Any) -> bool:
    return isinstance(obj, list) and bool(obj) and all(isinstance(item, Mapping) for item in obj)


def render(tables: Sequence[Table], header: Optional[Sequence[str]] = None) -> str:
    """The whole file: header comment lines, then each table separated by a blank line."""
    out: list[str] = _comment_lines(header or [])
    for table in tables:
        if out:
            out.append("")
        out.extend(render_table(table))
    return "\n".join(out) + "\n"
