"""Interrupts: SIGTERM is handled like Ctrl-C; a second Ctrl-C exits at once, saying so."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

_count = 0


def _handler(signum: int, frame: Any) -> None:
    global _count
    _count += 1
    if _count > 1:
        sys.stderr.write(
            "\ninterrupted again: exiting now. Objects created so far carry devenv labels; "
            "the next `devenv up` converges from them, `devenv down` removes them.\n"
        )
        sys.stderr.flush()
        os._exit(130)
    for stop in _on_interrupt:
        stop()
    raise KeyboardInterrupt


_on_interrupt: list[Any] = []


def install() -> dict[int, Any]:
    """First interrupt unwinds cleanly, second one exits. Returns the previous handlers."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    from devenv.interrupts import stop_waiting  # bound now, not in the handler

    if stop_waiting not in _on_interrupt:
        _on_interrupt.append(stop_waiting)  # health waits in worker threads end with the main thread
    return previous


def restore(previous: dict[int, Any]) -> None:
    global _count
    for sig, handler in previous.items():
        if handler is not None:
            signal.signal(sig, handler)
    _count = 0
