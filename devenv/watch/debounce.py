"""Coalesce a burst of file events into one batch.

A batch is due when no event came for `quiet_s` (the editor finished saving, the checkout
finished writing) or when the first event is `max_wait_s` old (a never-ending stream of
writes still reloads now and then).

A save is usually known to be complete sooner: the file was closed after writing
(IN_CLOSE_WRITE) or renamed into place (IN_MOVED_TO). A small batch (at most `FAST_PATHS`
paths) in which every written path was completed that way is due a settle after its last
event instead. The settle covers an editor's next step: when the last file completed is one
this batch created (a temp file, which an editor renames over the original next, or the first
of a checkout's new files), `settle_s`; when it is a file written in place or renamed into
place — the save itself — the shorter `in_place_settle_s`. A path still open for writing, or a
batch past `FAST_PATHS` paths (a checkout, an `npm install`), waits for the full quiet window,
so a burst is still one batch. The clock is injected so tests need no sleeps.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

FAST_PATHS = 8  # an editor's save touches the file, a temp or backup file, a swap file


class Debouncer:
    def __init__(
        self,
        quiet_s: float,
        max_wait_s: float,
        clock: Callable[[], float] = time.monotonic,
        settle_s: Optional[float] = None,
        in_place_settle_s: Optional[float] = None,
    ):
        windows = (quiet_s, max_wait_s, settle_s or 0.0, in_place_settle_s or 0.0)
        if any(w < 0 for w in windows):
            raise ValueError("debounce windows must not be negative")
        self.quiet_s = quiet_s
        self.max_wait_s = max(max_wait_s, quiet_s)
        self.settle_s = None if settle_s is None else min(settle_s, quiet_s)
        # Without a window of its own, a save in place settles as any complete write does.
        self.in_place_settle_s = self.settle_s if in_place_settle_s is None else min(in_place_settle_s, quiet_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._open: set[str] = set()  # written, not yet closed or renamed into place
        self._completed = False  # a close-after-write or rename in this batch
        self._created: set[str] = set()  # paths this batch created (not renamed into place)
        self._last_created = False  # the last path completed is one of those
        self._first: Optional[float] = None
        self._last: Optional[float] = None

    def add(self, path: str, created: bool = False) -> None:
        """A change to `path` (`created`: a new file, not one renamed into place); until
        `done(path)` it counts as still being written."""
        now = self._clock()
        with self._lock:
            if self._first is None:
                self._first = now
            self._last = now
            self._paths.add(path)
            self._open.add(path)
            if created:
                self._created.add(path)

    def done(self, path: str, complete: bool) -> None:
        """`path` is finished: `complete` when it was closed after writing or renamed into
        place, else gone (deleted, renamed away). Ignored for a path the batch does not hold."""
        now = self._clock()
        with self._lock:
            if path not in self._paths:
                return
            self._last = now
            self._open.discard(path)
            self._completed = self._completed or complete
            if complete:
                self._last_created = path in self._created

    def pending(self) -> int:
        with self._lock:
            return len(self._paths)

    def _deadline(self) -> Optional[float]:
        if self._first is None or self._last is None:
            return None
        quiet = self.quiet_s
        if self.settle_s is not None and self._settled():
            quiet = self.settle_s if self._last_created else (self.in_place_settle_s or 0.0)
        return min(self._last + quiet, self._first + self.max_wait_s)

    def _settled(self) -> bool:
        return self._completed and not self._open and len(self._paths) <= FAST_PATHS

    def time_until_due(self) -> Optional[float]:
        """Seconds until the batch is due (0 if it is), None when nothing is pending."""
        with self._lock:
            deadline = self._deadline()
        if deadline is None:
            return None
        return max(0.0, deadline - self._clock())

    def due(self) -> bool:
        wait = self.time_until_due()
        return wait is not None and wait <= 0.0

    def flush(self) -> frozenset[str]:
        """Take the pending batch (empty if none) and start over."""
        with self._lock:
            batch = frozenset(self._paths)
            self._paths = set()
            self._open = set()
            self._completed = False
            self._created = set()
            self._last_created = False
            self._first = self._last = None
        return batch
