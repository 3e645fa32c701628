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
    seen = [start]
    current = extends.get(start)
    while current is not None and current in extends:
        if current in seen:
            return [*seen[seen.index(current) :], current]
        seen.append(current)
        current = extends[current]
    return None
