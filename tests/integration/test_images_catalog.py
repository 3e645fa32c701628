"""The standard-image catalog on the real engine and registry, with a small busybox catalog
(tests/fixtures/catalog): built from a clean `git archive`, parents first, each image named by
its inputs so what the registry holds is never built again; labelled, pushed, listed; a dirty
tree refuses to build. The real catalog (Debian, Python, PostgreSQL) is built and used by
test_real_catalog.py and the shop tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import harness_run_options
from tests.integration.registry_helpers import remove_catalog_images

pytestmark = pytest.mark.engine
CATALOG = Path(__file__).resolve().parents[1] / "fixtures" / "catalog" / "images"
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


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(project, registry, busybox_image, docker_client) -> Iterator:
    shutil.copytree(CATALOG, project.root / "images")
    # (the loader wants at least one service; the catalog itself needs none)
    project.write(
        f'registry = "{registry}/{project.name}"\n\n'
        f'[images.base]\nfrom = "{busybox_image}"\n\n'
        '[images.tool]\nbuild_args = { FLAVOUR = "spicy" }\n\n'
        '[services.app]\nimage = "base:main"\n'
    )
    git(project.root, "init", "-q", "-b", "main")
    commit(project.root, "catalog")
    yield project
    remove_catalog_images(docker_client, registry, project.name)


def built(result) -> dict:
    return {item["name"]: item for item in json.loads(result.out)["images"]}


def test_parents_build_first_and_children_on_the_fresh_build(repo, registry, docker_client) -> None:
    sha = git(repo.root, "rev-parse", "HEAD")
    items = built(repo.ok("images", "build", "--json", **GIT_ENV))
    assert list(items) == ["base", "solo", "tool"]  # base before tool; the rest by name
    assert {i["status"] for i in items.values()} == {"built"}
    for name, item in items.items():
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
        assert labels["dev.devenv.catalog.inputs"] == item["content_tag"].removeprefix("src-")
    # base is pinned by digest; tool starts from the base just built, with its own build arg.
    assert items["base"]["base"].startswith(f"{registry}/busybox@sha256:")
    assert items["tool"]["base"] == f"{registry}/{repo.name}/base:{items['base']['content_tag']}"
    assert items["solo"]["base"] is None
    out = docker_client.containers.run(
        items["tool"]["id"], ["cat", "/etc/catalog-tool"], remove=True, **harness_run_options(docker_client)
    )
    assert out.strip() == b"spicy"


def test_inputs_already_built_are_not_built_again(repo, registry) -> None:
    first = built(repo.ok("images", "build", "--push", "--json", **GIT_ENV))
    # Same inputs, new commit elsewhere: nothing builds; the registry only gains the new tags.
    (repo.root / "README.md").write_text("notes\n")
    sha2 = commit(repo.root, "docs only")
    again = repo.ok("images", "build", "--push", "--json", **GIT_ENV)
    second = built(again)
    assert {i["status"] for i in second.values()} == {"registry"}
    assert {n: i["content_tag"] for n, i in second.items()} == {n: i["content_tag"] for n, i in first.items()}
    listing = {e["name"]: e for e in json.loads(repo.ok("images", "list", "--json", **GIT_ENV).out)["images"]}
    assert sha2[:12] in listing["tool"]["tags"] and not any(
        t.startswith("src-") for t in listing["tool"]["tags"]
    )
    pushed = {p["reference"]: p["digest"] for p in json.loads(again.out)["pushed"]}
    assert pushed[f"{registry}/{repo.name}/tool:{sha2[:12]}"] == listing["tool"]["digest"]

    # A change to base rebuilds base and what is built on it; solo stays.
    dockerfile = repo.root / "images" / "base" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "LABEL changed=1\n")
    commit(repo.root, "base changes")
    third = built(repo.ok("images", "build", "--json", **GIT_ENV))
    assert {n: i["status"] for n, i in third.items()} == {
        "base": "built",
        "tool": "built",
        "solo": "registry",
    }
    assert third["tool"]["content_tag"] != first["tool"]["content_tag"]
    # Built but not pushed: the engine holds it, so the next build reuses it.
    fourth = built(repo.ok("images", "build", "base", "--json", **GIT_ENV))
    assert fourth["base"]["status"] == "local"
    forced = built(repo.ok("images", "build", "base", "--force", "--json", **GIT_ENV))
    assert forced["base"]["status"] == "built"


def test_selecting_an_image_plans_what_it_is_built_on(repo) -> None:
    items = built(repo.ok("images", "build", "tool", "--json", **GIT_ENV))
    assert list(items) == ["base", "tool"]


@pytest.mark.podman
def test_push_then_list_shows_registry_tags_digest_and_last_build(repo) -> None:
    repo.ok("images", "build", "base", **GIT_ENV)
    pushed = json.loads(repo.ok("images", "push", "base", "--json", **GIT_ENV).out)["images"]
    assert len(pushed) == 4 and all(p["digest"].startswith("sha256:") for p in pushed)  # 3 tags + content tag
    sha12 = git(repo.root, "rev-parse", "HEAD")[:12]
    listing = {e["name"]: e for e in json.loads(repo.ok("images", "list", "--json", **GIT_ENV).out)["images"]}
    assert listing["base"]["tags"] == sorted([sha12, "latest", "main"])
    assert listing["base"]["digest"] == pushed[0]["digest"]
    assert listing["base"]["last_build"]
    assert listing["solo"]["tags"] == [] and listing["solo"]["digest"] is None  # built nowhere yet


def test_push_of_something_never_built_says_so(repo) -> None:
    result = repo.run("images", "push", "solo", **GIT_ENV)
    assert result.code == 1, str(result)
    assert "solo:src-" in result.err and "is not built" in result.err and "devenv images build" in result.err


def test_a_dirty_image_folder_refuses_to_build(repo, registry) -> None:
    dockerfile = repo.root / "images" / "base" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "LABEL local=1\n")
    result = repo.run("images", "build", "base", **GIT_ENV)
    assert result.code == 1, str(result)
    assert "images/base has uncommitted changes (images/base/Dockerfile)" in result.err
    assert "--allow-dirty" in result.err

    sha12 = git(repo.root, "rev-parse", "HEAD")[:12]
    dirty = built(repo.ok("images", "build", "tool", "--allow-dirty", "--json", **GIT_ENV))
    repository = f"{registry}/{repo.name}/base"
    assert dirty["base"]["references"] == [
        f"{repository}:main-dirty",
        f"{repository}:{sha12}-dirty",
    ]  # never latest
    assert dirty["base"]["labels"]["org.opencontainers.image.revision"].endswith("-dirty")
    assert dirty["base"]["content_tag"] is None
    # What is built on a dirty image is not named by inputs either, and starts from that build.
    assert dirty["tool"]["content_tag"] is None
    assert dirty["tool"]["base"] == f"{repository}:{sha12}-dirty"


def test_other_folders_being_dirty_do_not_block_a_build(repo) -> None:
    (repo.root / "notes.txt").write_text("work in progress\n")
    repo.ok("images", "build", "base", **GIT_ENV)


def test_catalog_declarations_that_cannot_work_are_refused(repo, busybox_image) -> None:
    toml = repo.root / "devenv.toml"
    original = toml.read_text()
    toml.write_text(original + '\n[images.ghost]\nfrom = "base"\n')
    result = repo.run("images", "build", **GIT_ENV)
    assert result.code == 1 and "[images.ghost]: images/ghost/Dockerfile does not exist" in result.err, str(
        result
    )

    toml.write_text(original + '\n[images.solo]\nfrom = "base"\n')
    result = repo.run("images", "build", "solo", **GIT_ENV)
    assert result.code == 1, str(result)
    assert "images/solo/Dockerfile: no FROM line starts from ${BASE_IMAGE}" in result.err
    assert "ARG BASE_IMAGE" in result.err

    toml.write_text(original.replace(f'from = "{busybox_image}"', 'from = "tool"'))
    result = repo.run("images", "build", **GIT_ENV)
    assert result.code == 1 and "in a cycle: base → tool → base" in result.err, str(result)

    toml.write_text(original.replace(f'from = "{busybox_image}"', 'from = "nothing/here:1"'))
    result = repo.run("images", "build", "base", **GIT_ENV)
    assert result.code == 4, str(result)
    assert "base image" in result.err and "nothing/here:1" in result.err and "cannot be pinned" in result.err
