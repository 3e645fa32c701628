"""How use cases report progress without printing: a callback the CLI renders."""

from __future__ import annotations

from typing import Callable

Progress = Callable[[str, str], None]  # (subject: a service, network or volume; message)
Waiting = Callable[[str], None]  # a one-line note while a command waits (for a lock, ...)


def silent(subject: str, message: str) -> None:
    """The progress of a caller that shows none."""
