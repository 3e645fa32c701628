"""The watcher's reload journal: one JSON line per reload or failure, read from an offset,
rotated past its bound (the reader starts again), never holding log lines."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from devenv.ops.reload_journal import (
    PATHS_KEPT,
    Cursor,
    Journal,
    JournaledReporter,
    last_entries,
    read_entries,
)


class Quiet:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def reloaded(self, service: str, ms: float, files: Collection[str], action: str) -> None:
        self.calls.append(("reloaded", service, ms, sorted(files), action))

    def failed(self, service: str, message: str, last_logs: list[str]) -> None:
        self.calls.append(("failed", service, message, last_logs))

    def note(self, message: str) -> None:
        self.calls.append(("note", message))

    def log(self, service: str, line: str) -> None:
        self.calls.append(("log", service, line))


def test_the_reporter_writes_reloads_and_failures_and_passes_everything_on(tmp_path: Path) -> None:
    path = tmp_path / "reloads" / "p-1-default.jsonl"
    inner = Quiet()
    reporter = JournaledReporter(inner, Journal(path))
    reporter.reloaded("web", 123.456, frozenset({"shop/page.py", "shop/app.py"}), "restart")
    reporter.failed("web", "exited with code 1", ["Traceback", "password=hunter2"])
    reporter.log("web", "a line")
    entries, cursor = read_entries(path)
    assert [{k: v for k, v in e.items() if k != "time"} for e in entries] == [
        {
            "kind": "reload",
            "service": "web",
            "action": "restart",
            "files": 2,
            "paths": ["shop/app.py", "shop/page.py"],  # which files triggered it, not only how many
            "ms": 123.5,
        },
        {"kind": "failed", "service": "web", "message": "exited with code 1"},
    ]
    assert "hunter2" not in path.read_text()  # log lines stay out of the file
    assert cursor.offset == path.stat().st_size
    assert [c[0] for c in inner.calls] == ["reloaded", "failed", "log"]


def test_a_burst_of_thousands_of_files_is_one_small_line_with_its_count(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    reporter = JournaledReporter(Quiet(), Journal(path))
    reporter.reloaded("web", 900.0, frozenset(f"node_modules/p{n:04d}/index.js" for n in range(5000)), "rebuild")
    (entry,) = read_entries(path)[0]
    assert entry["files"] == 5000
    assert entry["paths"] == [f"node_modules/p{n:04d}/index.js" for n in range(PATHS_KEPT)]
    assert len(path.read_bytes()) < 2000


def test_a_reader_gets_only_whole_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.write({"kind": "reload", "n": 1})
    _, cursor = read_entries(path)
    with open(path, "a") as handle:
        handle.write('{"kind": "reload", "n": 2}\n{"kind": "rel')  # the writer is mid-line
    entries, after = read_entries(path, cursor)
    assert [e["n"] for e in entries] == [2]
    assert read_entries(path, after) == ([], after)


def test_past_its_bound_the_file_rotates_and_a_reader_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, max_bytes=300)
    for n in range(20):
        journal.write({"kind": "reload", "n": n})
    assert path.stat().st_size <= 300 and path.with_name("j.jsonl.1").stat().st_size <= 300
    entries, _ = last_entries(path, 5)
    assert [e["n"] for e in entries] == [15, 16, 17, 18, 19]
    seen: list[int] = []
    _, cursor = read_entries(path)
    for n in range(20, 60):  # rotates under the reader, which reads now and then
        journal.write({"kind": "reload", "n": n})
        if n % 3 == 0:
            entries, cursor = read_entries(path, cursor)
            seen += [e["n"] for e in entries]
    entries, cursor = read_entries(path, cursor)
    seen += [e["n"] for e in entries]
    assert seen == list(range(20, 60))
    assert read_entries(tmp_path / "missing.jsonl") == ([], Cursor())
