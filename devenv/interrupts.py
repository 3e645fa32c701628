"""The process-wide "we were interrupted" flag, set by the CLI's first Ctrl-C/SIGTERM.

Waits that run in worker threads (health checks) are not reached by the KeyboardInterrupt of
the main thread, and a pool would otherwise hold the exit for the whole timeout: they sleep on
this flag instead. A module of its own, so the signal handler can bind it without importing
the engine layer.
"""

from __future__ import annotations

import threading

from devenv.errors import Interrupted

_stop = threading.Event()


def stop_waiting() -> None:
    """End every interruptible wait now (each raises Interrupted)."""
    _stop.set()


def interruptible_sleep(seconds: float, what: str = "waiting") -> None:
    if _stop.wait(seconds):
        raise Interrupted(f"interrupted while {what}")
