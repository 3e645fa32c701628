"""A release image's labels come from its commit alone: building the same commit again gives the
same image (a cached build, nothing new to push), so `devenv publish` of an unchanged stack gives
the same artifact and whoever pinned it has nothing to move."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from devenv.config.load import load_project
from devenv.images.release import labels_for, plan_releases


def test_a_release_image_is_labelled_with_its_commit_time_not_the_build_time(tmp_path: Path) -> None:
    root = tmp_path / "notify"
    root.mkdir()
    (root / "devenv.toml").write_text(
        '[project]\nname = "notify"\nregistry = "127.0.0.1:5555"\n\n[services.mail]\nimage = "busybox"\ncode = "/app"\n'
    )
    when = {"GIT_COMMITTER_DATE": "2026-01-02T03:04:05+02:00", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+02:00"}
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v1"]):
        subprocess.run([*git, *args], cwd=root, check=True, env={**os.environ, **when})
    project = load_project(root, explicit=True)
    [plan] = plan_releases(project, environ={})
    labels = labels_for(project, plan, None)
    assert labels["org.opencontainers.image.created"] == "2026-01-02T01:04:05Z"  # the commit's, in UTC
    assert labels["org.opencontainers.image.revision"] == plan.revision
    assert labels_for(project, plan, None) == labels  # built again: the same image
