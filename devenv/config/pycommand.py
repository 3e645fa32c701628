"""How a Python service command splits: the interpreter with its own options, then what it runs
(`-m MODULE ARGS` or `SCRIPT ARGS`). One home for it: the config checks `watch.preload` with it,
and the supervisor wraps the command with it (`watch/supervisor.wrap_command`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple, Optional

_PYTHON = re.compile(r"python(3(\.\d+)?)?")
_TAKES_VALUE = {"-W", "-X", "--check-hash-based-pycs"}  # interpreter options with a separate value


class PythonCommand(NamedTuple):
    interpreter: tuple[str, ...]  # the executable and its options: ("python3", "-u")
    target: tuple[str, ...]  # ("-m", "shop", ...) or ("app.py", ...)


def python_command(command: Sequence[str]) -> Optional[PythonCommand]:
    """The split, or None when `command` is not `python… [options] (-m MODULE | SCRIPT) [args]`
    (`-c`, stdin, and anything that is not a Python interpreter)."""
    if not command or not _PYTHON.fullmatch(command[0].rsplit("/", 1)[-1]):
        return None
    i = 1
    while i < len(command):
        arg = command[i]
        if arg == "-m":
            return PythonCommand(tuple(command[:i]), tuple(command[i:])) if i + 1 < len(command) else None
        if arg.startswith("-m") and not arg.startswith("--"):  # -mshop
            return PythonCommand(tuple(command[:i]), ("-m", arg[2:], *command[i + 1 :]))
        if arg in ("-c", "-", "--") or arg.startswith("-c"):
            return None
        if not arg.startswith("-"):
            return PythonCommand(tuple(command[:i]), tuple(command[i:]))
        i += 2 if arg in _TAKES_VALUE else 1
    return None
