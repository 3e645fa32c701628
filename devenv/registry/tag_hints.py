"""Which of a repository's tags to show when the one asked for is missing.

A repository can hold hundreds of tags (one per commit, per branch); the message shows a dozen,
so the ones that look like the tag asked for come first, then `latest`, then the rest in the
registry's order."""

from __future__ import annotations

import difflib

SHOWN = 12
CLOSE = 0.6  # difflib's own cut-off for "close matches"


def nearest_first(wanted: str, tags: list[str]) -> list[str]:
    """`tags` reordered: those close to `wanted` (closest first), then `latest`, then the rest."""
    score = {t: _likeness(wanted, t) for t in tags}
    close = sorted((t for t in tags if score[t] >= CLOSE), key=lambda t: -score[t])  # stable: ties keep order
    head = close + (["latest"] if "latest" in tags and "latest" not in close else [])
    return head + [t for t in tags if t not in head]


def shown_tags(tags: list[str]) -> str:
    """The first SHOWN tags, and how many there are when some are left out."""
    return ", ".join(tags[:SHOWN]) + (f", … ({len(tags)} in all)" if len(tags) > SHOWN else "")


def _likeness(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.ratio() if matcher.real_quick_ratio() >= CLOSE and matcher.quick_ratio() >= CLOSE else 0.0
