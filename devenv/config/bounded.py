"""Reading YAML, JSON and TOML from files a repository brings, within limits.

Every file devenv reads from a project (devenv.toml, devenv.lock, compose files, Kubernetes
manifests, devcontainer.json, JSON prod sources) goes through here, so a hostile one costs
bounded time and memory and ends in one line naming the file and the limit:
- its size (a regular file of at most MAX_BYTES, read by devenv.fsutil; PyYAML and tomllib
  build objects many times the text's size),
- its nesting (MAX_DEPTH levels: the parsers and what walks their result recurse per level),
- YAML aliases (`*name`): the nodes they add in all, each counted as the nodes it stands for
  (a "billion laughs" of nested anchors is a few hundred bytes), and an alias inside its own anchor.

The parsers' own errors (bad syntax) pass through unchanged: each caller words them for its file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Union

from devenv.errors import ConfigError

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000


def read_text(path: Union[str, Path], label: Optional[str] = None) -> str:
    """The UTF-8 text of regular file `path` (devenv.fsutil's reader), refused past MAX_BYTES.
    FileNotFoundError reaches the caller; the rest is one ConfigError line naming the file."""
    from devenv.fsutil import read_text as read_file

    return read_file(path, label, limit=MAX_BYTES)


def too_big(label: str, size: int) -> ConfigError:
    # fsutil's words for a file past its limit, for text that came another way
    return ConfigError(
        f"{label}: larger than {MAX_BYTES // (1024 * 1024)} MB, too large for what it holds ({size:,} bytes)",
        "check what the file is (it should be a small text file)",
    )


def check_size(text: str, label: str) -> None:
    if len(text) > MAX_BYTES:
        raise too_big(label, len(text))


_DEEP_HINT = "a configuration file needs a few levels of nesting; flatten this one"


def _too_deep(label: str, line: int = 0) -> ConfigError:
    where = f"{label}:{line}" if line else label
    return ConfigError(f"{where}: nested more than {MAX_DEPTH} levels deep", _DEEP_HINT)


def _unreadable(label: str, err: ValueError) -> ConfigError:
    # Python's own words, less its advice to raise the interpreter's limit.
    reason = str(err).split("; use sys.")[0]
    return ConfigError(f"{label}: a value cannot be read: {reason}", "fix or quote that value")


# --- YAML ---
class _Limit(Exception):
    def __init__(self, message: str, mark: Any, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = int(mark.line) + 1 if mark is not None else 0


_LOADERS: dict[type, type] = {}


def _bounded_loader(base: type) -> type:
    """`base` (a PyYAML loader class) with the limits applied while it composes nodes."""
    if base in _LOADERS:
        return _LOADERS[base]
    from yaml.events import AliasEvent

    class Bounded(base):  # type: ignore[misc]
        def compose_document(self) -> Any:
            self._depth = 0
            self._real = 0  # nodes written in the text
            self._sizes: dict[int, int] = {}  # id(node) → nodes it stands for, aliases expanded
            self._open: set[str] = set()  # anchors whose node is still being composed
            return super().compose_document()

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, AliasEvent):
                if event.anchor in self._open:
                    raise _Limit(
                        f"alias *{event.anchor} is inside its own anchor (a recursive alias)",
                        event.start_mark,
                        "an alias can only repeat a value that is complete before it",
                    )
                return super().compose_node(parent, index)
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Limit(f"nested more than {MAX_DEPTH} levels deep", event.start_mark, _DEEP_HINT)
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                self._open.add(anchor)
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
                if anchor is not None:
                    self._open.discard(anchor)
            self._real += 1
            size = 1
            if isinstance(node.value, list):
                sizes = self._sizes
                for child in node.value:
                    if isinstance(child, tuple):  # a mapping's (key, value)
                        size += sizes.get(id(child[0]), 1) + sizes.get(id(child[1]), 1)
                    else:
                        size += sizes.get(id(child), 1)
            self._sizes[id(node)] = size
            if size - self._real > MAX_ALIAS_NODES:
                raise _Limit(
                    f'aliases expand to more than {MAX_ALIAS_NODES:,} nodes (nested anchors, a "billion laughs")',
                    event.start_mark,
                    "write the values out, or repeat anchors less deeply",
                )
            return node

    _LOADERS[base] = Bounded
    return Bounded


def yaml_documents(text: str, label: str) -> list[Any]:
    """Every non-empty document of a (multi-document) YAML text, as nodes (SafeLoader)."""
    import yaml

    check_size(text, label)
    try:
        return [
            doc for doc in yaml.compose_all(text, Loader=_bounded_loader(yaml.SafeLoader)) if doc is not None
        ]
    except _Limit as err:
        raise _limit_error(label, err) from None


def yaml_load(text: str, label: str, loader: Optional[type] = None) -> Any:
    """The one document of a YAML text, constructed by `loader` (default SafeLoader)."""
    import yaml

    check_size(text, label)
    try:
        return yaml.load(text, Loader=_bounded_loader(loader or yaml.SafeLoader))  # a SafeLoader, bounded
    except _Limit as err:
        raise _limit_error(label, err) from None
    except ValueError as err:  # a constructor's: a 5,000-digit integer, the date 2001-13-45
        raise _unreadable(label, err) from None


def _limit_error(label: str, err: _Limit) -> ConfigError:
    where = f"{label}:{err.line}" if err.line else label
    return ConfigError(f"{where}: {err.message}", err.hint)


# --- JSON ---
def json_loads(text: str, label: str) -> Any:
    """json.loads within the limits; json.JSONDecodeError (bad syntax) reaches the caller."""
    import json

    check_size(text, label)
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep(label) from None
    except json.JSONDecodeError:
        raise
    except ValueError as err:  # a 5,000-digit integer
        raise _unreadable(label, err) from None
    if depth(value) > MAX_DEPTH:
        raise _too_deep(label)
    return value


def depth(value: Any) -> int:
    """How deep lists and dicts nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


# --- TOML ---
_KEY_PART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
# A line starting with MAX_DEPTH dotted parts, a header (`[a.a.a…]`) or a key (`a.a.a… =`):
# tomllib's time grows with the square of a key's length, so it is refused before parsing.
_LONG_KEY = re.compile(rf"^[ \t]*\[{{0,2}}[ \t]*(?:{_KEY_PART}[ \t]*\.[ \t]*){{{MAX_DEPTH}}}", re.M)


def toml_loads(text: str, label: str) -> dict[str, Any]:
    """tomllib.loads within the limits; TOMLDecodeError (bad syntax) reaches the caller."""
    from devenv.config import toml as tomllib

    check_size(text, label)
    long_key = _LONG_KEY.search(text)
    if long_key:
        raise _too_deep(label, text.count("\n", 0, long_key.start()) + 1)
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except RecursionError:  # tomllib recurses per level of `a = [[[[…` or `{a = {a = …`
        raise _too_deep(label) from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as err:  # a 5,000-digit integer
        raise _unreadable(label, err) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep(label)
    return data
