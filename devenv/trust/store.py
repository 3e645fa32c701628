"""The devenv.toml files the user trusted: `trust.json` in devenv's state folder, one record per
(absolute path, sha256 of the file's bytes) with the grants it was trusted for. A changed file
has another digest, so it asks again; a new grant from a file devenv.toml names (a compose
env_file) is not among the recorded ones, so it asks again too.

Read-modify-write under an flock, written atomically (never half a file), versioned: a store
from a newer devenv is read as "nothing trusted" and never overwritten.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from devenv import paths
from devenv.errors import DevenvError
from devenv.fsutil import atomic_write

STORE_VERSION = 1
STORE_NAME = "trust.json"
KEEP_PER_FILE = 10  # digests remembered per devenv.toml: switching branches does not ask each time


class Record(NamedTuple):
    path: str  # the devenv.toml, absolute and resolved
    sha256: str
    grants: tuple[str, ...]  # Grant.key() of each grant trusted
    trusted_at: float


def digest(config_file: Path) -> str:
    return hashlib.sha256(config_file.read_bytes()).hexdigest()


def store_path() -> Path:
    return paths.state_dir() / STORE_NAME


def records() -> list[Record]:
    """Every record; none when the store is missing, unreadable or not ours to read."""
    try:
        return _parse(json.loads(store_path().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return []


def covers(path: Path, sha256: str, grant_keys: Sequence[str]) -> bool:
    """Whether the user trusted this content of `path` for (at least) these grants."""
    wanted = set(grant_keys)
    return any(
        r.path == str(path) and r.sha256 == sha256 and wanted <= set(r.grants) for r in records()
    )


def known(path: Path) -> bool:
    """Whether some content of `path` was trusted before (so a refusal can say it changed)."""
    return any(r.path == str(path) for r in records())


def add(path: Path, sha256: str, grant_keys: Sequence[str]) -> None:
    with _locked() as current:
        mine = [r for r in current if r.path == str(path) and r.sha256 != sha256]
        others = [r for r in current if r.path != str(path)]
        mine.append(Record(str(path), sha256, tuple(sorted(grant_keys)), time.time()))
        _write([*others, *mine[-KEEP_PER_FILE:]])


def remove(path: Path) -> int:
    """Forget every trusted content of `path`; how many records went."""
    with _locked() as current:
        kept = [r for r in current if r.path != str(path)]
        if len(kept) != len(current):
            _write(kept)
        return len(current) - len(kept)


@contextmanager
def _locked() -> Iterator[list[Record]]:
    """The records, read under the store's lock (two `devenv trust` at once both land)."""
    store = store_path()
    with open(store.with_name(STORE_NAME + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield _read_for_update(store)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_for_update(store: Path) -> list[Record]:
    try:
        text = store.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as err:
        raise DevenvError(f"{store}: cannot read the trust store: {err.strerror}", "check its permissions") from None
    try:
        doc = json.loads(text)
        version = doc.get("version") if isinstance(doc, dict) else None
        if isinstance(version, int) and version > STORE_VERSION:
            raise DevenvError(
                f"{store}: written by a newer devenv (store version {version}); not changed",
                "trust with that devenv, or upgrade this one",
            )
        return _parse(doc)
    except (ValueError, TypeError, KeyError):
        raise DevenvError(
            f"{store}: the trust store is damaged; not changed",
            "remove it (it only lists the devenv.toml files you trusted) and trust them again",
        ) from None


def _parse(doc: Any) -> list[Record]:
    if not isinstance(doc, dict) or doc.get("version") != STORE_VERSION:
        raise ValueError("not a trust store of this version")
    return [
        Record(str(r["path"]), str(r["sha256"]), tuple(str(g) for g in r["grants"]), float(r["trusted_at"]))
        for r in doc["files"]
    ]


def _write(current: list[Record]) -> None:
    doc = {"version": STORE_VERSION, "files": [r._asdict() | {"grants": list(r.grants)} for r in current]}
    atomic_write(store_path(), json.dumps(doc, indent=2) + "\n", mode=0o600)
