"""Coalesce a burst of file events into one batch.

A batch is due when no event came for `quiet_s` (the editor finished saving, the checkout
finished writing) or when the first event is `max_wait_s` old (a never-ending stream of
writes still reloads now and then). The clock is injected so tests need no sleeps.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional


class Debouncer:
    def __init__(self, quiet_s: float, max_wait_s: float, clock: Callable[[], float] = time.monotonic):
        if quiet_s < 0 or max_wait_s < 0:
            raise ValueError("debounce windows must not be negative")
        self.quiet_s = quiet_s
        self.max_wait_s = max(max_wait_s, quiet_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._first: Optional[float] = None
        self._last: Optional[float] = None

    def add(self, path: str) -> None:
        now = self._clock()
        with self._lock:
            if self._first is None:
                self._first = now
            self._last = now
            self._paths.add(path)

    def pending(self) -> int:
        with self._lock:
            return len(self._paths)

    def _deadline(self) -> Optional[float]:
        if self._first is None or self._last is None:
            return None
        return min(self._last + self.quiet_s, self._first + self.max_wait_s)

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
            self._first = self._last = None
        return batch
