"""The env profile rules, in one place: which profiles exist without being declared, and how an
`extends` chain runs (the loader rejects a cycle with file:line; layering never meets one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Optional

PROD = "prod"  # production itself: never overridden, never declared
BUILTIN_PROFILES = (PROD, "dev", "test")


def known_profiles(declared: Iterable[str]) -> list[str]:
    return sorted(set(BUILTIN_PROFILES) | set(declared))


def extends_cycle(extends: Mapping[str, Optional[str]], start: str) -> Optional[list[str]]:
    """The cycle `start`'s `extends` chain runs into (its names, the first repeated at the end),
    or None when the chain ends. `extends`: declared profile -> the one it extends."""
    return _walk(extends, start, set())


def first_extends_cycle(extends: Mapping[str, Optional[str]]) -> Optional[tuple[str, list[str]]]:
    """The first declared profile whose chain runs into a cycle, with that cycle; None when every
    chain ends. One pass: a chain found to end is not walked again from a later start (2,000
    profiles each extending the one before are 2,000 steps, not 2,000 squared)."""
    ends: set[str] = set()
    for start in extends:
        cycle = _walk(extends, start, ends)
        if cycle is not None:
            return start, cycle
    return None


def _walk(extends: Mapping[str, Optional[str]], start: str, ends: set[str]) -> Optional[list[str]]:
    """Follow `start`'s chain to its end or a cycle; names known to end (`ends`) stop the walk,
    and every name of a chain that ends is added to them."""
    at: dict[str, int] = {}
    chain: list[str] = []
    current: Optional[str] = start
    while current is not None and current in extends and current not in ends:
        if current in at:
            return [*chain[at[current] :], current]
        at[current] = len(chain)
        chain.append(current)
        current = extends[current]
    ends.update(chain)
    return None
