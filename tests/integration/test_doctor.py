"""`devenv doctor` on the real engine and registry: a healthy setup is all ✔; each broken piece
(engine, registry, data path, port) is a ✘ line with its fix and a non-zero exit code.
The shared engine is never stopped: a dead engine is a DOCKER_HOST pointing at a dead socket."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.engine


def healthy_toml(registry: str, data: str, port: int) -> str:
    return f"""
[project]
name = "NAME"
registry = "{registry}"

[services.web]
image = "busybox:test"
command = ["sleep", "100000"]
supervise = false
ports = ["{port}:8080"]
data = [{{ source = "{data}", target = "/data" }}]
"""


@pytest.fixture
def healthy(project, registry, busybox_image, tmp_path, docker_client):
    data = tmp_path / "disk"
    data.mkdir()
    project.write(healthy_toml(registry, str(data), free_port()).replace("NAME", project.name))
    project.ok("trust")  # the data disk is outside the project: a grant
    project.engine_kind = docker_client.devenv_kind
    project.registry = registry
    return project


def checks(result) -> dict[str, dict]:
    doc = json.loads(result.out)
    assert doc["schema"] == "devenv.doctor/v1"
    return {c["id"]: c for c in doc["checks"]}


def line_of(result, title: str) -> list[str]:
    """The report line starting with a mark and `title`, and its fix line if any."""
    lines = result.out.splitlines()
    for i, line in enumerate(lines):
        if line[2:].startswith(title + " "):
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return [line, following if following.startswith("fix:") else ""]
    raise AssertionError(f"no line for {title}:\n{result.out}")


@pytest.mark.podman
def test_healthy_setup_is_all_ticks(healthy) -> None:
    result = healthy.run("doctor")
    assert result.code == 0, str(result)
    lines = result.out.splitlines()
    assert lines and all(line.startswith("✔ ") for line in lines), result.out
    titles = [line[2:].split()[0] for line in lines]
    for title in (
        "devenv.toml",
        "trust",
        "grant",
        "engine",
        "socket",
        "disk",
        "clock",
        "registry",
        "image",
        "data",
        "port",
        "inotify",
    ):
        assert title in titles, result.out
    assert "ready for `devenv up`" in result.err
    report = checks(healthy.ok("doctor", "--json"))
    assert all(c["status"] == "ok" for c in report.values()), report
    kind = healthy.engine_kind
    assert report["engine"]["detail"].startswith(f"{kind.name} {kind.version} (API {kind.api_version}, root")
    assert report["registry-http:" + healthy.registry]["status"] == "ok"  # the engine pulls over HTTP too
    if kind.podman:  # Podman's init is a package of its own
        assert report["init"]["detail"].startswith("catatonit at ")


def test_engine_stopped(healthy, tmp_path) -> None:
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as sock:  # a socket file nobody listens on: connection refused
        sock.bind(str(dead))
    result = healthy.run("doctor", DOCKER_HOST=f"unix://{dead}")
    assert result.code == 3, str(result)
    line, fix = line_of(result, "engine")
    assert line.startswith("✘ ") and f"cannot reach the Docker engine at unix://{dead}" in line
    assert "start it" in fix and "DOCKER_HOST" in fix
    assert line_of(result, "disk")[0].startswith("- ")  # cannot be checked without the engine
    assert line_of(result, "devenv.toml")[0].startswith("✔ ")  # the checks needing no engine still run
    assert "Traceback" not in result.err


def test_registry_stopped(project, tmp_path) -> None:
    port = free_port()  # nothing listens there
    data = tmp_path / "disk"
    data.mkdir()
    toml = healthy_toml(f"127.0.0.1:{port}", str(data), free_port()).replace("NAME", project.name)
    project.write(toml)
    result = project.run("doctor")
    assert result.code == 4, str(result)
    line, fix = line_of(result, "registry")
    assert line.startswith("✘ ") and f"registry 127.0.0.1:{port} is unreachable" in line
    assert "[project] registry" in fix
    image, image_fix = line_of(result, "image web")
    assert image.startswith("✘ ") and "not on the engine" in image and image_fix
    report = checks(project.run("doctor", "--json"))
    assert report[f"registry:127.0.0.1:{port}"]["status"] == "fail"
    assert report[f"registry:127.0.0.1:{port}"]["exit_code"] == 4


def test_missing_data_path(project, registry, busybox_image, tmp_path) -> None:
    toml = healthy_toml(registry, str(tmp_path / "unplugged-disk"), free_port()).replace("NAME", project.name)
    project.write(toml)
    result = project.run("doctor")
    assert result.code == 1, str(result)
    line, fix = line_of(result, "devenv.toml")
    assert line.startswith("✘ ") and "services.web.data[0].source" in line and "unplugged-disk" in line
    assert "mount the disk or create the folder" in fix
    # the checks that need no project still ran
    assert line_of(result, "engine")[0].startswith("✔ ")
    assert line_of(result, "inotify")[0].startswith("✔ ")


def test_taken_port(project, registry, busybox_image) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        project.write(f"""
[project]
name = "{project.name}"
registry = "{registry}"

[services.strict]
image = "busybox:test"
ports = [{{ container = 80, host = {port}, strict = true }}]
""")
        result = project.run("doctor")
        assert result.code == 1, str(result)
        line, fix = line_of(result, f"port {port}")
        assert line.startswith("✘ ") and "taken" in line and "strict" in line
        assert f"sport = :{port}" in fix and "services.strict.ports" in fix
        # a non-strict port only warns: `up` takes the next free one
        project.write(f"""
[project]
name = "{project.name}"
registry = "{registry}"

[services.loose]
image = "busybox:test"
ports = ["{port}:80"]
""")
        result = project.run("doctor")
        assert result.code == 0, str(result)
        line, fix = line_of(result, f"port {port}")
        assert line.startswith("! ") and "next free port" in line and fix


def test_port_published_by_the_project_itself_is_fine(healthy) -> None:
    healthy.ok("up", "-d")
    try:
        report = checks(healthy.ok("doctor", "--json"))
        (port_check,) = [c for c in report.values() if c["id"].startswith("port:")]
        assert port_check["status"] == "ok" and f"{healthy.name} (default) web" in port_check["detail"]
    finally:
        healthy.ok("down")


def test_quiet_shows_only_problems(project, registry, tmp_path) -> None:
    project.write(f'[project]\nname = "{project.name}"\n[services.web]\nimage = "{registry}/busybox:test"\n')
    result = project.run("-q", "doctor", DOCKER_HOST=f"unix://{tmp_path}/none.sock")
    assert result.code == 3
    assert [line[:1] for line in result.out.splitlines() if not line.startswith(" ")] == ["✘"]
