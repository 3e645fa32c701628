"""The foundation on the real engine: up, no-op up, change one service, instances, down."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request

import pytest

from tests.conftest import free_port, harness_run_options
from tests.integration.as_user import UserDevenv

pytestmark = pytest.mark.engine


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read().decode()


def web_toml(registry: str, port: int, extra: str = "", db_extra: str = "") -> str:
    return (
        """
[project.registry_placeholder]
""".replace("[project.registry_placeholder]\n", "")
        + f"""
[services.web]
image = "{registry}/busybox:test"
command = ["httpd", "-f", "-p", "8080", "-h", "/app/www"]
code = "/app"
ports = ["{port}:8080"]
depends_on = ["db"]
{extra}

[services.db]
image = "{registry}/busybox:test"
command = ["sh", "-c", "touch /tmp/ready; exec sleep 100000"]
health = {{ cmd = ["test", "-f", "/tmp/ready"], interval = "100ms", retries = 100 }}
volumes = ["dbdata:/var/lib/db"]
{db_extra}
"""
    )


def status_of(project) -> dict:
    return json.loads(project.ok("status", "--json").out)


def ids(project) -> dict[str, str]:
    return {s["service"]: s["container"] for s in status_of(project)["services"]}


@pytest.fixture
def stack(project, registry, busybox_image):
    port = free_port()
    (project.root / "www").mkdir()
    (project.root / "www" / "index.html").write_text("v1\n")
    project.write(f'[project]\nname = "{project.name}"\nregistry = "{registry}"\n' + web_toml(registry, port))
    project.port = port
    return project


@pytest.mark.podman
def test_up_serves_code_and_edits_are_served_at_once(stack) -> None:
    result = stack.ok("up", "-d")
    assert f"http://127.0.0.1:{stack.port}" in result.out
    assert fetch(f"http://127.0.0.1:{stack.port}/") == "v1\n"
    (stack.root / "www" / "index.html").write_text("v2\n")
    assert fetch(f"http://127.0.0.1:{stack.port}/") == "v2\n"
    services = {s["service"]: s for s in status_of(stack)["services"]}
    assert services["web"]["state"] == "running" and services["db"]["health"] == "healthy"
    assert services["web"]["urls"] == [f"http://127.0.0.1:{stack.port}"]
    assert services["web"]["digest"].startswith("sha256:")


@pytest.mark.podman
def test_noop_up_recreates_nothing_and_one_change_recreates_only_it(stack, registry) -> None:
    stack.ok("up", "-d")
    before = ids(stack)
    again = stack.ok("up", "-d")
    assert "up to date" in again.err
    assert ids(stack) == before
    # The no-op's table comes from the containers it read, not a second list: the same rows
    # `status` shows (state, health, URL).
    rows = {s["service"]: s for s in status_of(stack)["services"]}
    shown = [line.split() for line in again.out.splitlines()]
    assert sorted(shown) == sorted(
        [name, row["state"], *([f"({row['health']})"] if row["health"] else []), *row["urls"]]
        for name, row in rows.items()
    )
    text = (stack.root / "devenv.toml").read_text().replace('"-h", "/app/www"]', '"-h", "/app/www", "-v"]')
    (stack.root / "devenv.toml").write_text(text)
    changed = stack.ok("up", "-d")
    assert "1 change" in changed.err
    after = ids(stack)
    assert after["db"] == before["db"] and after["web"] != before["web"]


@pytest.mark.podman
def test_two_instances_side_by_side_without_port_clash(stack, docker_client) -> None:
    stack.ok("up", "-d")
    stack.ok("up", "-d", "--instance", "t2")
    first = status_of(stack)["services"][0]["urls"][0]
    second = json.loads(stack.ok("status", "--json", "--instance", "t2").out)["services"][0]["urls"][0]
    assert first != second
    assert fetch(first + "/") == fetch(second + "/") == "v1\n"
    networks = {
        n.name for n in docker_client.networks.list(filters={"label": f"dev.devenv.project={stack.name}"})
    }
    assert networks == {f"{stack.name}-default", f"{stack.name}-t2"}
    stack.ok("down", "--instance", "t2")
    assert fetch(first + "/") == "v1\n"  # the other instance is untouched


@pytest.mark.podman
def test_down_is_lossless_and_removes_only_what_devenv_created(
    stack, docker_client, busybox_image, tmp_path
) -> None:
    data = tmp_path / "disk"
    data.mkdir()
    (data / "dataset.bin").write_bytes(os.urandom(4096))
    digest = hashlib.sha256((data / "dataset.bin").read_bytes()).hexdigest()
    text = (
        (stack.root / "devenv.toml")
        .read_text()
        .replace(
            'depends_on = ["db"]', f'depends_on = ["db"]\ndata = [{{ source = "{data}", target = "/data" }}]'
        )
    )
    (stack.root / "devenv.toml").write_text(text)
    stack.ok("trust")  # a data disk outside the project is a grant
    foreign = docker_client.containers.run(
        busybox_image,
        ["sleep", "1000"],
        detach=True,
        labels={"owner": "someone-else"},
        **harness_run_options(docker_client),
    )
    try:
        stack.ok("up", "-d")
        # data is read-only in the container by default
        denied = stack.run("exec", "web", "--", "sh", "-c", "echo x > /data/new")
        assert denied.code != 0 and not (data / "new").exists()
        stack.ok("exec", "db", "--", "sh", "-c", "echo precious > /var/lib/db/file")
        stack.ok("down")
        volume = f"{stack.name}-default-dbdata"
        assert docker_client.volumes.get(volume) is not None
        assert json.loads(stack.ok("status", "--json").out)["volumes"] == [volume]  # kept, and said so
        assert not docker_client.containers.list(
            all=True, filters={"label": f"dev.devenv.project={stack.name}"}
        )
        foreign.reload()
        assert foreign.status == "running"
        assert hashlib.sha256((data / "dataset.bin").read_bytes()).hexdigest() == digest
        # the volume's content survives a down/up cycle
        stack.ok("up", "-d")
        assert stack.ok("exec", "db", "--", "cat", "/var/lib/db/file").out == "precious\n"
        removed = stack.ok("down", "--volumes")
        assert volume in removed.err
        assert not docker_client.volumes.list(filters={"label": f"dev.devenv.project={stack.name}"})
        assert hashlib.sha256((data / "dataset.bin").read_bytes()).hexdigest() == digest
    finally:
        foreign.remove(force=True)


@pytest.mark.podman
def test_exec_passes_exit_code_and_sees_service_env(stack) -> None:
    text = (stack.root / "devenv.toml").read_text() + '\n[services.web.environment]\nGREETING = "hi there"\n'
    (stack.root / "devenv.toml").write_text(text)
    stack.ok("up", "-d")
    assert stack.run("exec", "web", "--", "sh", "-c", "exit 7").code == 7
    assert stack.ok("exec", "web", "--", "sh", "-c", 'echo "$GREETING"').out == "hi there\n"
    assert stack.ok("exec", "web", "--", "pwd").out == "/app\n"


def test_read_only_root_has_writable_tmp(stack) -> None:
    text = (stack.root / "devenv.toml").read_text() + "\n[services.ro]\n" + (f'image = "{stack.root and ""}"')
    text = (
        (stack.root / "devenv.toml")
        .read_text()
        .replace('volumes = ["dbdata:/var/lib/db"]', 'volumes = ["dbdata:/var/lib/db"]\nread_only = true')
    )
    (stack.root / "devenv.toml").write_text(text)
    stack.ok("up", "-d")
    assert stack.run("exec", "db", "--", "touch", "/etc/nope").code != 0
    stack.ok("exec", "db", "--", "touch", "/tmp/yes")
    stack.ok("exec", "db", "--", "touch", "/var/lib/db/yes")  # volumes stay writable


@pytest.mark.podman
def test_files_written_under_code_belong_to_the_host_user(stack, tmp_path) -> None:
    """Run devenv as an unprivileged user (in the docker group), from Debian's python3 and its
    packages (scripts/install.sh installs them): files the container writes in the code folder
    must be owned by that user, not root."""
    user = UserDevenv(stack.root, tmp_path, stack.env())
    run = user.run("up", "-d", timeout=120)
    try:
        assert run.returncode == 0, run.stderr
        done = user.run("exec", "web", "--", "sh", "-c", "id -u; echo hi > /app/made-here", timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(user.user.pw_uid)
        made = user.root / "made-here"
        assert made.stat().st_uid == user.user.pw_uid and made.stat().st_gid == user.user.pw_gid
    finally:
        user.run("down", "--volumes", timeout=120)


@pytest.mark.podman
def test_health_timeout_and_crash_on_start_name_the_service(project, registry, busybox_image) -> None:
    project.write(f"""
[services.db]
image = "{registry}/busybox:test"
command = ["sh", "-c", "echo booting db; exec sleep 1000"]
health = {{ cmd = ["false"], interval = "100ms", retries = 3 }}
""")
    result = project.run("up", "-d")
    assert result.code == 5, str(result)
    assert "service db is unhealthy" in result.err and "booting db" in result.err
    project.write(f"""
[services.api]
image = "{registry}/busybox:test"
command = ["sh", "-c", "echo missing config >&2; exit 4"]
supervise = false
# a long health budget: the wait must end at the crash, with its exit code, not at the timeout
health = {{ cmd = ["true"], interval = "200ms", retries = 1000 }}
""")
    result = project.run("up", "-d")
    assert result.code == 5, str(result)
    assert "service api exited with code 4 on start" in result.err and "missing config" in result.err
    assert "Traceback" not in result.err


def test_engine_unreachable_exits_3_with_hint(project, tmp_path) -> None:
    project.write('[services.web]\nimage = "x:1"\n')
    result = project.run("up", "-d", DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    assert result.code == 3, str(result)
    assert "cannot reach the Docker engine" in result.err and "hint:" in result.err
    assert "Traceback" not in result.err


def test_declared_volume_driver_options_are_used(project, registry, busybox_image, docker_client) -> None:
    """[volumes.NAME] with a driver and options (a tmpfs standing in for an NFS share)."""
    project.write(f"""
[services.app]
image = "{registry}/busybox:test"
command = ["sleep", "100000"]
volumes = ["scratch:/scratch"]

[volumes.scratch]
driver = "local"
options = {{ type = "tmpfs", device = "tmpfs", o = "size=5m" }}
""")
    if docker_client.devenv_kind.podman:  # its local driver takes size= only on XFS with project quota
        refused = project.run("up", "-d")
        assert refused.code == 1 and "the engine refuses a size= volume option" in refused.err, str(refused)
        assert "drop size from [volumes.NAME] options" in refused.err and "Traceback" not in refused.err
        return
    project.ok("up", "-d")
    volume = docker_client.volumes.get(f"{project.name}-default-scratch")
    assert volume.attrs["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=5m"}
    mounts = project.ok("exec", "app", "--", "sh", "-c", "grep ' /scratch ' /proc/mounts").out
    assert mounts.startswith("tmpfs /scratch tmpfs") and "size=5120k" in mounts


@pytest.mark.podman
def test_logs_shell_and_strict_port(project, registry, busybox_image) -> None:
    port = free_port()
    project.write(f"""
[services.app]
image = "{registry}/busybox:test"
command = ["sh", "-c", "echo first line; echo second line; exec sleep 100000"]
supervise = false
""")
    project.ok("up", "-d")
    assert project.ok("logs", "app").out == "first line\nsecond line\n"
    assert project.ok("logs", "app", "--tail", "1").out == "second line\n"
    shell = project.run("shell", "app", input="echo in the shell; exit 3\n")
    assert shell.code == 3 and "in the shell" in shell.out
    import socket

    with socket.socket() as holder:  # something else holds the port
        holder.bind(("127.0.0.1", port))
        holder.listen()
        project.write(f"""
[services.app]
image = "{registry}/busybox:test"
command = ["sleep", "100000"]
ports = [{{ container = 80, host = {port}, strict = true }}]
""")
        strict = project.run("up", "-d")
        assert strict.code == 1 and f"host port {port} is taken and the port is strict" in strict.err
        project.write(f"""
[services.app]
image = "{registry}/busybox:test"
command = ["sleep", "100000"]
ports = ["{port}:80"]
""")
        project.ok("up", "-d")
        urls = json.loads(project.ok("status", "--json").out)["services"][0]["urls"]
        assert urls and urls[0] != f"http://127.0.0.1:{port}"  # the next free port, shown in status
