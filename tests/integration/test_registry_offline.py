"""A registry that goes away: cached images keep working (with a warning), absent ones fail clearly."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest

from devenv.registry.pull import ensure_image
from devenv.registry.reference import resolve_image
from tests.integration.registry_helpers import PrivateRegistry, push, registry_addr, remove_image

pytestmark = pytest.mark.engine


@pytest.fixture
def reg(tmp_path, docker_client) -> Iterator[PrivateRegistry]:
    registry = PrivateRegistry(registry_addr(docker_client), tmp_path).start()
    yield registry
    registry.stop()


@pytest.fixture
def image(docker_client, busybox_image) -> Iterator[str]:
    dockerfile = f"FROM {busybox_image}\nRUN echo {uuid.uuid4().hex} > /id\n"
    built, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True, forcerm=True)
    yield built.id
    remove_image(docker_client, built.id)


def test_registry_down_with_the_image_cached_works_offline_with_a_warning(
    project, reg, engine, docker_client, image, tmp_path
) -> None:
    repo = f"off-{project.name}"
    digest = push(docker_client, image, f"{reg.addr}/{repo}:1", None)
    project.write(f'registry = "{reg.addr}"\n\n[services.app]\nimage = "{repo}:1"\n')
    project.ok("pull")  # unlocked: resolved through the registry, tag present
    reg.stop()

    result = project.ok("pull", "--json")  # unlocked: asks the registry, falls back to the cache
    [row] = json.loads(result.out)["images"]
    assert row["state"] == "offline"
    assert f"warning: registry {reg.addr} is unreachable" in result.err
    assert "using the local copy" in result.err
    assert len([line for line in result.err.splitlines() if line.startswith("warning:")]) == 1

    # Locked and present: `up`'s default policy touches no network at all.
    ref = resolve_image(f"{repo}:1", reg.addr, environ={})
    quiet = ensure_image(engine, ref, locked_digest=digest, policy="missing")
    assert (quiet.run_ref, quiet.warning) == (f"{reg.addr}/{repo}@{digest}", None)
    # `--pull always` asks the registry first, then runs the cached digest with a warning.
    loud = ensure_image(engine, ref, locked_digest=digest, policy="always")
    assert loud.run_ref == f"{reg.addr}/{repo}@{digest}"
    assert loud.warning.startswith(f"registry {reg.addr} is unreachable")


def test_registry_down_with_the_image_absent_is_a_clear_error(project, reg, docker_client, image) -> None:
    repo = f"gone-{project.name}"
    push(docker_client, image, f"{reg.addr}/{repo}:1", None)
    project.write(f'registry = "{reg.addr}"\n\n[services.app]\nimage = "{repo}:1"\n')
    project.ok("lock")
    remove_image(docker_client, image)
    reg.stop()

    result = project.run("pull")
    assert result.code == 4, str(result)
    assert f"error: registry {reg.addr} is unreachable" in result.err
    assert f"{reg.addr}/{repo}:1@sha256:" in result.err
    assert "is not on this machine" in result.err


@pytest.mark.podman
def test_an_unlocked_image_keeps_its_container_when_the_registry_goes_away(project, reg, docker_client, image) -> None:
    """Podman lists only the digest it built an image as, not the one it pushed it as, so the
    first `up` asks the registry. With the registry gone, the next `up` must record the same
    digest, or it would recreate the container of an image that did not change."""
    repo = f"keep-{project.name}"
    push(docker_client, image, f"{reg.addr}/{repo}:1", None)
    project.write(
        f'registry = "{reg.addr}"\n\n[services.app]\nimage = "{repo}:1"\n'
        'command = ["sleep", "100000"]\nsupervise = false\n'
    )
    try:
        project.ok("up", "-d")
        before = json.loads(project.ok("status", "--json").out)["services"][0]
        reg.stop()
        again = project.ok("up", "-d")
        assert "up to date" in again.err, str(again)
        after = json.loads(project.ok("status", "--json").out)["services"][0]
        assert (after["container"], after["digest"]) == (before["container"], before["digest"])
    finally:
        project.run("down")
        remove_image(docker_client, f"{reg.addr}/{repo}:1")
