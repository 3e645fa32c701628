"""What differs between Docker and Podman's Docker-compatible service, proved on the engine the
run is on. CI runs this file on Docker (the main suite) and on Podman (`-m podman`); each test
fails on Podman 4.3 without the fix it names (docs/engines.md lists them)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from devenv.engine.errors import EngineRefused
from devenv.engine.host import engine_host
from devenv.engine.podman import engine_ulimits
from devenv.engine.records import ContainerSpec, Mount

pytestmark = [pytest.mark.engine, pytest.mark.podman]


def volume_project(project, image: str, name: str) -> None:
    project.write(f"""
[project]
name = "{name}"

[services.db]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
volumes = ["data:/data"]
""")


def volume_names(client, project_name: str) -> set[str]:
    return {v.name for v in client.volumes.list(filters={"label": f"dev.devenv.project={project_name}"})}


def test_down_volumes_removes_its_own_instance_s_volumes_and_nothing_else(
    project, busybox_image, docker_client, tmp_path
) -> None:
    """Podman before 4.7 ORs several volume label filters: asked for (project a, instance
    default) it also lists every other project's `default` volumes and a's other instances' —
    and `down --volumes` removed those not in use (another project's stack that is down keeps
    its data in exactly such a volume). The client-side label check keeps every other volume."""
    from tests.conftest import DevenvProject, remove_project_objects

    other_root = tmp_path / "other"
    other_root.mkdir()
    other = DevenvProject(other_root, tmp_path / "other-state")
    volume_project(project, busybox_image, project.name)
    volume_project(other, busybox_image, other.name)
    try:
        project.ok("up", "-d")
        project.ok("up", "-d", "--instance", "t2")
        other.ok("up", "-d")
        other.ok("exec", "db", "--", "sh", "-c", "echo precious > /data/file")
        other.ok("down")  # its volume stays, holding the data, in use by nothing
        gone = project.ok("down", "--volumes")
        assert f"{project.name}-default-data volume removed" in gone.err
        assert other.name not in gone.err and f"{project.name}-t2" not in gone.err
        assert volume_names(docker_client, project.name) == {f"{project.name}-t2-data"}
        assert volume_names(docker_client, other.name) == {f"{other.name}-default-data"}
        other.ok("up", "-d")
        assert other.ok("exec", "db", "--", "cat", "/data/file").out == "precious\n"
        project.ok("down", "--instance", "t2", "--volumes")
        assert volume_names(docker_client, project.name) == set()
        assert volume_names(docker_client, other.name) == {f"{other.name}-default-data"}
    finally:
        remove_project_objects(docker_client, other.name)


def test_a_health_check_with_spaces_in_an_argument_runs_and_status_shows_its_health(
    project, busybox_image, docker_client
) -> None:
    """Podman 4 splits a CMD test's arguments again on whitespace (the check would never pass),
    runs no checks at all without systemd, and lists no health: devenv sends a CMD-SHELL line,
    runs the checks while it waits, and inspects for the health it shows."""
    project.write(f"""
[services.web]
image = "{busybox_image}"
command = ["sh", "-c", "touch /tmp/ready; exec sleep 100000"]
supervise = false
health = {{ cmd = ["sh", "-c", "test -f /tmp/ready && test -d /tmp"], interval = "200ms", retries = 50 }}
""")
    project.ok("up", "-d")
    web = json.loads(project.ok("status", "--json").out)["services"][0]
    assert (web["state"], web["health"]) == ("running", "healthy")
    test = docker_client.api.inspect_container(web["container"])["Config"]["Healthcheck"]["Test"]
    if docker_client.devenv_kind.podman:
        assert test == ["CMD-SHELL", "sh -c 'test -f /tmp/ready && test -d /tmp'"]
    else:
        assert test == ["CMD", "sh", "-c", "test -f /tmp/ready && test -d /tmp"]
    again = project.ok("up", "-d")
    assert "up to date" in again.err  # the health shown and the config hash agree on both engines


def test_containers_start_with_limits_the_engine_may_grant(project, busybox_image, docker_client) -> None:
    """Rootful Podman asks for RLIMIT_NOFILE 1048576 unless told otherwise; an engine without
    CAP_SYS_RESOURCE (this CI sandbox) then fails every start ("error setting rlimit type 7").
    devenv asks for the engine's own limits there; elsewhere it sends none."""
    project.write(f"""
[services.app]
image = "{busybox_image}"
command = ["sleep", "100000"]
""")
    project.ok("up", "-d")
    inside = project.ok("exec", "app", "--", "sh", "-c", "ulimit -Sn; ulimit -Hn").out.split()
    wanted = {u.name: u for u in engine_ulimits(engine_host())} if docker_client.devenv_kind.podman else {}
    if "nofile" in wanted:
        assert inside == [str(wanted["nofile"].soft), str(wanted["nofile"].hard)]
    else:  # the engine's own default, whatever it is: the container started with it
        assert all(v.isdigit() or v == "unlimited" for v in inside) and len(inside) == 2


def test_docker_socket_mounts_the_socket_devenv_talks_to(project, busybox_image) -> None:
    """`docker_socket = true` gives the service the engine devenv uses (DOCKER_HOST, a context,
    Podman's socket) — never a path that is not there, which Podman would create as a folder."""
    default = Path("/var/run/docker.sock")
    existed = default.exists()
    project.write(f"""
[services.tool]
image = "{busybox_image}"
command = ["sleep", "100000"]
supervise = false
docker_socket = true
""")
    project.ok("up", "-d", "--trust")  # the engine socket is a grant
    project.ok("exec", "tool", "--", "test", "-S", "/var/run/docker.sock")
    assert default.exists() == existed  # nothing was created on the host


def test_a_missing_bind_source_is_refused_and_never_created(engine, busybox_image, tmp_path) -> None:
    """Docker refuses a bind mount whose source is missing; Podman would make an empty folder
    there (as root). devenv refuses on both before the engine sees the request."""
    missing = tmp_path / "not-there"
    spec = ContainerSpec(
        service="app", name=f"devenv-test-{os.getpid()}-bind", image=busybox_image, image_id=busybox_image,
        image_label=busybox_image, image_digest="", command=("true",), entrypoint=None, environment=(),
        env_hash="", workdir=None, user=None, mounts=(Mount("bind", str(missing), "/data"),), ports=(),
        health=None, read_only=False, privileged=False, stop_timeout_s=1.0,
    )  # fmt: skip
    with pytest.raises(EngineRefused) as refused:
        engine.create_container(spec, network="bridge", port_bindings={})
    assert f"bind mount source {missing} (for /data) does not exist" in refused.value.message
    assert not missing.exists()


def up_lock_up_changes_nothing(project) -> None:
    """`up`, `lock`, `up` again: the second `up` is a no-op (same container, same digest)."""
    project.ok("up", "-d")
    before = json.loads(project.ok("status", "--json").out)["services"][0]
    project.ok("lock")
    after_lock = project.ok("up", "-d")
    assert "up to date" in after_lock.err, str(after_lock)
    after = json.loads(project.ok("status", "--json").out)["services"][0]
    assert after["container"] == before["container"] and after["digest"] == before["digest"]


def test_lock_after_up_recreates_nothing(project, busybox_image) -> None:
    """Podman keeps every digest an image was built or pushed as (busybox:test-podman has two);
    the one devenv records must be the one the registry names, as `lock` will."""
    project.write(f"""
[services.app]
image = "{busybox_image}"
command = ["sleep", "100000"]
supervise = false
""")
    up_lock_up_changes_nothing(project)


def test_an_image_built_and_pushed_just_now_keeps_its_container_after_lock(project, docker_client, registry) -> None:
    """An image new to the engine, built and pushed right before `up`: Podman then lists only the
    digest it built it as, not the one the registry holds (Docker lists the pushed one). `up`
    must record the registry's, so that `lock` changes nothing."""
    import io
    import uuid

    from tests.conftest import busybox_context

    ref = f"{registry}/fresh-{uuid.uuid4().hex[:8]}:1"  # its own repository: others list busybox's tags
    dockerfile = f"FROM scratch\nCOPY busybox /bin/busybox\nLABEL fresh={ref}\n"  # an image no engine has yet
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context(dockerfile=dockerfile)), custom_context=True, tag=ref, rm=True
    )
    for line in docker_client.images.push(ref, stream=True, decode=True):
        assert "error" not in line, line
    project.write(f"""
[services.app]
image = "{ref}"
command = ["/bin/busybox", "sleep", "100000"]
supervise = false
""")
    try:
        up_lock_up_changes_nothing(project)
    finally:
        project.run("down")
        docker_client.images.remove(ref, force=True)
