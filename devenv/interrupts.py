"""Interrupts, in this one module: SIGTERM is handled like Ctrl-C; the first unwinds (finally
blocks run, then exit 130), a second exits at once, saying so. Installed once, by the entry
point, before anything heavy is imported (`install` is idempotent: `cli.app.main` run
in-process installs it too).

Waits that run in worker threads (health checks) are not reached by the KeyboardInterrupt of
the main thread, and a pool would otherwise hold the exit for the whole timeout: they sleep on
the flag the first interrupt sets (`interruptible_sleep`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Callable, Optional, Union

from devenv.errors import Interrupted

if TYPE_CHECKING:  # annotations only: building the alias costs more than this module (`--help` pays it)
    from types import FrameType, TracebackType

    Handler = Union[Callable[[int, Optional[FrameType]], object], int, None]

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_stop = threading.Event()
_count = 0
_installed: Optional[dict[int, Handler]] = None  # the handlers ours replaced, while installed
_unraisable_before = sys.unraisablehook  # the hook ours replaced (restored with the handlers)


def _handler(signum: int, frame: Optional[FrameType]) -> None:
    global _count
    _count += 1
    if _count > 1:
        sys.stderr.write(
            "\ninterrupted again: exiting now. Objects created so far carry devenv labels; "
            "the next `devenv up` converges from them, `devenv down` removes them.\n"
        )
        sys.stderr.flush()
        os._exit(130)
    _stop.set()  # health waits in worker threads end with the main thread
    raise KeyboardInterrupt


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """A KeyboardInterrupt our handler raised in a finalizer or `__del__` (a garbage collection
    the signal happened to land in, such as a closed HTTP pool's) is swallowed there, and Python
    would print it with a traceback. Print nothing and deliver it again, to the main code."""
    global _count
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        import _thread

        _count = max(0, _count - 1)  # the same interrupt once more, not a second one
        # From another thread, a moment later: tripped here, it would run in this hook at once.
        redeliver = threading.Timer(0.005, _thread.interrupt_main)
        redeliver.daemon = True
        redeliver.start()
        return
    _unraisable_before(unraisable)


def install() -> bool:
    """Our handler for SIGINT and SIGTERM; True when this call installed it (False: it was)."""
    global _installed, _unraisable_before
    if _installed is not None:
        return False
    _installed = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    _unraisable_before, sys.unraisablehook = sys.unraisablehook, _unraisable
    return True


def restore() -> None:
    """The handlers from before `install` (for callers that run the CLI in-process: tests)."""
    global _installed, _count
    if _installed is None:
        return
    for sig, handler in _installed.items():
        if handler is not None:
            signal.signal(sig, handler)
    sys.unraisablehook = _unraisable_before
    _installed, _count = None, 0
    _stop.clear()


def interruptible_sleep(seconds: float, what: str = "waiting") -> None:
    if _stop.wait(seconds):
        raise Interrupted(f"interrupted while {what}")


class deferred:
    """Hold the first SIGINT/SIGTERM while the block runs (a teardown that must finish) and
    deliver it afterwards as KeyboardInterrupt; a second one interrupts at once."""

    def __enter__(self) -> deferred:
        self.pending = False
        self.saved: dict[int, Handler] = {}
        try:
            for sig in SIGNALS:
                self.saved[sig] = signal.signal(sig, self._note)
        except ValueError:  # not the main thread: signals cannot be handled here anyway
            self.saved = {}
        return self

    def _note(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.pending:  # a second interrupt: stop waiting; owner labels let a later run clean up
            raise KeyboardInterrupt
        self.pending = True

    def __exit__(
        self, kind: Optional[type[BaseException]], value: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        if self.pending and kind is None:
            raise KeyboardInterrupt
