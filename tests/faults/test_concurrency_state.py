"""Concurrency (the instance lock), state (corrupt lock files, engine state changed behind
devenv's back) and data safety (volumes, data disks, the code folder)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import harness_run_options
from tests.faults.stack_harness import Running, assert_clean, labelled, stack_toml

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(faults_project, busybox_image, monkeypatch):
    faults_project.write(stack_toml(faults_project.name, busybox_image))
    monkeypatch.setenv("DEVENV_STATE_DIR", str(faults_project.state_dir))  # same lock folder as the CLI
    return faults_project


def held_lock(project, instance: str = "default"):
    from devenv.ops.instance_lock import instance_lock

    return instance_lock(project.root.resolve(), project.name, instance)


def test_a_second_command_waits_naming_the_holder(stack) -> None:
    with held_lock(stack):
        running = Running(stack, "up", "-d")
        line = running.wait_for_line("waiting for")
        assert f"pid {os.getpid()}" in line and "devenv" in line, line
        assert f"instance default of {stack.name}" in line
    result = running.finish()
    assert_clean(result)
    assert result.code == 0, str(result)


def test_two_concurrent_ups_give_one_stack(stack, docker_client) -> None:
    first, second = Running(stack, "up", "-d"), Running(stack, "up", "-d")
    for result in (first.finish(), second.finish()):
        assert_clean(result)
        assert result.code == 0, str(result)
    owned = labelled(docker_client, stack.name)
    assert len(owned["containers"]) == 3 and len(owned["networks"]) == 1, owned
    stack.ok("down", "--volumes")


def test_other_instances_never_wait(stack) -> None:
    with held_lock(stack, "default"):
        result = stack.run("up", "-d", "--instance", "other", timeout=120)
    assert_clean(result)
    assert result.code == 0, str(result)
    assert "waiting for" not in result.err
    stack.ok("down", "--instance", "other", "--volumes")


def test_a_killed_holder_leaves_no_stale_lock(stack) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from devenv.ops.instance_lock import instance_lock\n"
        f"with instance_lock(Path({str(stack.root.resolve())!r}), {stack.name!r}, 'default'):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(600)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], env=stack.env(), stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    result = stack.run("up", "-d")
    assert_clean(result)
    assert result.code == 0 and "waiting for" not in result.err, str(result)
    stack.ok("down", "--volumes")


@pytest.mark.parametrize(
    "content", [b"\x00\xff garbage", b'{"version": 99, "pid": "x", "future": true}', b""]
)
def test_corrupt_or_future_lock_file_is_not_trusted(stack, content) -> None:
    from devenv.ops.instance_lock import LOCK_VERSION, describe_holder, lock_path

    path = lock_path(stack.root.resolve(), stack.name, "default")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert describe_holder(path)  # a readable description, never an exception
    result = stack.run("up", "-d")
    assert_clean(result)
    assert result.code == 0, str(result)
    holder = json.loads(path.read_text())
    assert holder["version"] == LOCK_VERSION and holder["pid"] != os.getpid()
    stack.ok("down", "--volumes")


@pytest.mark.parametrize("content", ["not = [valid", '{"version": 99}', "version = 99\n", "\x00\x01"])
def test_corrupt_devenv_lock_is_a_clean_error(stack, content) -> None:
    (stack.root / "devenv.lock").write_text(content)
    result = stack.run("up", "-d")
    assert_clean(result)
    assert result.code in (1, 4), str(result)
    assert "devenv.lock" in result.err, str(result)


def test_engine_state_changed_behind_devenvs_back(stack, docker_client) -> None:
    stack.ok("up", "-d")
    label = f"dev.devenv.project={stack.name}"
    web = docker_client.containers.list(filters={"label": [label, "dev.devenv.service=web"]})[0]
    api = docker_client.containers.list(filters={"label": [label, "dev.devenv.service=api"]})[0]
    web.remove(force=True)  # removed by hand
    api.stop(timeout=0)  # stopped by hand
    stack.ok("up", "-d")
    states = {s["service"]: s["state"] for s in json.loads(stack.ok("status", "--json").out)["services"]}
    assert states == {"db": "running", "api": "running", "web": "running"}
    stack.ok("down", "--volumes")


def test_a_stray_container_with_our_name_is_reported_not_removed(stack, docker_client, busybox_image) -> None:
    stray = docker_client.containers.create(
        busybox_image, ["sleep", "1"], name=f"{stack.name}-default-db", **harness_run_options(docker_client)
    )
    try:
        result = stack.run("up", "-d")
        assert_clean(result)
        assert result.code in (1, 3), str(result)
        assert "already exists" in result.err and "hint: " in result.err
        stray.reload()  # still there: devenv never removes what it does not own
    finally:
        stray.remove(force=True)


def tree_digest(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_volumes_data_disks_and_code_survive_everything_but_the_flag(
    faults_project, busybox_image, tmp_path, docker_client
) -> None:
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "big.csv").write_text("a,b\n1,2\n")
    (faults_project.root / "src").mkdir()
    (faults_project.root / "src" / "app.py").write_text("print('hi')\n")
    faults_project.write(
        f"""
[project]
name = "{faults_project.name}"
[services.db]
image = "{busybox_image}"
command = ["sh", "-c", "echo row >> /var/lib/db/rows; exec sleep 100000"]
supervise = false
volumes = ["dbdata:/var/lib/db"]
data = [{{ source = "{data}", target = "/data" }}]
code = "/app"
user = "0:0"
"""
    )
    faults_project.ok("trust")  # the data disk is outside the project: a grant
    before = (tree_digest(data), tree_digest(faults_project.root))
    faults_project.ok("up", "-d")
    write = faults_project.run("exec", "-T", "db", "--", "sh", "-c", "echo x > /data/new")
    assert write.code != 0  # data disks are read-only unless declared otherwise
    down = faults_project.ok("down")
    assert "kept volumes" in down.err and f"{faults_project.name}-default-dbdata" in down.err
    faults_project.ok("up", "-d")
    rows = faults_project.ok("exec", "-T", "db", "--", "cat", "/var/lib/db/rows").out
    assert rows.count("row") == 2  # the volume outlived `down`
    down = faults_project.ok("down", "--volumes")
    assert f"removed volumes: {faults_project.name}-default-dbdata" in down.err
    assert labelled(docker_client, faults_project.name)["volumes"] == []
    assert (tree_digest(data), tree_digest(faults_project.root)) == before


def test_ports_bind_loopback_and_no_privilege_unless_declared(
    faults_project, busybox_image, docker_client
) -> None:
    faults_project.write(
        f"""
[project]
name = "{faults_project.name}"
[services.web]
image = "{busybox_image}"
command = ["httpd", "-f", "-p", "8080"]
supervise = false
ports = ["0:8080"]
[services.ops]
image = "{busybox_image}"
command = ["sleep", "100000"]
supervise = false
privileged = true
"""
    )
    result = faults_project.run("up", "-d", "--trust")  # privileged is a grant
    assert_clean(result)
    # Some sandboxes refuse privileged containers ("unable to apply caps"); the container is
    # created first either way, which is all this test inspects.
    assert result.code == 0 or "operation not permitted" in result.err, str(result)
    label = f"dev.devenv.project={faults_project.name}"
    by_service = {
        c.labels["dev.devenv.service"]: c.attrs
        for c in docker_client.containers.list(all=True, filters={"label": label})
    }
    bindings = by_service["web"]["HostConfig"]["PortBindings"]["8080/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
    assert by_service["web"]["HostConfig"]["Privileged"] is False
    assert by_service["ops"]["HostConfig"]["Privileged"] is True
    for attrs in by_service.values():
        assert all("docker.sock" not in (m.get("Source") or "") for m in attrs["Mounts"])
    table = faults_project.ok("status").out
    assert next(line for line in table.splitlines() if line.startswith("ops")).count("privileged") == 1
    assert "privileged" not in next(line for line in table.splitlines() if line.startswith("web"))
    faults_project.ok("down")
