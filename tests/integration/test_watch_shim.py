"""The supervisor shim on the real engine: restart in place, stop, crash and recovery."""

from __future__ import annotations

import os
import time

import pytest

from devenv.watch.supervisor import EXIT_MARKER, RESTART, STATUS_FILE, parse_status, restart_command
from tests.integration.test_watch_support import (
    app_url,
    exec_out,
    run_app,
    served,
    wait_for,
    write_app,
)

pytestmark = pytest.mark.engine


def status(container) -> dict[str, str]:
    code, out = exec_out(container, ["cat", STATUS_FILE])
    assert code == 0, out
    return parse_status(out)


def httpd_count(container) -> int:
    code, out = exec_out(container, ["ps", "-o", "comm"])
    assert code == 0, out
    return sum(1 for line in out.splitlines() if line.strip() == "httpd")


def test_restart_serves_new_content_in_the_same_container(docker_client, busybox_image, proj, tmp_path):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    before = status(container)

    (src / "content").write_text("v2\n")
    code, out = exec_out(container, restart_command())
    assert code == 0, out

    served(url, "v2")
    container.reload()
    assert container.status == "running"
    after = status(container)
    assert int(after["generation"]) == int(before["generation"]) + 1
    assert after["pid"] != before["pid"]
    assert httpd_count(container) == 1
    assert (
        docker_client.containers.get(container.id).attrs["State"]["StartedAt"]
        == container.attrs["State"]["StartedAt"]
    )


def test_sighup_to_the_container_restarts_the_process(docker_client, busybox_image, proj, tmp_path):
    src = tmp_path / "src"
    write_app(src, "one")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "one")
    (src / "content").write_text("two\n")
    container.kill(signal="SIGHUP")
    served(url, "two")
    assert httpd_count(container) == 1


def test_restart_kills_daemonized_grandchildren(docker_client, busybox_image, proj, tmp_path):
    # httpd without -f forks into the background and is re-parented to PID 1 (the shim);
    # if the shim left it running, the new httpd could not bind the port and v1 would stay.
    src = tmp_path / "src"
    write_app(src, "v1")
    (src / "daemon.sh").write_text(
        "mkdir -p /www; cp /src/content /www/index.html; httpd -p 8080 -h /www; exec sleep 100000\n"
    )
    container = run_app(docker_client, busybox_image, proj, src, command=["/bin/sh", "/src/daemon.sh"])
    url = app_url(container)
    served(url, "v1")
    (src / "content").write_text("v2\n")
    code, out = exec_out(container, restart_command())
    assert code == 0, out
    served(url, "v2")
    assert httpd_count(container) == 1


def test_restart_escalates_to_kill_for_a_process_ignoring_term(docker_client, busybox_image, proj, tmp_path):
    src = tmp_path / "src"
    write_app(src, "v1")
    (src / "stubborn.sh").write_text("trap '' TERM\n/bin/sh /src/app.sh & wait\n")
    container = run_app(
        docker_client,
        busybox_image,
        proj,
        src,
        command=["/bin/sh", "/src/stubborn.sh"],
        environment={"DEVENV_GRACE": "1"},
    )
    url = app_url(container)
    served(url, "v1")
    (src / "content").write_text("v2\n")
    code, out = exec_out(container, restart_command())
    assert code == 0, out
    served(url, "v2")


def test_term_stops_the_container_with_the_childs_code(docker_client, busybox_image, proj, tmp_path):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    served(app_url(container), "v1")
    # A generous timeout: if the shim ignored SIGTERM, docker would SIGKILL it (exit 137).
    container.stop(timeout=30)
    container.reload()
    assert container.status == "exited"
    assert container.attrs["State"]["ExitCode"] == 143  # httpd ended by SIGTERM, passed on


def test_crash_keeps_the_container_and_a_restart_recovers(docker_client, busybox_image, proj, tmp_path):
    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")

    (src / "crash").write_text("")
    code, out = exec_out(container, restart_command())
    assert code in (0, 1), out  # 1 when the crash was already recorded by the time it looked
    crashed = wait_for(lambda: status(container)["state"] == "exited" and status(container), 30, "crash")
    assert crashed["code"] == "3"
    logs = container.logs().decode()
    assert f"{EXIT_MARKER}3" in logs
    assert "app: crashing on purpose" in logs
    container.reload()
    assert container.status == "running"

    (src / "crash").unlink()
    (src / "content").write_text("fixed\n")
    code, out = exec_out(container, restart_command())
    assert code == 0, out
    served(url, "fixed")
    assert status(container)["state"] == "running"


def _events(docker_client, container_id: str, since: float, action: str) -> list[dict]:
    """The container's events whose action starts with `action`, from `since` on."""
    until = time.time() + 0.5
    stream = docker_client.events(since=int(since), until=until, decode=True, filters={"container": container_id})
    return [
        e for e in stream if e.get("Action", "").startswith(action) and e.get("timeNano", 0) >= since * 1e9
    ]


def _kill_events(docker_client, container_id: str, since: float) -> list[dict]:
    return _events(docker_client, container_id, since, "kill")


def test_a_watch_restart_signals_the_supervisor_from_this_kernel(docker_client, busybox_image, proj, tmp_path):
    # The watcher's restart after the first one is a SIGHUP: sent straight to the container's
    # PID 1 when it runs here (~0.01 ms), not through the engine's kill call (~18 ms).
    from devenv.engine.connect import connect
    from devenv.watch.actions import Supervised, restart

    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    url = app_url(container)
    served(url, "v1")
    engine = connect()
    details = engine.inspect_container(container.id)
    assert details.pid > 0
    before = status(container)
    since = time.time()

    (src / "content").write_text("v2\n")
    left = restart(engine, details, after=Supervised(before["shim_pid"], before["generation"]))
    served(url, "v2")
    assert left is not None and int(left.generation) == int(before["generation"]) + 1
    assert _kill_events(docker_client, container.id, since) == []
    # ...and its wait for the next process read the status file from here: no exec either.
    assert _events(docker_client, container.id, since, f"exec_start: /bin/sh {RESTART}") == []

    # A PID that is not this container's PID 1 (here: the test's own) is never signalled: the
    # engine's kill call goes instead, and the process restarts all the same.
    (src / "content").write_text("v3\n")
    elsewhere = details._replace(pid=os.getpid())
    restart(engine, elsewhere, after=left)
    served(url, "v3")
    assert len(_kill_events(docker_client, container.id, since)) == 1


def test_after_a_container_restart_the_watcher_signals_its_new_main_process(
    docker_client, busybox_image, proj, tmp_path
):
    from devenv.engine.connect import connect
    from devenv.ops.watch import ContainerFinder
    from devenv.watch.actions import Supervised, restart

    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    served(app_url(container), "v1")
    finder = ContainerFinder(connect(), proj, "default")
    first = finder("web")
    container.restart(timeout=0)  # e.g. `docker restart`, or the engine's restart policy
    container.reload()
    url = app_url(container)
    served(url, "v1")
    wait_for(lambda: status(container).get("state") == "running", 30, "the new supervisor")
    now = finder("web")
    assert now.pid != first.pid  # inspected again: the cached PID is the old process's

    before = status(container)
    since = time.time()
    (src / "content").write_text("v2\n")
    restart(finder.engine, now, after=Supervised(before["shim_pid"], before["generation"]))
    served(url, "v2")
    assert _kill_events(docker_client, container.id, since) == []


def test_a_watch_restart_that_crashes_at_once_is_told_from_this_kernel_too(
    docker_client, busybox_image, proj, tmp_path
):
    from devenv.engine.connect import connect
    from devenv.watch.actions import ExitedAtOnce, Supervised, restart

    src = tmp_path / "src"
    write_app(src, "v1")
    container = run_app(docker_client, busybox_image, proj, src)
    served(app_url(container), "v1")
    engine = connect()
    details = engine.inspect_container(container.id)
    (src / "crash").write_text("")
    # The supervisor says "running" right after its fork, before the app fails: every one of
    # these restarts must still be told apart from a process that stays up.
    for _ in range(5):
        before = status(container)
        with pytest.raises(ExitedAtOnce) as err:
            restart(engine, details, after=Supervised(before["shim_pid"], before["generation"]))
        assert "exit code 3" in err.value.message
