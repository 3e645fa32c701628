"""`devenv test` on the real engine: exit code passed through, nothing left behind, parallel
runs, and cleanup after devenv itself is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.engine


def stack_toml(registry: str) -> str:
    return f"""
[services.web]
image = "{registry}/busybox:test"
command = ["httpd", "-f", "-p", "8080", "-h", "/app/www"]
code = "/app"
supervise = false
ports = ["18080:8080"]
depends_on = ["db"]

[services.db]
image = "{registry}/busybox:test"
command = ["sh", "-c", "touch /tmp/ready; exec sleep 100000"]
supervise = false
health = {{ cmd = ["test", "-f", "/tmp/ready"], interval = "100ms", retries = 100 }}
volumes = ["dbdata:/var/lib/db"]
"""


@pytest.fixture
def stack(project, registry, busybox_image):
    (project.root / "www").mkdir()
    (project.root / "www" / "index.html").write_text("hello from web\n")
    project.write(f'[project]\nname = "{project.name}"\nregistry = "{registry}"\n' + stack_toml(registry))
    return project


def leftovers(client, project_name: str) -> list[str]:
    label = {"label": f"dev.devenv.project={project_name}"}
    return (
        [f"container {c.name}" for c in client.containers.list(all=True, filters=label)]
        + [f"network {n.name}" for n in client.networks.list(filters=label)]
        + [f"volume {v.name}" for v in client.volumes.list(filters=label)]
    )


@pytest.mark.podman
def test_exit_code_passes_through_and_nothing_is_left(stack, docker_client) -> None:
    result = stack.run("test", "--", "sh", "-c", "exit 3")
    assert result.code == 3, str(result)
    assert "test-" in result.err and "Traceback" not in result.err
    assert leftovers(docker_client, stack.name) == []


@pytest.mark.podman
def test_host_command_reaches_the_stack_through_its_env(stack, docker_client) -> None:
    script = 'wget -q -O - "$DEVENV_URL_WEB/index.html" && echo "instance=$DEVENV_INSTANCE"'
    result = stack.run("test", "--", "sh", "-c", script)
    assert result.code == 0, str(result)
    assert "hello from web" in result.out
    assert "instance=test-" in result.out
    assert leftovers(docker_client, stack.name) == []


def test_command_in_a_service_sees_its_volume_and_exit_code(stack, docker_client) -> None:
    result = stack.run(
        "test", "--service", "db", "--", "sh", "-c", "test -d /var/lib/db && echo inside; exit 4"
    )
    assert result.code == 4, str(result)
    assert result.out == "inside\n"
    assert leftovers(docker_client, stack.name) == []


def test_failing_stack_is_torn_down_too(stack, docker_client, registry) -> None:
    text = (
        (stack.root / "devenv.toml")
        .read_text()
        .replace('cmd = ["test", "-f", "/tmp/ready"]', 'cmd = ["false"]')
    )
    (stack.root / "devenv.toml").write_text(text.replace("retries = 100", "retries = 2"))
    result = stack.run("test", "--", "sh", "-c", "echo should-not-run")
    assert result.code == 5, str(result)
    assert "should-not-run" not in result.out
    assert leftovers(docker_client, stack.name) == []


def test_keep_leaves_the_instance_for_down(stack, docker_client) -> None:
    result = stack.run("test", "--keep", "--", "true")
    assert result.code == 0, str(result)
    kept = {
        c.labels["dev.devenv.instance"]
        for c in docker_client.containers.list(filters={"label": f"dev.devenv.project={stack.name}"})
    }
    assert len(kept) == 1
    (instance,) = kept
    assert f"devenv down --instance {instance} --volumes" in result.err
    stack.ok("up", "-d")  # a kept instance is not stale: the next up leaves it alone
    assert instance in {
        c.labels["dev.devenv.instance"]
        for c in docker_client.containers.list(filters={"label": f"dev.devenv.project={stack.name}"})
    }
    stack.ok("down", "--instance", instance, "--volumes")
    stack.ok("down", "--volumes")
    assert leftovers(docker_client, stack.name) == []


def test_two_runs_at_once_do_not_clash(stack, docker_client) -> None:
    script = 'wget -q -O - "$DEVENV_URL_WEB/index.html" >/dev/null && echo "$DEVENV_INSTANCE $DEVENV_URL_WEB"'
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: stack.run("test", "--", "sh", "-c", script), range(2)))
    for result in results:
        assert result.code == 0, str(result)
    (inst_a, url_a), (inst_b, url_b) = (r.out.split() for r in results)
    assert inst_a != inst_b and url_a != url_b
    assert leftovers(docker_client, stack.name) == []


def _start(stack) -> subprocess.Popen:
    """Start `devenv test -- sleep 1000` in its own process group; return once the command runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devenv", "test", "--", "sleep", "1000"],
        cwd=stack.root,
        env=stack.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = []
    for line in proc.stderr:  # the line saying the command started: the stack is fully up
        seen.append(line)
        if "running sleep 1000" in line:
            return proc
    proc.wait()
    pytest.fail("devenv test never started the command:\n" + "".join(seen))


def _start_and_kill(stack) -> None:
    """SIGKILL devenv mid-test (then its orphaned `sleep`): no finally runs, the stack stays."""
    proc = _start(stack)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stderr.close()


@pytest.mark.podman
def test_ctrl_c_mid_test_tears_down_and_exits_130(stack, docker_client) -> None:
    proc = _start(stack)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        rest = proc.stderr.read()
        assert proc.wait() == 130, rest
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stderr.close()
    assert leftovers(docker_client, stack.name) == []


def test_sigkilled_run_is_cleaned_by_down_all_stale(stack, docker_client) -> None:
    _start_and_kill(stack)
    assert any(item.startswith("container") for item in leftovers(docker_client, stack.name))
    result = stack.ok("down", "--all-stale")
    assert "removed" in result.err
    assert leftovers(docker_client, stack.name) == []


@pytest.mark.podman
def test_sigkilled_run_is_cleaned_by_the_next_up(stack, docker_client) -> None:
    _start_and_kill(stack)
    stale = {
        c.labels["dev.devenv.instance"]
        for c in docker_client.containers.list(
            all=True, filters={"label": f"dev.devenv.project={stack.name}"}
        )
    }
    assert len(stale) == 1 and next(iter(stale)).startswith("test-")
    stack.ok("up", "-d")
    instances = {
        c.labels["dev.devenv.instance"]
        for c in docker_client.containers.list(
            all=True, filters={"label": f"dev.devenv.project={stack.name}"}
        )
    }
    assert instances == {"default"}
    stack.ok("down", "--volumes")
    assert leftovers(docker_client, stack.name) == []


def test_run_killed_before_its_first_container_leaves_nothing(stack, docker_client) -> None:
    """A network and a volume created for a test instance whose devenv died before any container
    existed carry the owner labels, so `down --all-stale` still finds and removes them."""
    import socket

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    labels = {
        "dev.devenv.project": stack.name,
        "dev.devenv.instance": "test-deadbeef",
        "dev.devenv.owner-pid": dead.stdout.strip(),
        "dev.devenv.owner-host": socket.gethostname(),
    }
    docker_client.networks.create(f"{stack.name}-test-deadbeef", labels=labels)
    docker_client.volumes.create(f"{stack.name}-test-deadbeef-dbdata", labels=labels)
    stack.ok("down", "--all-stale")
    assert leftovers(docker_client, stack.name) == []
