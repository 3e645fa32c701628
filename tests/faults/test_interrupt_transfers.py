"""Ctrl-C during `devenv pull` and `devenv images build`: exit 130 (or 0 if it finished first),
no traceback, and the same command run again succeeds — nothing half-made stands in its way."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import busybox_context
from tests.faults.stack_harness import Running, assert_clean
from tests.integration.registry_helpers import remove_catalog_images

pytestmark = pytest.mark.engine
CATALOG = Path(__file__).resolve().parents[1] / "fixtures" / "catalog" / "images"


def test_interrupted_pull_then_pull_again(project, registry, docker_client, rng) -> None:
    # An image big enough that the pull is still running when the signal arrives.
    blobs = {f"blob{i}": os.urandom(12 * 1024 * 1024) for i in range(3)}
    dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\n" + "".join(
        f"COPY blob{i} /blob{i}\n" for i in range(3)
    )
    ref = f"{registry}/{project.name}/big:1"
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context(blobs, dockerfile)), custom_context=True, tag=ref
    )
    for line in docker_client.images.push(ref, stream=True, decode=True):
        assert "error" not in line, line
    docker_client.api.remove_image(ref, force=True)
    project.write(f'[services.big]\nimage = "{ref}"\ncommand = ["sleep", "1000"]\n')
    for signum in (signal.SIGINT, signal.SIGTERM):
        running = Running(project, "pull")
        time.sleep(rng.uniform(0.3, 1.2))
        running.signal(signum)
        result = running.finish()
        assert_clean(result)
        assert result.code in (0, 130), str(result)
        again = project.run("pull")
        assert again.code == 0, str(again)
        assert docker_client.images.get(ref) is not None
        docker_client.api.remove_image(ref, force=True)


def test_interrupted_catalog_build_then_build_again(
    project, registry, busybox_image, docker_client, rng
) -> None:
    shutil.copytree(CATALOG, project.root / "images")
    project.write(f'registry = "{registry}/{project.name}"\n\n[images.base]\nfrom = "{busybox_image}"\n')
    git = ["git", "-C", str(project.root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "catalog"], check=True)
    before = {c.id for c in docker_client.containers.list(all=True)}
    build = ("images", "build")
    for _ in range(2):
        running = Running(project, *build)
        time.sleep(rng.uniform(0.3, 1.5))
        running.signal(signal.SIGINT)
        result = running.finish()
        assert_clean(result)
        assert result.code in (0, 130), str(result)
    done = project.run(*build)
    assert done.code == 0, str(done)
    # (another project's containers may come and go meanwhile on a shared engine: not ours)
    after = docker_client.containers.list(all=True, filters={"label": "dev.devenv.project"})
    theirs = {c.id for c in after if c.labels.get("dev.devenv.project") != project.name}
    left = {c.id for c in docker_client.containers.list(all=True)} - before - theirs
    assert not left, f"build containers left behind: {left}"
    remove_catalog_images(docker_client, registry, project.name)
