"""scripts/release-notify.sh, the quick start's publish of examples/notify, on a repository laid
out as this one: with uncommitted edits under examples/notify it still publishes, the committed
notify (and says so), and run again on an unchanged notify it builds and pushes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.real_stack import REPO, commit, notify_checkout

pytestmark = pytest.mark.engine


def release(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/release-notify.sh"], cwd=repo, env=env, capture_output=True, text=True, timeout=900
    )


def test_a_dirty_notify_publishes_what_is_committed_and_an_unchanged_one_is_not_published_again(
    real_catalog, docker_client, tmp_path
) -> None:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "release-notify.sh", repo / "scripts")
    folder = notify_checkout(repo / "examples" / "notify", real_catalog)
    name = f"notify{uuid.uuid4().hex[:8]}"  # its own repository: `latest` here is this test's
    toml = folder / "devenv.toml"
    toml.write_text(toml.read_text().replace('name = "notify"', f'name = "{name}"', 1))
    commit(repo)
    api = folder / "notify" / "api.py"
    api.write_text(api.read_text() + "# a new hire's edit, not committed\n")
    (folder / "notes.txt").write_text("untracked\n")
    env = {**os.environ, "DEVENV_STATE_DIR": str(tmp_path / "state"), "DEVENV_DEFAULT_BRANCH": "main"}
    env.pop("DEVENV_REGISTRY", None)

    first = release(repo, env)
    assert first.returncode == 0, first.stderr
    assert "examples/notify has uncommitted changes: notify is published as committed" in first.stderr
    assert "devenv link notify ../notify" in first.stderr
    assert f"published {real_catalog}/{name}:latest" in first.stderr
    reference, digest = first.stdout.strip().split("@")
    tag = reference.rsplit(":", 1)[1]
    image = f"{real_catalog}/{name}-mail:{tag}"  # its release image, built from the commit
    code = docker_client.containers.run(image, ["cat", "/app/notify/api.py"], remove=True, entrypoint=[])
    assert code.decode() == subprocess.run(
        ["git", "show", "HEAD:examples/notify/notify/api.py"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout  # the committed file, not the edit
    assert not (folder / "devenv.lock").exists()  # locked in the scratch repository, nothing left here

    again = release(repo, env)
    assert again.returncode == 0, again.stderr
    assert "is published already, as latest: nothing to build or push" in again.stderr, again.stderr
    assert "building" not in again.stderr and "pushed" not in again.stderr
    assert again.stdout.strip() == f"{reference}@{digest}"
