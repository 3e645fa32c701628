"""What `devenv publish` refuses to ship, and the fix each refusal names (a real git repository)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.errors import ConfigError
from devenv.ops.publish import collect_files

TOML = '[project]\nname = "notify"\n\n[services.mail]\nimage = "busybox:1"\n'


def _repo(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (root / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "stack"], cwd=root, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def test_a_gitignored_lock_is_refused_with_the_fix_to_commit_it(tmp_path: Path) -> None:
    revision = _repo(tmp_path, {"devenv.toml": TOML, ".gitignore": "devenv.lock\n"})
    (tmp_path / "devenv.lock").write_text("")
    with pytest.raises(ConfigError) as err:
        collect_files(load_project(tmp_path, explicit=True), tmp_path, revision, "")
    assert "devenv.lock" in err.value.message and "named by .gitignore" in err.value.message
    assert "commit the lock" in (err.value.hint or "") and "secret" not in (err.value.hint or "")


def test_the_committed_config_and_lock_are_what_ships(tmp_path: Path) -> None:
    revision = _repo(tmp_path, {"devenv.toml": TOML, "devenv.lock": "", ".gitignore": ".devenv/\n"})
    files = collect_files(load_project(tmp_path, explicit=True), tmp_path, revision, "")
    assert sorted(files) == ["devenv.lock", "devenv.toml"]
