"""Networks Docker would not let go of: their ids, so a later `down` does not wait for them again.

Docker 20.10 under load can keep an endpoint of a removed container on a network until the
daemon restarts ("has active endpoints", no container attached). The first `down` that meets it
asks for ENDPOINTS_GONE_S before it leaves the network; nothing tells that endpoint from one
Docker is still releasing. Once left, the network's id is noted here, and every later removal
of it asks once. Ids are the engine's own and never reused, so a note cannot name another
network; one removed at last (a daemon restart) is forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from devenv.fsutil import atomic_write
from devenv.paths import state_dir

KEPT = 200  # ids noted at most, the newest kept: the file stays small whatever happens
_MAX_BYTES = 64 * 1024


def _path() -> Path:
    return state_dir() / "left-networks"


def _noted() -> list[str]:
    """The ids noted so far, oldest first (none when the note cannot be read: the wait is then
    as before). Two `down`s writing at once: the last one's note wins; a lost id costs a wait."""
    try:
        with _path().open("rb") as handle:
            text = handle.read(_MAX_BYTES).decode(errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def known() -> set[str]:
    return set(_noted())


def note(left: Iterable[str], removed: Iterable[str]) -> None:
    """Add the ids of networks just left, drop those just removed. A note that cannot be
    written costs only the wait next time."""
    left, gone = list(left), set(removed)
    noted = _noted()
    if not left and not gone.intersection(noted):
        return
    kept = [i for i in noted if i not in gone and i not in left] + left
    try:
        atomic_write(_path(), "".join(f"{i}\n" for i in kept[-KEPT:]), mode=0o600)
    except OSError:
        pass
