"""Nothing of an instance outlives it: an image's `VOLUME` that no named volume covers gets an
anonymous volume from the engine, which devenv removes with the container (down, recreate,
`devenv test`) — named volumes stay as they were; the instance's lock file in the state folder
goes with `down` and with a `devenv test` teardown."""

from __future__ import annotations

import io
import json
import sys
import textwrap
import uuid

import pytest

from tests.conftest import busybox_context

pytestmark = [pytest.mark.engine, pytest.mark.podman]


@pytest.fixture(scope="module")
def volume_image(docker_client) -> str:
    tag = f"devenv-test-volume:{uuid.uuid4().hex[:8]}"
    dockerfile = textwrap.dedent(
        """\
        FROM scratch
        COPY busybox /bin/busybox
        COPY passwd /etc/passwd
        COPY group /etc/group
        RUN ["/bin/busybox", "--install", "-s", "/bin"]
        RUN mkdir -p /tmp /cache /data && chmod 1777 /tmp
        VOLUME /cache
        CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
        """
    )
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context(dockerfile=dockerfile)), custom_context=True, tag=tag, rm=True
    )
    yield tag
    docker_client.images.remove(tag, force=True)


def _anonymous(docker_client, project_name: str) -> set[str]:
    """The anonymous volumes of the project's containers now (the image's /cache)."""
    found = set()
    for container in docker_client.containers.list(all=True, filters={"label": f"dev.devenv.project={project_name}"}):
        for mount in container.attrs["Mounts"]:
            if mount["Type"] == "volume" and mount["Destination"] == "/cache":
                found.add(mount["Name"])
    return found


def _existing(docker_client, names: set[str]) -> set[str]:
    return {v.name for v in docker_client.volumes.list()} & names


def _lock_files(project) -> list[str]:
    folder = project.state_dir / "locks"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _write(project, image: str, marker: str) -> None:
    project.write(
        f"""
        [services.app]
        image = "{image}"
        environment = {{ MARKER = "{marker}" }}
        volumes = ["data:/data"]
        stop_timeout = "2s"
        """
    )


def test_down_and_recreate_remove_the_anonymous_volume_and_keep_the_named_one(
    project, docker_client, volume_image
) -> None:
    _write(project, volume_image, "one")
    project.ok("up", "-d")
    assert len(_lock_files(project)) == 1
    first = _anonymous(docker_client, project.name)
    assert len(first) == 1 and _existing(docker_client, first) == first

    _write(project, volume_image, "two")  # a config change: the container is recreated
    project.ok("up", "-d")
    second = _anonymous(docker_client, project.name)
    assert len(second) == 1 and second != first
    assert _existing(docker_client, first) == set(), "recreate left the old anonymous volume behind"

    project.ok("down")
    assert _existing(docker_client, second) == set(), "down left the anonymous volume behind"
    named = f"{project.name}-default-data"
    assert named in {v.name for v in docker_client.volumes.list()}, "down removed a named volume"

    project.ok("up", "-d")
    third = _anonymous(docker_client, project.name)
    project.ok("down", "--volumes")
    assert _existing(docker_client, third | {named}) == set()
    assert _lock_files(project) == [], "down left the instance's lock file in the state folder"


def test_devenv_test_leaves_no_anonymous_volume(project, docker_client, volume_image, tmp_path) -> None:
    _write(project, volume_image, "one")
    seen = tmp_path / "seen.json"
    # The test command itself notes the anonymous volumes of the stack it runs against.
    script = (
        "import docker, json, sys; c = docker.from_env(); "
        f"names = [m['Name'] for x in c.containers.list(filters={{'label': 'dev.devenv.project={project.name}'}}) "
        "for m in x.attrs['Mounts'] if m['Destination'] == '/cache']; "
        f"open({str(seen)!r}, 'w').write(json.dumps(names))"
    )
    project.ok("test", "--", sys.executable, "-c", script)
    names = set(json.loads(seen.read_text()))
    assert len(names) == 1
    assert _existing(docker_client, names) == set(), "devenv test left the anonymous volume behind"
    assert _lock_files(project) == [], "devenv test left its instance's lock file behind"
