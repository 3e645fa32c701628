"""Release images (`export --for swarm|k8s --push`) of a project that includes another by path:
an included service is released from its own project's repository at its own HEAD — never from
the includer's commit, which does not hold its files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from devenv.config.load import load_project
from devenv.images.release import plan_releases
from devenv.include.expand import expand


def repo(folder: Path, toml: str) -> str:
    folder.mkdir()
    (folder / "devenv.toml").write_text(toml)
    (folder / "app.py").write_text("print('hi')\n")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "its own history"]):
        subprocess.run([*git, *args], cwd=folder, check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], cwd=folder, check=True, capture_output=True, text=True).stdout.strip()


def test_an_included_service_is_released_from_its_own_repository(tmp_path: Path) -> None:
    shop_sha = repo(
        tmp_path / "shop",
        '[project]\nname = "shop"\nregistry = "127.0.0.1:5555"\n\n[services.web]\nimage = "busybox"\n'
        'code = "/app"\ndepends_on = ["mail"]\n\n[include.notify]\npath = "../notify"\n',
    )
    notify_sha = repo(
        tmp_path / "notify",
        '[project]\nname = "notify"\n\n[services.mail]\nimage = "busybox"\ncode = "/app"\n',
    )
    (tmp_path / "notify" / "app.py").write_text("print('edited')\n")  # uncommitted: not released
    project = expand(load_project(tmp_path / "shop", explicit=True))
    plans = {p.service: p for p in plan_releases(project, environ={})}
    web, mail = plans["web"], plans["mail"]
    assert (web.repo_root, web.revision, web.dirty) == ((tmp_path / "shop").resolve(), shop_sha, ())
    assert (mail.repo_root, mail.revision, mail.dirty) == ((tmp_path / "notify").resolve(), notify_sha, ("app.py",))
    assert mail.reference == f"127.0.0.1:5555/notify-mail:{notify_sha[:12]}"  # named after its own project
