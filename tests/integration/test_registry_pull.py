"""lock / pull / lock --check / login against a real `docker-registry` on 127.0.0.1, once without
and once with htpasswd auth."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devenv.registry.auth import store_credentials
from devenv.registry.pull import ensure_image
from devenv.registry.reference import resolve_image
from tests.conftest import free_port
from tests.integration.registry_helpers import PrivateRegistry, push, remove_image

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module", params=["open", "htpasswd"])
def reg(request, tmp_path_factory) -> Iterator[PrivateRegistry]:
    root = tmp_path_factory.mktemp(f"registry-{request.param}")
    user, password = ("ann", "s3cret") if request.param == "htpasswd" else (None, None)
    registry = PrivateRegistry(f"127.0.0.1:{free_port()}", root, user, password).start()
    yield registry
    registry.stop()


@pytest.fixture
def unique_image(docker_client, busybox_image) -> Iterator:
    """Build an image only this test references (so removing it really removes it)."""
    made: list[str] = []

    def build() -> str:
        dockerfile = f"FROM {busybox_image}\nRUN echo {uuid.uuid4().hex} > /id\n"
        image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True, forcerm=True)
        made.append(image.id)
        return image.id

    yield build
    for image_id in made:
        remove_image(docker_client, image_id)


@pytest.fixture
def docker_config(tmp_path: Path, reg: PrivateRegistry) -> dict[str, str]:
    """A private DOCKER_CONFIG holding the right credentials for the auth variant."""
    env = {"DOCKER_CONFIG": str(tmp_path / "docker")}
    if reg.user:
        store_credentials(reg.addr, reg.user, reg.password, env)
    return env


def write_project(project, reg: PrivateRegistry, repo: str) -> None:
    project.write(
        f'registry = "{reg.addr}"\n\n[services.app]\nimage = "{repo}:1"\ncommand = ["sleep", "1"]\n'
    )


def test_lock_then_pull_brings_a_removed_image_back_by_digest(
    project, reg, docker_client, unique_image, docker_config
) -> None:
    repo = f"app-{project.name}"
    image_id = unique_image()
    digest = push(docker_client, image_id, f"{reg.addr}/{repo}:1", reg.auth_config)
    write_project(project, reg, repo)

    project.ok("lock", **docker_config)
    lock_text = (project.root / "devenv.lock").read_text()
    assert f'digest = "{digest}"' in lock_text
    assert f'reference = "{reg.addr}/{repo}:1"' in lock_text

    remove_image(docker_client, image_id)
    result = project.ok("pull", "--json", **docker_config)
    [row] = json.loads(result.out)["images"]
    assert (row["state"], row["digest"], row["locked"]) == ("pulled", digest, True)
    assert docker_client.api.inspect_image(f"{reg.addr}/{repo}@{digest}")["Id"] == image_id

    again = project.ok("pull", "--json", **docker_config)  # locked and present: a no-op
    assert json.loads(again.out)["images"][0]["state"] == "present"


def test_a_moved_tag_fails_lock_check_and_the_locked_digest_still_runs(
    project, reg, engine, docker_client, unique_image, docker_config, monkeypatch
) -> None:
    repo = f"moving-{project.name}"
    first = unique_image()
    locked = push(docker_client, first, f"{reg.addr}/{repo}:1", reg.auth_config)
    write_project(project, reg, repo)
    project.ok("lock", **docker_config)
    project.ok("lock", "--check", **docker_config)

    moved = push(docker_client, unique_image(), f"{reg.addr}/{repo}:1", reg.auth_config)
    result = project.run("lock", "--check", **docker_config)
    assert result.code == 6, str(result)
    assert f"app: tag moved from {locked} to {moved}" in result.err
    assert "run `devenv lock`" in result.err

    # What `up` does for the service: the locked digest, pulled again if it went missing.
    monkeypatch.setenv("DOCKER_CONFIG", docker_config["DOCKER_CONFIG"])
    ref = resolve_image(f"{repo}:1", reg.addr, environ={})
    remove_image(docker_client, first)
    ensured = ensure_image(engine, ref, locked_digest=locked)
    assert (ensured.run_ref, ensured.image_id, ensured.pulled) == (f"{reg.addr}/{repo}@{locked}", first, True)


def test_missing_or_wrong_credentials_exit_4_with_the_login_hint(
    project, reg, docker_client, unique_image, tmp_path
):
    if not reg.user:
        pytest.skip("the open registry takes no credentials")
    repo = f"secret-{project.name}"
    push(docker_client, unique_image(), f"{reg.addr}/{repo}:1", reg.auth_config)
    write_project(project, reg, repo)
    wrong = {"DOCKER_CONFIG": str(tmp_path / "wrong")}
    store_credentials(reg.addr, reg.user, "not-the-password", wrong)
    for env in (wrong, {"DOCKER_CONFIG": str(tmp_path / "none")}):
        result = project.run("pull", **env)
        assert result.code == 4, str(result)
        assert f"hint: run `devenv login {reg.addr}`" in result.err

    bad = project.run("login", reg.addr, "-u", reg.user, "--password-stdin", input="nope\n", **wrong)
    assert bad.code == 4, str(bad)
    assert f"registry {reg.addr} rejected the username or password for '{reg.user}'" in bad.err
    project.ok("login", reg.addr, "-u", reg.user, "--password-stdin", input=f"{reg.password}\n", **wrong)
    project.ok("pull", **wrong)
    assert reg.addr in (tmp_path / "wrong" / "config.json").read_text()
    assert not list(project.root.glob("**/config.json"))  # never stored in the project
