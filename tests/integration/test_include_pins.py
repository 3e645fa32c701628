"""An included stack runs with the image digests its own devenv.lock pins, on the real engine and
a registry of the test's own: a path include whose lock pins an older digest of a tag that has
since moved runs that digest, not the tag's newest; the including project's `devenv lock`
records it, and its `lock --check` fails once the included stack's lock moves."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DevenvProject
from tests.integration.registry_helpers import push, remove_image

pytestmark = pytest.mark.engine


@pytest.fixture
def marked_image(docker_client, busybox_image) -> Iterator:
    """Build an image holding /id = `mark`, only this test references (removed afterwards)."""
    made: list[str] = []

    def build(mark: str) -> str:
        dockerfile = f"FROM {busybox_image}\nRUN echo {mark} > /id && echo {uuid.uuid4().hex} > /nonce\n"
        image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True, forcerm=True)
        made.append(image.id)
        return str(image.id)

    yield build
    for image_id in made:
        remove_image(docker_client, image_id)


def in_folder(project: DevenvProject, folder: Path) -> DevenvProject:
    """`devenv` in another project folder, with the test's state."""
    other = DevenvProject(folder, project.state_dir)
    other.name = folder.name
    return other


def ran(project: DevenvProject, service: str) -> str:
    return project.ok("exec", service, "--", "cat", "/id").out.strip()


def test_a_path_include_runs_the_digest_its_own_lock_pins_not_the_tags_newest(
    marked_image, project, busybox_registry, tmp_path, docker_client
) -> None:  # marked_image first: its images go after the project's containers
    p = project
    repo = f"{busybox_registry.addr}/mailer-{p.name}"
    old = push(docker_client, marked_image("old"), f"{repo}:1")
    notify = tmp_path / "notify"
    notify.mkdir()
    (notify / "devenv.toml").write_text(
        f'[project]\nname = "notify"\n\n[services.mail]\nimage = "{repo}:1"\ncommand = ["sleep", "1d"]\n'
    )
    in_folder(p, notify).ok("lock")  # notify's own lock pins the tag's digest now
    assert f'digest = "{old}"' in (notify / "devenv.lock").read_text()
    # The tag moves on (the engine's local tag too): notify's lock still pins the old digest.
    new = push(docker_client, marked_image("new"), f"{repo}:1")
    assert new != old

    p.write(
        f"""
[include.notify]
path = "../notify"

[services.web]
image = "{busybox_registry.addr}/busybox:test"
command = ["sleep", "1d"]
depends_on = ["mail"]
"""
    )
    p.ok("up", "-d")
    assert ran(p, "mail") == "old"  # what notify's lock pins, not what its tag names now
    rows = {s["service"]: s for s in json.loads(p.ok("status", "--json").out)["services"]}
    assert rows["mail"]["digest"] == old and rows["mail"]["include"] == "notify"

    # The including project's lock records the included stack's pin (not the tag's newest).
    p.ok("lock")
    lock = (p.root / "devenv.lock").read_text()
    assert f'digest = "{old}"' in lock and f'digest = "{new}"' not in lock
    p.ok("lock", "--check")

    # notify re-locked (its lock moved to the new digest): the includer's check names it, exit 6.
    in_folder(p, notify).ok("lock")
    checked = p.run("lock", "--check")
    assert checked.code == 6, str(checked)
    assert "mail (include notify): the included stack now runs" in checked.err + checked.out, str(checked)
    p.ok("up", "-d")
    assert ran(p, "mail") == "new"  # the included stack's lock rules what it runs
    p.ok("lock")
    p.ok("lock", "--check")
    p.ok("down")
