"""The watcher's reloads, written where another process can read them: one JSON line per
reload or failed reload, in a small per-instance file of the state folder (`devenv ui` tails
it). Bounded: past `MAX_BYTES` the file moves to `.1` (the one before is dropped).

Only what the watcher reports: service, action, the files that triggered it (their count, and
the first `PATHS_KEPT` names, relative to the service's folder: a 5,000-file checkout stays one
small line), milliseconds until served, the failure message. No log lines (they may quote a secret; the dashboard has the logs itself)."""

from __future__ import annotations

import json
import os
import threading
import time
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

from devenv import paths
from devenv.config.watch_actions import WatchAction
from devenv.watch.loop import Reporter

MAX_BYTES = 256 * 1024
PATHS_KEPT = 20  # names of the files of one reload


def journal_path(project_root: Path, project_name: str, instance: str) -> Path:
    key = f"{zlib.crc32(str(project_root).encode()):08x}"  # which checkout, as the instance lock's
    return paths.state_dir() / "reloads" / f"{project_name}-{key}-{instance}.jsonl"


class Journal:
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"time": time.time(), **entry}, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)
            except OSError:
                pass  # a journal that cannot be written never stops a reload


class Cursor(NamedTuple):
    """Where a reader is: which file (its inode) and how far."""

    inode: int = 0
    offset: int = 0


def _read(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data.rfind(b"\n") + 1
    entries = []
    for raw in data[:complete].splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries, offset + complete


START = Cursor()


def read_entries(path: Path, cursor: Cursor = START) -> tuple[list[dict[str, Any]], Cursor]:
    """The whole lines written since `cursor`, and the cursor to read from next. When the file
    was rotated under the reader, the rest of the old one (now `.1`) comes first."""
    try:
        inode = path.stat().st_ino
    except OSError:
        return [], Cursor()
    entries: list[dict[str, Any]] = []
    offset = cursor.offset
    if inode != cursor.inode:
        rotated = path.with_name(path.name + ".1")
        try:
            if cursor.inode and rotated.stat().st_ino == cursor.inode:
                entries, _ = _read(rotated, cursor.offset)
        except OSError:
            pass
        offset = 0
    try:
        more, offset = _read(path, offset)
    except OSError:
        return entries, Cursor()
    return entries + more, Cursor(inode, offset)


class JournaledReporter:
    """A watch Reporter that also writes reloads and failures to the journal."""

    def __init__(self, inner: Reporter, journal: Journal) -> None:
        self.inner = inner
        self.journal = journal

    def reloaded(self, service: str, ms: float, files: Collection[str], action: WatchAction) -> None:
        paths = sorted(files)[:PATHS_KEPT]
        self.journal.write(
            {"kind": "reload", "service": service, "action": action, "files": len(files), "paths": paths, "ms": round(ms, 1)}
        )
        self.inner.reloaded(service, ms, files, action)

    def failed(self, service: str, message: str, last_logs: list[str]) -> None:
        self.journal.write({"kind": "failed", "service": service, "message": message})
        self.inner.failed(service, message, last_logs)

    def note(self, message: str) -> None:
        self.inner.note(message)

    def log(self, service: str, line: str) -> None:
        self.inner.log(service, line)


def journaled(reporter: Reporter, project_root: Path, project_name: str, instance: str) -> Reporter:
    return JournaledReporter(reporter, Journal(journal_path(project_root, project_name, instance)))


def last_entries(path: Path, count: int) -> tuple[list[dict[str, Any]], Cursor]:
    """The last `count` entries (the rotated file's too) and the cursor to follow from."""
    older, _ = read_entries(path.with_name(path.name + ".1"))
    current, cursor = read_entries(path)
    return (older + current)[-count:], cursor


__all__ = ["Cursor", "Journal", "JournaledReporter", "journal_path", "journaled", "last_entries", "read_entries"]
