"""The lite client answers what docker-py answers, and an `up` whose images are all present —
no-op or cold — needs nothing else; only a pull or a build loads docker-py."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from devenv.engine import labels
from devenv.engine.connect import connect
from devenv.engine.errors import EngineNotFound
from devenv.engine.lite import lite_engine
from devenv.errors import EngineError
from tests.conftest import DevenvProject, remove_project_objects

pytestmark = pytest.mark.engine

# Runs a command in-process, then prints which HTTP client modules it loaded: docker-py and its
# requests/urllib3 ("LOADED"), and the standard library's http.client with the ssl and email it
# imports ("HTTP"), which only a registry request needs. Each costs a no-op `up` more than its
# engine requests. Then whether any dataclass was built: each compiles its methods at import
# (0.3-0.8 ms), so the records of the no-op `up`, `status` and `down` paths are NamedTuples or
# plain classes (the registry client has its own: it comes with a registry request).
NO_REGISTRY_CLIENT = "HTTP []\nDATACLASSES False"
PROBE = """
import sys
# What only a first run or a build needs (the shim folder, a Dockerfile, a stack include's
# files unpacked): not on a no-op's path.
# An editable install's import hook loads shutil and tempfile before us: forget them, so an
# import by devenv shows (the modules already holding them keep theirs).
first_run_only = ("shutil", "tempfile", "tarfile", "devenv.images.dockerfile")
for name in first_run_only:
    sys.modules.pop(name, None)
sys.argv = ["devenv", *sys.argv[1:]]
from devenv.cli.app import main
try:
    main()
except SystemExit as done:
    code = done.code
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("docker", "requests", "urllib3")))
print("HTTP", sorted(m for m in ("http.client", "ssl", "email") if m in sys.modules))
print("DATACLASSES", "dataclasses" in sys.modules)
print("FIRST_RUN_ONLY", sorted(m for m in first_run_only if m in sys.modules))
print("UI", sorted(m for m in sys.modules if m.split(".")[0] in ("starlette", "uvicorn", "anyio") or m.startswith("devenv.ui")))
sys.exit(code)
"""


@pytest.fixture
def running(project, registry, busybox_image):
    project.write(
        f"""
[services.web]
image = "{busybox_image}"
command = ["sh", "-c", "echo to stdout; echo to stderr >&2; exec sleep 100000"]
supervise = false
"""
    )
    project.ok("up", "-d")
    return project


@pytest.mark.podman
def test_same_answers_as_docker_py(running, busybox_image) -> None:
    lite, full = lite_engine(), connect()
    assert lite is not None
    lite.ping()
    selector = labels.selector(running.name)
    ours, theirs = lite.containers(selector), full.containers(selector)
    assert ours == theirs and len(ours) == 1
    assert lite.inspect_container(ours[0].id) == full.inspect_container(ours[0].id)
    assert lite.inspect_image(busybox_image) == full.inspect_image(busybox_image) is not None
    assert lite.networks(selector) == full.networks(selector) != []
    assert lite.volumes(selector) == full.volumes(selector)
    logged = lite.logs(ours[0].id)
    assert logged == full.logs(ours[0].id)
    # Both streams, whole; their order is the engine's (two copiers, one line each, microseconds apart).
    assert sorted(logged.splitlines()) == [b"to stderr", b"to stdout"]
    assert lite.logs(ours[0].id, tail=1) == full.logs(ours[0].id, tail=1)


def test_errors_keep_the_engine_status(running) -> None:
    lite = lite_engine()
    assert lite is not None
    assert lite.inspect_image("devenv-no-such-image:never") is None
    with pytest.raises(EngineNotFound) as caught:
        lite.inspect_container("devenv-no-such-container")
    assert caught.value.status_code == 404 and "no such container" in caught.value.explanation.lower()


def test_a_gone_container_stops_and_removes_quietly(running) -> None:
    lite = lite_engine()
    assert lite is not None
    assert lite.stop("devenv-no-such-container", 0) is False
    assert lite.remove_container("devenv-no-such-container") is False


def test_an_unreachable_socket_is_an_engine_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    lite = lite_engine()
    assert lite is not None
    with pytest.raises(EngineError, match="cannot reach the Docker engine"):
        lite.containers([])


def _probe(project, *args: str) -> subprocess.CompletedProcess:
    """`devenv ARGS` in-process, printing the engine-client modules it loaded."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.podman
def test_a_noop_up_never_loads_docker_py(running, on_podman) -> None:
    noop = _probe(running, "up", "-d")
    assert noop.returncode == 0, noop.stderr
    assert "up to date" in noop.stderr
    assert "LOADED []" in noop.stdout
    assert "UI []" in noop.stdout  # the dashboard's server (the ui extra) is not on `up`'s path
    assert "FIRST_RUN_ONLY []" in noop.stdout  # ~8 ms of imports a no-op `up` has no use for
    # Podman keeps every manifest digest an image was pulled or pushed as, so `up` asks the
    # registry which one the tag names (registry/pull.py `_repo_digest`): a registry request.
    assert on_podman or NO_REGISTRY_CLIENT in noop.stdout
    running.ok("down")
    cold = _probe(running, "up", "-d")  # network and container made anew: the lite client's work
    assert cold.returncode == 0, cold.stderr
    assert "1 change" in cold.stderr and "LOADED []" in cold.stdout


def test_only_a_pull_or_a_build_loads_docker_py(project, busybox_image) -> None:
    (project.root / "img").mkdir()
    (project.root / "img" / "Dockerfile").write_text(f'FROM {busybox_image}\nCMD ["sleep", "100000"]\n')
    project.write("""
[services.built]
build = "img"
supervise = false
""")
    first = _probe(project, "up", "-d")  # the same probe sees docker-py when it builds
    assert first.returncode == 0, first.stderr
    assert "'docker'" in first.stdout
    project.ok("down")
    again = _probe(project, "up", "-d")  # built already: nothing for docker-py to do
    assert again.returncode == 0, again.stderr
    assert "LOADED []" in again.stdout and NO_REGISTRY_CLIENT in again.stdout


def test_a_cached_stack_include_loads_no_client_on_the_noop_paths(project, busybox_image, tmp_path, docker_client) -> None:
    """A product including a published stack, pinned by devenv.lock and cached: its no-op `up`,
    `status` and `down` read the cached stack (its config, its devenv.toml) and load neither an
    HTTP client nor tarfile (which brings shutil, bz2 and lzma): only a fetch unpacks."""
    from tests.integration.registry_helpers import PrivateRegistry, push, registry_addr

    reg = PrivateRegistry(registry_addr(docker_client), tmp_path / "registry")
    reg.root.mkdir()
    reg.start()
    try:
        push(docker_client, busybox_image, f"{reg.addr}/busybox:test")
        notify = DevenvProject(tmp_path / "notify", project.state_dir)
        notify.root.mkdir()
        notify.write(
            f'[project]\nname = "notify"\nregistry = "{reg.addr}"\n\n'
            '[services.mail]\nimage = "busybox:test"\ncommand = ["sleep", "100000"]\nsupervise = false\n'
        )
        git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=notify.root, check=True)
        notify.ok("lock")
        subprocess.run([*git, "add", "-A"], cwd=notify.root, check=True)
        subprocess.run([*git, "commit", "-qm", "v1"], cwd=notify.root, check=True)
        notify.ok("publish", "--tag", "1")
        project.write(
            f'registry = "{reg.addr}"\n\n[include.notify]\nstack = "notify:1"\n\n'
            '[services.web]\nimage = "busybox:test"\ncommand = ["sleep", "100000"]\nsupervise = false\n'
        )
        project.ok("lock")
        project.ok("up", "-d")
        for args, said in ((("up", "-d"), "up to date"), (("status",), "running"), (("down",), "removed")):
            probed = _probe(project, *args)
            assert probed.returncode == 0 and said in probed.stdout + probed.stderr, probed.stderr
            assert "LOADED []" in probed.stdout and NO_REGISTRY_CLIENT in probed.stdout, (args, probed.stdout)
            assert "FIRST_RUN_ONLY []" in probed.stdout, (args, probed.stdout)
    finally:
        reg.stop()


@pytest.mark.podman
def test_down_and_status_never_load_docker_py(running) -> None:
    status = _probe(running, "status")
    assert status.returncode == 0 and "running" in status.stdout, status.stderr
    assert "LOADED []" in status.stdout and NO_REGISTRY_CLIENT in status.stdout and "UI []" in status.stdout
    down = _probe(running, "down")
    assert down.returncode == 0, down.stderr
    assert "removed" in down.stderr and "LOADED []" in down.stdout and NO_REGISTRY_CLIENT in down.stdout
    assert running.ok("status").out.count("not created") == 1


@pytest.mark.podman
def test_both_clients_follow_the_engine_events(running, docker_client) -> None:
    """`events` waits on the engine's stream: a restart arrives as die then start, with the
    service and instance from the labels, on the lite client as on docker-py (on Podman's
    Docker-compatible service too: `devenv ui` follows the stack with it)."""
    lite, full = lite_engine(), connect()
    assert lite is not None
    selector = labels.selector(running.name)
    streams = {"lite": lite.events(selector), "full": full.events(selector)}
    seen: dict[str, list] = {"lite": [], "full": []}

    def read(name: str) -> None:
        for event in streams[name]:
            seen[name].append(event)
            if event.action == "start":
                return

    readers = [threading.Thread(target=read, args=(name,), daemon=True) for name in streams]
    for reader in readers:
        reader.start()
    (container,) = docker_client.containers.list(filters={"label": selector})
    container.restart(timeout=0)
    for reader in readers:
        reader.join(timeout=60)
    for stream in streams.values():
        stream.close()
    for events in seen.values():
        actions = [e.action for e in events]
        assert "die" in actions and actions[-1] == "start", actions
        assert {(e.container, e.service) for e in events} == {(container.id, "web")}
    assert [e.action for e in seen["lite"]] == [e.action for e in seen["full"]]



@pytest.mark.podman
def test_lite_events_carry_only_the_selected_project_and_end_on_close(
    running, docker_client, busybox_image, tmp_path
) -> None:
    """The lite client's stream (the one `devenv ui` follows on the no-op paths' client): the
    events of another project's container never arrive, each event names its container,
    service and instance, and `close()` from another thread ends the reader at once (the
    dashboard's Ctrl-C)."""
    other = DevenvProject(tmp_path / "other", tmp_path / "other-state")
    other.root.mkdir()
    other.write(f'[services.web]\nimage = "{busybox_image}"\ncommand = ["sleep", "100000"]\nsupervise = false\n')
    try:
        other.ok("up", "-d")
        lite = lite_engine()
        assert lite is not None
        stream = lite.events(labels.selector(running.name))
        seen: list = []
        ended = threading.Event()

        def read() -> None:
            for event in stream:
                seen.append(event)
            ended.set()

        threading.Thread(target=read, daemon=True).start()
        (theirs,) = docker_client.containers.list(filters={"label": labels.selector(other.name)})
        (ours,) = docker_client.containers.list(filters={"label": labels.selector(running.name)})
        theirs.restart(timeout=0)  # another project's: never delivered
        ours.restart(timeout=0)
        deadline = time.monotonic() + 60
        while not any(e.action == "start" for e in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        stream.close()
        assert ended.wait(10), "close() did not end the reader"
        actions = [e.action for e in seen]
        assert "die" in actions and "start" in actions, actions
        assert {(e.container, e.service, e.instance) for e in seen} == {(ours.id, "web", "default")}
        assert all(e.time > 0 for e in seen)
    finally:
        remove_project_objects(docker_client, other.name)
