"""The dashboard's pieces that need no server: bounded log buffers, the engine's events as
records, a row's colour, the event-stream framing, and the one line when the extra is missing."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from devenv.engine.records import engine_event
from devenv.ops.status import ServiceStatus
from devenv.ui.live import log_message, sse
from devenv.ui.logbuf import LogBuffers
from devenv.ui.views import verdict


def test_a_flood_keeps_memory_bounded_and_counts_what_it_dropped() -> None:
    logs = LogBuffers(per_service=100, batch=50)
    firsts = [logs.add("web", f"line {i}") for i in range(10_000)]
    assert firsts[0] and not any(firsts[1:])  # one send scheduled for the whole burst
    assert logs.size() == 150
    batch, dropped = logs.take()
    assert [text for _, _, text in batch] == [f"line {i}" for i in range(9_950, 10_000)]
    assert dropped == 9_950
    assert logs.take() == ([], 0)
    assert logs.add("web", "after") is True  # the next line starts a new batch
    assert [t for _, _, t in logs.tail("web")][-2:] == ["line 9999", "after"]


def test_tail_interleaves_services_in_arrival_order_and_cuts_runaway_lines() -> None:
    logs = LogBuffers(line_chars=10)
    for service, text in [("web", "a"), ("db", "b"), ("web", "c"), ("db", "x" * 50)]:
        logs.add(service, text)
    assert [(s, t) for _, s, t in logs.tail()] == [("web", "a"), ("db", "b"), ("web", "c"), ("db", "x" * 10 + " …")]
    assert [t for _, _, t in logs.tail("web", 1)] == ["c"]


def test_threads_adding_at_once_lose_nothing_kept() -> None:
    logs = LogBuffers(per_service=10_000, batch=100_000)

    def add(service: str) -> None:
        for i in range(2_000):
            logs.add(service, str(i))

    threads = [threading.Thread(target=add, args=(f"s{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batch, dropped = logs.take()
    assert len(batch) == 8_000 and dropped == 0
    assert sorted(seq for seq, _, _ in batch) == list(range(1, 8_001))


def test_engine_events_become_records_and_other_types_are_skipped() -> None:
    raw = {
        "Type": "container",
        "Action": "health_status: unhealthy",
        "Actor": {"ID": "abc123", "Attributes": {"dev.devenv.service": "web", "dev.devenv.instance": "default"}},
        "time": 1700000000,
        "timeNano": 1700000000123456789,
    }
    event = engine_event(raw)
    assert event is not None
    assert (event.action, event.container, event.service, event.instance) == (
        "health_status: unhealthy",
        "abc123",
        "web",
        "default",
    )
    assert abs(event.time - 1700000000.123) < 0.001
    assert engine_event({**raw, "Type": "network"}) is None


def test_the_row_colour() -> None:
    def row(state: str, health: str | None = None) -> ServiceStatus:
        return ServiceStatus("web", state, health, "c", None, None, None)

    assert verdict(row("running", "healthy"), None) == "ok"
    assert verdict(row("running"), None) == "ok"
    assert verdict(row("running", "starting"), None) == "starting"
    assert verdict(row("running", "unhealthy"), None) == "bad"
    assert verdict(row("exited"), 3) == "bad"
    assert verdict(row("exited"), 137) == "bad"
    assert verdict(row("exited"), 0) == "off"  # a one-shot job that finished
    assert verdict(row("not created"), None) == "off"


def test_server_sent_event_framing() -> None:
    assert sse("logs", log_message([(1, "web", "a\nb")], 2)) == (
        'event: logs\ndata: {"lines":[[1,"web","a\\nb"]],"dropped":2}\n\n'
    )


def test_without_the_extra_one_line_names_it(offline_project, tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    (hidden / "starlette").mkdir(parents=True)
    (hidden / "starlette" / "__init__.py").write_text("raise ImportError('not installed')\n")
    offline_project.write("[services.web]\nimage = \"busybox\"\n")
    env = offline_project.env(PYTHONPATH=f"{hidden}:{Path(__file__).resolve().parents[2]}")
    done = subprocess.run(
        [sys.executable, "-m", "devenv", "ui", "--no-open"],
        cwd=offline_project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: devenv ui needs Starlette and uvicorn: pip install 'devenv-stack[ui]'"
    ]
