"""The standard-image catalog: built offline from the busybox base out of a clean `git archive`,
labelled with the commit, pushed, listed; a dirty tree refuses to build."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.registry_helpers import remove_image

pytestmark = pytest.mark.engine
CATALOG = Path(__file__).resolve().parents[2] / "images"
# Detached CI checkouts name the branch in env vars; pin what this test sees.
GIT_ENV = {
    "GITHUB_REF_TYPE": "",
    "CI_COMMIT_BRANCH": "",
    "DEVENV_DEFAULT_BRANCH": "main",
    "CI_DEFAULT_BRANCH": "",
}


def git(root: Path, *args: str) -> str:
    cmd = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(project, registry, busybox_image, docker_client) -> Iterator:
    shutil.copytree(CATALOG, project.root / "images")
    # (the loader wants at least one service; the catalog itself needs none)
    project.write(f'registry = "{registry}/{project.name}"\n\n[services.app]\nimage = "base:main"\n')
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", ".")
    git(project.root, "commit", "-q", "-m", "catalog")
    project.build_arg = f"BASE_IMAGE={busybox_image}"
    yield project
    for image in docker_client.images.list(filters={"label": "dev.devenv.catalog"}):
        if any(tag.startswith(f"{registry}/{project.name}/") for tag in image.tags):
            remove_image(docker_client, image.id)


def test_catalog_builds_offline_with_commit_labels_and_user_basics(repo, registry, docker_client) -> None:
    sha = git(repo.root, "rev-parse", "HEAD")
    result = repo.ok("images", "build", "--build-arg", repo.build_arg, "--json", **GIT_ENV)
    built = {item["name"]: item for item in json.loads(result.out)["images"]}
    assert sorted(built) == ["base", "node", "python"]
    for name, item in built.items():
        repository = f"{registry}/{repo.name}/{name}"
        assert item["references"] == [
            f"{repository}:main",
            f"{repository}:{sha[:12]}",
            f"{repository}:latest",
        ]
        labels = docker_client.api.inspect_image(f"{repository}:{sha[:12]}")["Config"]["Labels"]
        assert labels["org.opencontainers.image.revision"] == sha
        assert labels["org.opencontainers.image.title"] == name
        assert labels["org.opencontainers.image.created"].endswith("Z")
        # passwd/group entries, a /tmp any user can write, and /bin/sh — as an unprivileged user.
        out = docker_client.containers.run(
            item["id"],
            [
                "/bin/sh",
                "-c",
                "grep -q '^root:' /etc/passwd && grep -q '^nogroup:' /etc/group && touch /tmp/ok && echo ok",
            ],
            user="65534:65534",
            remove=True,
        )
        assert out.strip() == b"ok"


def test_push_then_list_shows_registry_tags_digest_and_last_build(repo) -> None:
    repo.ok("images", "build", "base", "--build-arg", repo.build_arg, **GIT_ENV)
    pushed = json.loads(repo.ok("images", "push", "base", "--json", **GIT_ENV).out)["images"]
    assert len(pushed) == 3 and all(p["digest"].startswith("sha256:") for p in pushed)
    sha12 = git(repo.root, "rev-parse", "HEAD")[:12]
    listing = {e["name"]: e for e in json.loads(repo.ok("images", "list", "--json", **GIT_ENV).out)["images"]}
    assert listing["base"]["tags"] == sorted([sha12, "latest", "main"])
    assert listing["base"]["digest"] == pushed[0]["digest"]
    assert listing["base"]["last_build"]
    assert listing["node"]["tags"] == [] and listing["node"]["digest"] is None  # built nowhere yet


def test_a_dirty_image_folder_refuses_to_build(repo, registry) -> None:
    dockerfile = repo.root / "images" / "base" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "LABEL local=1\n")
    result = repo.run("images", "build", "base", "--build-arg", repo.build_arg, **GIT_ENV)
    assert result.code == 1, str(result)
    assert "images/base has uncommitted changes (images/base/Dockerfile)" in result.err
    assert "--allow-dirty" in result.err

    sha12 = git(repo.root, "rev-parse", "HEAD")[:12]
    dirty = repo.ok(
        "images", "build", "base", "--allow-dirty", "--build-arg", repo.build_arg, "--json", **GIT_ENV
    )
    [item] = json.loads(dirty.out)["images"]
    repository = f"{registry}/{repo.name}/base"
    assert item["references"] == [f"{repository}:main-dirty", f"{repository}:{sha12}-dirty"]  # never latest
    assert item["labels"]["org.opencontainers.image.revision"].endswith("-dirty")


def test_other_folders_being_dirty_do_not_block_a_build(repo) -> None:
    (repo.root / "notes.txt").write_text("work in progress\n")
    repo.ok("images", "build", "base", "--build-arg", repo.build_arg, **GIT_ENV)
