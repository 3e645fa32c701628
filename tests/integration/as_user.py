"""Run the real `devenv` as an unprivileged user in the docker group (root switches with setpriv),
from Debian's python3 and its packages — what a developer's own account does."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"  # readable by every user, unlike a venv under /root
PACKAGE = Path(__file__).resolve().parents[2] / "devenv"


def _system_python_runs_devenv() -> bool:
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import click, docker, platformdirs, yaml"], capture_output=True
    )
    return probe.returncode == 0


class UserDevenv:
    """`devenv` as user `nobody` on a copy of `project_root` (owned by that user)."""

    def __init__(self, project_root: Path, tmp_path: Path, env: dict[str, str]):
        if os.getuid() != 0:
            pytest.skip("needs root to switch to an unprivileged user")
        if not _system_python_runs_devenv():
            message = f"{SYSTEM_PYTHON} lacks devenv's dependencies (run scripts/install.sh)"
            pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
        self.user = pwd.getpwnam("nobody")
        docker_gid = grp.getgrnam("docker").gr_gid
        self.root = tmp_path / "userproj"
        shutil.copytree(project_root, self.root)
        state = tmp_path / "userstate"
        state.mkdir()
        for path in [self.root, state, *self.root.rglob("*"), *state.rglob("*")]:
            os.chown(path, self.user.pw_uid, self.user.pw_gid, follow_symlinks=False)
        for folder in [tmp_path, *tmp_path.parents]:  # pytest's tmp folders are private to root
            if folder in (Path("/tmp"), Path(tmp_path.anchor)):
                break
            os.chmod(folder, folder.stat().st_mode | 0o011)
        # The checkout may sit in a folder only root can enter (CI clones into a private temp
        # dir): the unprivileged user imports a copy of the package from the test's own folder.
        package = tmp_path / "pkg"
        shutil.copytree(PACKAGE, package / "devenv", ignore=shutil.ignore_patterns("__pycache__"))
        os.chmod(package, 0o755)
        self.env = {**env, "HOME": str(state), "DEVENV_STATE_DIR": str(state), "PYTHONPATH": str(package)}
        self.cmd = [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            f"--groups={docker_gid}",
            SYSTEM_PYTHON,
            "-m",
            "devenv",
        ]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.cmd, *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
