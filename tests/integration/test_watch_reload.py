"""The watch loop on the real engine: a save reloads the busybox httpd app through each action."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devenv.config.model import Project, Service, WatchRule, WatchSpec
from devenv.watch.logs import stream_logs
from devenv.watch.loop import WatchLoop
from devenv.watch.supervisor import STATUS_FILE
from tests.integration.test_watch_support import (
    app_url,
    exec_out,
    run_app,
    served,
    wait_for,
    write_app,
)

pytestmark = pytest.mark.engine


@dataclass
class Recorder:
    reloads: list[tuple[str, int, str]] = field(default_factory=list)
    failures: list[tuple[str, str, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reloaded(self, service: str, ms: float, files: Collection[str], action: str) -> None:
        with self.lock:
            self.reloads.append((service, len(files), action))

    def failed(self, service: str, message: str, last_logs: list[str]) -> None:
        with self.lock:
            self.failures.append((service, message, list(last_logs)))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def log(self, service: str, line: str) -> None:
        pass

    def count(self) -> int:
        with self.lock:
            return len(self.reloads)


@pytest.fixture
def watching(engine):
    loops: list[WatchLoop] = []

    def start(root: Path, service: Service, container, logs: bool = False) -> tuple[WatchLoop, Recorder]:
        recorder = Recorder()
        project = Project(name="t", root=root, config_file=root / "devenv.toml", services=(service,))
        details = engine.inspect_container(container.id)
        loop = WatchLoop(
            project,
            [service],
            engine=engine,
            get_container=lambda _: details,
            rebuild=lambda _: pytest.fail("no rebuild expected"),
            reporter=recorder,
            crashes_in_logs=logs,
        )
        loop.start()
        threading.Thread(target=loop.run, daemon=True).start()
        loops.append(loop)
        if logs:
            followers.extend(stream_logs([service.name], engine, lambda _: details, recorder))
        return loop, recorder

    followers: list = []
    yield start
    for loop in loops:
        loop.close()
    for follower in followers:
        follower.stop()


def _service(**watch) -> Service:
    return Service(name="web", code="/src", watch=WatchSpec(**watch))


@pytest.mark.podman
def test_restart_on_save_serves_new_content_in_the_same_container(
    docker_client, busybox_image, proj, tmp_path, watching
):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    _, rec = watching(src, _service(), container)

    (src / "content").write_text("v2\n")
    served(url, "v2")
    wait_for(rec.count, what="the reload report")
    assert rec.reloads == [("web", 1, "restart")]
    assert docker_client.containers.get(container.id).status == "running"
    assert [c.id for c in docker_client.containers.list(filters={"label": f"dev.devenv.project={proj}"})] == [
        container.id
    ]


def test_restart_container_changes_only_the_start_time(
    docker_client, busybox_image, proj, tmp_path, watching
):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    served(app_url(container), "v1")
    started = container.attrs["State"]["StartedAt"]
    _, rec = watching(src, _service(action="restart-container"), container)

    (src / "content").write_text("v2\n")
    wait_for(rec.count, what="the reload report")
    served(app_url(container), "v2")  # the host port may change with the restart
    fresh = docker_client.containers.get(container.id)
    assert fresh.attrs["State"]["StartedAt"] != started
    assert fresh.attrs["Created"] == container.attrs["Created"]
    assert rec.reloads == [("web", 1, "restart-container")]


@pytest.mark.podman
def test_sync_without_bind_mount_creates_modifies_and_deletes_with_the_owner(
    docker_client, busybox_image, proj, tmp_path, watching
):
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.txt").write_text("a1")
    (root / "gone.txt").write_text("bye")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "big.js").write_text("never copied")
    # No bind mount of the project: the container only has what sync copies in.
    container = run_app(
        docker_client, busybox_image, proj, None, command=["sleep", "100000"], supervised=False
    )
    service = Service(name="web", user="4321:4322", watch=WatchSpec(action="sync", sync_target="/app"))
    _, rec = watching(root, service, container)

    def ls(path: str) -> str:
        code, out = exec_out(container, ["stat", "-c", "%u:%g %n", path])
        return out.strip() if code == 0 else ""

    assert ls("/app/pkg/a.txt") == "4321:4322 /app/pkg/a.txt"  # the initial full sync
    assert ls("/app") == "4321:4322 /app"
    assert ls("/app/node_modules") == ""  # ignored folders stay out

    (root / "pkg" / "a.txt").write_text("a2")
    (root / "pkg" / "new").mkdir()
    (root / "pkg" / "new" / "b.txt").write_text("b")
    (root / "gone.txt").unlink()
    wait_for(lambda: exec_out(container, ["cat", "/app/pkg/a.txt"])[1] == "a2", what="modified file")
    wait_for(lambda: ls("/app/pkg/new/b.txt"), what="created file")
    wait_for(lambda: not ls("/app/gone.txt"), what="deleted file")
    assert ls("/app/pkg/new/b.txt") == "4321:4322 /app/pkg/new/b.txt"
    assert ls("/app/pkg/new") == "4321:4322 /app/pkg/new"
    assert all(action == "sync" for _, _, action in rec.reloads)
    assert not rec.failures


def test_a_5000_file_burst_gives_exactly_one_reload(docker_client, busybox_image, proj, tmp_path, watching):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    # Windows wide enough for a loaded CI disk: the point is coalescing, not the defaults.
    _, rec = watching(src, _service(debounce_ms=500, max_wait_ms=60_000), container)

    # From another process, as `git checkout` would write them.
    writer = "import os, sys\nfor i in range(5000):\n open(os.path.join(sys.argv[1], f'f{i:04d}.py'), 'w').write('x')"
    burst = src / "burst"
    burst.mkdir()
    subprocess.run([sys.executable, "-c", writer, str(burst)], check=True)
    wait_for(rec.count, what="the burst's reload")
    # A sentinel save afterwards: its batch must hold only itself, or the burst leaked into it.
    (src / "content").write_text("after\n")
    wait_for(lambda: rec.count() >= 2, what="the sentinel's reload")
    served(url, "after")
    assert len(rec.reloads) == 2
    assert rec.reloads[0][1] >= 5000
    assert rec.reloads[1] == ("web", 1, "restart")


def test_an_editors_save_in_steps_is_one_reload_of_the_whole_file(
    docker_client, busybox_image, proj, tmp_path, watching
):
    """Default windows (the 15 ms settle after a complete write): write a temp file and rename
    it over the original; then truncate, pause with the file still open, write the rest."""
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    _, rec = watching(src, _service(), container)

    temp = src / ".content.tmp"
    temp.write_text("v2 whole\n")  # created, written, closed
    temp.replace(src / "content")  # renamed into place
    served(url, "v2 whole")
    wait_for(lambda: rec.count() >= 1, what="the rename's reload")

    with open(src / "content", "w") as handle:  # truncated: the file is empty now
        handle.write("v3 ")
        handle.flush()
        time.sleep(0.05)  # longer than the settle: a reload now would serve a half-written file
        handle.write("whole\n")
    served(url, "v3 whole")
    wait_for(lambda: rec.count() >= 2, what="the in-place save's reload")
    time.sleep(0.5)  # anything late would be a second reload of either save
    assert [r[1] for r in rec.reloads] == [2, 1]  # the temp's name and the file; the file
    assert not rec.failures
    assert b"v3 \n" not in container.logs()  # the app never started on the half-written file


def test_ignored_paths_give_no_reload(docker_client, busybox_image, proj, tmp_path, watching):
    src = tmp_path / "src"
    write_app(src, "v1")
    (src / ".gitignore").write_text("*.log\n")
    (src / "node_modules").mkdir()
    (src / ".git").mkdir()
    container = run_app(docker_client, busybox_image, proj, src)
    served(app_url(container), "v1")
    _, rec = watching(src, _service(ignore=["tmp/"]), container)

    (src / "node_modules" / "x.js").write_text("x")
    (src / ".git" / "index").write_text("x")
    (src / "debug.log").write_text("x")
    (src / ".content.swp").write_text("x")
    (src / "content~").write_text("x")
    (src / "tmp").mkdir()
    (src / "tmp" / "t.txt").write_text("x")
    (src / "content").write_text("v2\n")  # the only change that counts
    served(app_url(container), "v2")
    wait_for(rec.count, what="the reload report")
    assert rec.reloads == [("web", 1, "restart")]


def test_rules_pick_the_action_per_path(docker_client, busybox_image, proj, tmp_path, watching):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    loop, rec = watching(src, _service(rules=(WatchRule(("*.md",), "none"),)), container)

    (src / "README.md").write_text("docs")
    wait_for(lambda: loop.batches == 1, what="the README batch")
    assert rec.reloads == []
    assert exec_out(container, ["cat", STATUS_FILE])[1].split()[1] == "1"  # never restarted

    (src / "content").write_text("v2\n")
    served(url, "v2")
    wait_for(rec.count, what="the reload report")
    assert rec.reloads == [("web", 1, "restart")]


def test_a_crash_on_reload_is_reported_and_the_next_save_recovers(
    docker_client, busybox_image, proj, tmp_path, watching
):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    _, rec = watching(src, _service(), container, logs=True)

    (src / "crash").write_text("boom")
    wait_for(lambda: rec.failures, what="the crash report")
    service, message, last_logs = rec.failures[0]
    assert service == "web"
    # The log follower reports it (the shim's exit line), whether or not the restart found the
    # process dead already: once.
    assert message == "exited with code 3"
    assert any("crashing on purpose" in line for line in last_logs)
    assert docker_client.containers.get(container.id).status == "running"

    (src / "crash").unlink()
    (src / "content").write_text("fixed\n")
    served(url, "fixed")
    wait_for(lambda: rec.reloads and rec.reloads[-1][2] == "restart", what="the recovery reload")
    assert len(rec.failures) == 1, rec.failures
