"""`up --dry-run` and `down --dry-run` on the real engine: the plan with its causes, as text and
as JSON, and an engine left exactly as it was (no container, network, volume or image touched)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.registry_helpers import remove_image

pytestmark = pytest.mark.engine

STACK = """
[services.web]
image = "{image}"
command = ["sleep", "100000"]
environment = {{ DATABASE_URL = "{url}", LOG_LEVEL = "info" }}
depends_on = ["db"]

[services.db]
image = "{image}"
command = {db_command}
volumes = ["pgdata:/var/lib/db"]
{extra}
"""
OLD_URL = "postgres://app:first-pw@db/shop"
NEW_URL = "postgres://app:second-pw@db/shop"


def write_stack(
    project, image: str, *, url: str = OLD_URL, db_command: str = '["sleep", "100000"]', extra: str = ""
) -> None:
    project.write(STACK.format(image=image, url=url, db_command=db_command, extra=extra))


def engine_state(client, project) -> dict:
    """Everything the project has on the engine, with what would change if anything were
    stopped, started, recreated or removed."""
    label = {"label": f"dev.devenv.project={project.name}"}
    containers = {}
    for container in client.containers.list(all=True, filters=label):
        attrs = client.api.inspect_container(container.id)
        state = attrs["State"]
        containers[container.id] = (attrs["Name"], state["Status"], state["StartedAt"], attrs["RestartCount"])
    return {
        "containers": containers,
        "networks": sorted((n.id, n.name) for n in client.networks.list(filters=label)),
        "volumes": sorted((v.id, v.attrs["CreatedAt"]) for v in client.volumes.list(filters=label)),
    }


def test_up_dry_run_prints_each_recreate_with_its_cause_and_touches_nothing(
    project, docker_client, busybox_image
) -> None:
    write_stack(project, busybox_image)
    project.ok("up", "-d")
    before = engine_state(docker_client, project)
    assert len(before["containers"]) == 2 and before["networks"] and before["volumes"]
    write_stack(
        project,
        busybox_image,
        url=NEW_URL,
        db_command='["sh", "-c", "exec sleep 200000"]',
        extra=f'\n[services.cache]\nimage = "{busybox_image}"\ncommand = ["sleep", "100000"]\n'
        'volumes = ["cachedata:/data"]\n',
    )

    planned = project.ok("up", "--dry-run")
    lines = planned.out.splitlines()
    assert "recreate web: env changed (DATABASE_URL)" in lines, planned
    assert "recreate db: command changed" in lines, planned
    assert "create cache: not created yet" in lines, planned
    assert f"create volume {project.name}-default-cachedata: missing" in lines, planned
    assert f"keep network {project.name}-default: exists" in lines, planned
    assert f"keep volume {project.name}-default-pgdata: exists" in lines, planned
    assert "4 changes" in planned.err and "nothing was changed" in planned.err, planned
    assert "second-pw" not in planned.out + planned.err and "first-pw" not in planned.out + planned.err

    doc = json.loads(project.ok("up", "--dry-run", "--json").out)
    assert doc["schema"] == "devenv.plan/v1" and doc["version"] == 1 and doc["dry_run"] is True
    assert doc["command"] == "up" and doc["project"] == project.name and doc["instance"] == "default"
    web = next(a for a in doc["actions"] if a["object"] == "container" and a["name"] == "web")
    assert web["action"] == "recreate" and web["cause"] == "env changed (DATABASE_URL)"
    assert web["id"] in before["containers"]

    assert engine_state(docker_client, project) == before  # the dry runs changed nothing

    project.ok("up", "-d")  # what the plan said is what `up` does
    after = engine_state(docker_client, project)
    assert len(after["containers"]) == 3 and not set(after["containers"]) & set(before["containers"])
    settled = project.ok("up", "--dry-run")
    assert "nothing to do" in settled.err and "recreate" not in settled.out, settled


def test_up_dry_run_names_the_image_it_would_pull_and_pulls_nothing(
    project, docker_client, busybox_image, registry
) -> None:
    """A tag the registry has and the engine does not: the plan asks the registry for its digest
    (a read) and says it would pull; the image is still absent afterwards."""
    repository, tag = f"{registry}/dry-run-{uuid.uuid4().hex[:8]}", "v1"
    image = docker_client.images.get(busybox_image)
    image.tag(repository, tag)
    for line in docker_client.images.push(repository, tag=tag, stream=True, decode=True):
        assert "error" not in line, line
    docker_client.images.remove(f"{repository}:{tag}")  # only the tag: busybox_image keeps the image
    project.write(f'[services.web]\nimage = "{repository}:{tag}"\ncommand = ["sleep", "100000"]\n')

    planned = project.ok("up", "--dry-run")
    pulls = [line for line in planned.out.splitlines() if line.startswith("pull image ")]
    assert len(pulls) == 1 and pulls[0].startswith(f"pull image {repository}:{tag}@sha256:"), planned
    assert pulls[0].endswith(": not on this machine (service web)"), planned
    assert "create web: not created yet" in planned.out.splitlines(), planned
    assert not docker_client.images.list(name=repository)  # nothing pulled
    assert not docker_client.containers.list(
        all=True, filters={"label": f"dev.devenv.project={project.name}"}
    )
    assert not docker_client.networks.list(filters={"label": f"dev.devenv.project={project.name}"})


def test_down_dry_run_lists_what_it_would_remove_and_removes_nothing(
    project, docker_client, busybox_image
) -> None:
    write_stack(project, busybox_image)
    project.ok("up", "-d")
    before = engine_state(docker_client, project)
    network, volume = f"{project.name}-default", f"{project.name}-default-pgdata"

    planned = project.ok("down", "--dry-run")
    lines = planned.out.splitlines()
    assert {
        "remove web: devenv down",
        "remove db: devenv down",
        f"remove network {network}: devenv down",
    } <= set(lines), planned
    assert f"keep volume {volume}: named volumes stay (remove them with --volumes)" in lines, planned
    with_volumes = project.ok("down", "--dry-run", "--volumes")
    assert f"remove volume {volume}: --volumes" in with_volumes.out.splitlines(), with_volumes
    doc = json.loads(project.ok("down", "--dry-run", "--volumes", "--json").out)
    assert doc["schema"] == "devenv.plan/v1" and doc["command"] == "down"
    assert {(a["action"], a["object"]) for a in doc["actions"]} == {
        ("remove", "container"),
        ("remove", "network"),
        ("remove", "volume"),
    }
    assert doc["changes"] == 4

    assert engine_state(docker_client, project) == before  # nothing removed, nothing stopped
    removed = json.loads(project.ok("down", "--json").out)
    assert sorted(removed["containers"]) == sorted(n.lstrip("/") for n, *_ in before["containers"].values())
    assert removed["networks"] == [network] and removed["kept_volumes"] == [volume]


def test_up_dry_run_names_the_build_it_would_run_and_builds_nothing(
    project, docker_client, busybox_image
) -> None:
    (project.root / "Dockerfile").write_text(f'FROM {busybox_image}\nCMD ["sleep", "100000"]\n')
    project.write('[services.web]\nbuild = "."\n')
    planned = project.ok("up", "--dry-run")
    builds = [line for line in planned.out.splitlines() if line.startswith("build image ")]
    assert len(builds) == 1 and builds[0].endswith(": not built yet (service web)"), planned
    assert "create web: not created yet" in planned.out.splitlines(), planned
    assert not docker_client.images.list(
        filters={"label": f"dev.devenv.project={project.name}"}
    )  # nothing built
    try:
        project.ok("up", "-d")
        rebuilt = project.ok("up", "--dry-run", "--build")
        assert any(line.endswith(": --build (service web)") for line in rebuilt.out.splitlines()), rebuilt
    finally:
        project.ok("down")
        for image in docker_client.images.list(filters={"label": f"dev.devenv.project={project.name}"}):
            remove_image(docker_client, image.id)
