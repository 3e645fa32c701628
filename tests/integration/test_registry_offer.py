"""What the team registry offers, read through its API: `devenv images list` in a product
repository (no images/ folder) shows the registry's repositories, tags, digests and the commit
each image was built from; a reference whose tag is missing names the tags that exist."""

from __future__ import annotations

import json
import uuid

import pytest

from devenv.errors import RegistryNotFound
from devenv.registry.resolve import client_for
from tests.integration.registry_helpers import push, remove_image

pytestmark = pytest.mark.engine


def test_images_list_in_a_product_repository_shows_the_registry(project, registry, busybox_image) -> None:
    project.write(f'[project]\nname = "{project.name}"\nregistry = "{registry}"\n[services.web]\nimage = "busybox:test"\n')
    assert not (project.root / "images").exists()
    listed = json.loads(project.ok("images", "list", "--json").out)
    assert listed["images"] == [] and listed["registry_error"] is None
    busybox = [o for o in listed["registry"] if o["repository"] == "busybox" and "test" in o["tags"]]
    assert len(busybox) == 1 and busybox[0]["digest"].startswith("sha256:")
    table = project.ok("images", "list").out
    assert f"team registry {registry}" in table and "busybox" in table and "COMMIT" in table


def test_images_list_names_the_commit_a_catalog_image_was_built_from(project, real_catalog) -> None:
    project.write(f'[project]\nname = "{project.name}"\nregistry = "{real_catalog}"\n')
    offered = json.loads(project.ok("images", "list", "--json").out)["registry"]
    postgres = next(o for o in offered if o["repository"] == "postgres" and "latest" in o["tags"])
    assert postgres["revision"] and len(postgres["revision"]) >= 12


def test_a_missing_tag_names_the_tags_that_exist(project, registry, busybox_image, docker_client) -> None:
    """A repository of its own (other tests push tags to busybox): more tags than the message
    shows, and the ones that look like the tag asked for come first."""
    repository = f"offer-{uuid.uuid4().hex[:8]}"
    tags = ["14-alpine", "16-alpine", "latest"] + [f"build-{n:02d}" for n in range(13)]
    for tag in tags:
        push(docker_client, busybox_image, f"{registry}/{repository}:{tag}")
    try:
        with pytest.raises(RegistryNotFound) as caught:
            client_for(registry).manifest_digest(repository, "15-alpine")
        message = caught.value.message
        assert f"{registry}/{repository}: no tag '15-alpine'" in message, message
        assert "its tags: 14-alpine, 16-alpine, latest, build-00" in message and "(16 in all)" in message, message
        assert f"`{repository}:14-alpine`" in (caught.value.hint or "")
    finally:
        for tag in tags:
            remove_image(docker_client, f"{registry}/{repository}:{tag}")
    with pytest.raises(RegistryNotFound) as unknown:
        client_for(registry).manifest_digest("no-such-repository-here", "1")
    assert "has no repository no-such-repository-here" in unknown.value.message
    project.write(
        f'[project]\nname = "{project.name}"\nregistry = "{registry}"\n'
        f'[services.db]\nimage = "{repository}:15-alpine"\n'
    )
    doctor = project.run("doctor")
    assert doctor.code != 0 and "no tag '15-alpine'" in doctor.out + doctor.err
