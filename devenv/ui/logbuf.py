"""Log lines held for the dashboard: a bounded deque per service (what a page opened later
gets), and a bounded batch of what arrived since the last send (a flood drops its oldest
unsent lines, counted, rather than growing)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Optional

Line = tuple[int, str, str]  # (sequence number, service, text)


class LogBuffers:
    def __init__(self, per_service: int = 1000, batch: int = 500, line_chars: int = 4000) -> None:
        # `batch`: sent at most ten times a second, so a page gets at most 5,000 lines/s, the
        # newest; a flood's other lines stay in the per-service deques (the backlog).
        self.per_service = per_service
        self.batch = batch
        self.line_chars = line_chars  # a runaway line (a minified bundle) is cut
        self._kept: dict[str, deque[Line]] = {}
        self._pending: deque[Line] = deque(maxlen=batch)
        self._dropped = 0
        self._seq = 0
        self._lock = threading.Lock()

    def add(self, service: str, text: str) -> bool:
        """Keep one line (from any thread); True when it starts a new batch (the caller then
        schedules one send, so a quiet stack costs nothing)."""
        line_text = text if len(text) <= self.line_chars else text[: self.line_chars] + " …"
        with self._lock:
            self._seq += 1
            line = (self._seq, service, line_text)
            kept = self._kept.get(service)
            if kept is None:
                kept = self._kept[service] = deque(maxlen=self.per_service)
            kept.append(line)
            first = not self._pending
            if len(self._pending) == self.batch:
                self._dropped += 1
            self._pending.append(line)
            return first

    def take(self) -> tuple[list[Line], int]:
        """The batch to send and how many lines the page will not see (dropped unsent)."""
        with self._lock:
            batch, dropped = list(self._pending), self._dropped
            self._pending.clear()
            self._dropped = 0
        return batch, dropped

    def tail(self, service: Optional[str] = None, count: Optional[int] = None) -> list[Line]:
        """The kept lines of one service, or of all interleaved in arrival order."""
        with self._lock:
            if service is not None:
                lines = list(self._kept.get(service, ()))
            else:
                lines = sorted(line for kept in self._kept.values() for line in kept)
        return lines[-count:] if count else lines

    def size(self) -> int:
        with self._lock:
            return sum(len(k) for k in self._kept.values()) + len(self._pending)
