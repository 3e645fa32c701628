"""A real database under `down`: the shop app writes rows continuously while the stack goes down
and comes back, 20 times (and 5 times with the engine SIGKILLed). Every row the app acknowledged
(its INSERT committed before the 201) must be there afterwards, and PostgreSQL's own log must show
that every `down` let it shut down cleanly: a stop timeout that SIGKILLs a database loses data.

Counts are printed (`-s` shows them) and recorded in docs/reliability.md."""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import pytest

from tests.integration.real_stack import REPO, ShopProject, post_product, wait_for

pytestmark = pytest.mark.engine
DOWN_CYCLES = int(os.environ.get("DEVENV_FAULT_DB_CYCLES", "20"))
KILL_CYCLES = int(os.environ.get("DEVENV_FAULT_DB_KILLS", "5"))
ENGINE_ROOT = Path(os.environ.get("DEVENV_ENGINE_ROOT", "/tmp/devenv-engine"))
CLEAN_START = "database system was shut down at"  # PostgreSQL's first line after a clean shutdown
CRASH_START = ("database system was interrupted", "was not properly shut down")


class Writer(threading.Thread):
    """POSTs products one after another; remembers each one the app acknowledged."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.url = ""
        self.acked: list[str] = []
        self.refused = 0
        self.stop = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            name = f"row {number}"
            try:
                if self.url:
                    post_product(self.url, name, 1.0, timeout=3)
                    self.acked.append(name)
                    continue
            except (OSError, urllib.error.URLError, http.client.HTTPException, AssertionError, ValueError):
                # The stack is going down or coming up, or the answer was cut off (the app stopped
                # while it answered): not acknowledged, whether or not the row was committed.
                self.refused += 1
            time.sleep(0.02)

    def wait_for_rows(self, count: int) -> None:
        start = len(self.acked)
        wait_for(lambda: len(self.acked) >= start + count, f"{count} acknowledged rows", timeout=60)


def db_start_line(shop: ShopProject) -> str:
    """PostgreSQL's verdict on how the previous server ended, from the newest start in the log."""
    result = shop.ok("logs", "db")
    logs = result.out + result.err
    for line in reversed(logs.splitlines()):
        if CLEAN_START in line or any(marker in line for marker in CRASH_START):
            return line
    raise AssertionError(f"no start-up verdict in the db log:\n{logs}")


def acked_rows_lost(shop: ShopProject, writer: Writer) -> list[str]:
    stored = set(shop.product_names())
    return [name for name in writer.acked if name not in stored]


@contextmanager
def writing(shop: ShopProject) -> Iterator[Writer]:
    """The stack up, and a writer POSTing rows to it until the block ends."""
    shop.ok("up", "-d")
    writer = Writer()
    writer.url = shop.url()
    writer.start()
    try:
        yield writer
        writer.wait_for_rows(5)
    finally:
        writer.stop.set()
        writer.join(timeout=10)


def cycle(shop: ShopProject, writer: Writer, disrupt: Callable[[], None]) -> str:
    """5 more acknowledged rows, `disrupt`, `up -d` again; PostgreSQL's verdict on the restart.
    The writer writes through the disruption, then pauses until the stack is back: a port left
    free between `down` and `up` is not ours, and nothing may be written to whoever takes it."""
    writer.wait_for_rows(5)
    disrupt()
    writer.url = ""
    shop.ok("up", "-d", timeout=300)
    writer.url = shop.url()
    return db_start_line(shop)


def test_down_while_the_app_writes_loses_no_committed_row_and_shuts_postgres_down_cleanly(shop) -> None:
    def down() -> None:
        assert "kept" in shop.ok("down").err  # while the writer keeps writing

    clean = 0
    with writing(shop) as writer:
        for _ in range(DOWN_CYCLES):
            line = cycle(shop, writer, down)
            assert CLEAN_START in line, f"PostgreSQL did not shut down cleanly on `down`: {line}"
            clean += 1
    lost = acked_rows_lost(shop, writer)
    print(
        f"\ndatabase durability: {DOWN_CYCLES} down/up cycles under writes, {len(writer.acked)} rows "
        f"acknowledged, {len(lost)} lost, {clean}/{DOWN_CYCLES} clean PostgreSQL shutdowns, "
        f"{writer.refused} writes refused while down"
    )
    assert lost == []


def _own_engine() -> bool:
    """Only an engine this test run started may be killed: .ci/run says so when it started one."""
    return (
        os.environ.get("DEVENV_FAULT_KILL_ENGINE") == "1"
        and (ENGINE_ROOT / "docker.pid").is_file()
        and os.environ.get("DOCKER_HOST") == f"unix://{ENGINE_ROOT}/docker.sock"
    )


def kill_and_restart_engine() -> None:
    pid = int((ENGINE_ROOT / "docker.pid").read_text())
    os.kill(pid, 9)
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "dockerd exits", timeout=30)
    started = subprocess.run(["bash", "scripts/engine-up.sh"], cwd=REPO, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr


@pytest.mark.skipif(not _own_engine(), reason="kills dockerd: only the engine .ci/run started itself "
                    "(DEVENV_FAULT_KILL_ENGINE=1 with scripts/engine-up.sh's engine)")  # fmt: skip
def test_engine_killed_while_the_app_writes_loses_no_committed_row(shop) -> None:
    with writing(shop) as writer:
        verdicts = ["clean" if CLEAN_START in cycle(shop, writer, kill_and_restart_engine) else "recovered"
                    for _ in range(KILL_CYCLES)]  # fmt: skip
    lost = acked_rows_lost(shop, writer)
    print(
        f"\nengine kills: {KILL_CYCLES} SIGKILLs of dockerd under writes, {len(writer.acked)} rows acknowledged, "
        f"{len(lost)} lost; PostgreSQL's next start found {verdicts.count('clean')} clean shutdowns and ran "
        f"{verdicts.count('recovered')} crash recoveries"
    )
    assert lost == []
