"""Host ports for the containers an `up` creates: the requested one when free, else the next."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Optional


class PortAllocator:
    """Host ports: the requested one when free, else the next free one (or an error if strict).

    `is_free` is injected (a socket bind test in real use) so the logic is unit-testable.
    """

    __slots__ = ("_lock", "is_free", "reserved", "search_span")

    def __init__(
        self,
        is_free: Callable[[str, int, str], bool],
        reserved: Optional[set[tuple[str, int, str]]] = None,
        search_span: int = 100,
    ) -> None:
        self.is_free = is_free
        self.reserved: set[tuple[str, int, str]] = set() if reserved is None else reserved
        self.search_span = search_span
        self._lock = threading.Lock()

    def allocate(self, host_ip: str, port: int, protocol: str, strict: bool) -> Optional[int]:
        """The host port to use, or None when `strict` and the port is taken."""
        if port == 0:
            return 0  # the engine picks one
        candidates = [port] if strict else range(port, min(port + self.search_span, 65536))
        with self._lock:  # services of one wave are created in parallel
            return self._first_free(host_ip, candidates, protocol)

    def _first_free(self, host_ip: str, candidates: Iterable[int], protocol: str) -> Optional[int]:
        for candidate in candidates:
            key = (host_ip, candidate, protocol)
            if key in self.reserved:
                continue
            if self.is_free(host_ip, candidate, protocol):
                self.reserved.add(key)
                return candidate
        return None
