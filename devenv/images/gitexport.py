"""What git says about the sources an image is built from: clean export, dirty check, branch, sha."""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from devenv import settings
from devenv.errors import DevenvError


def _git(
    root: Path, *args: str, check: bool = True, stdin: Optional[bytes] = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=120, input=stdin)
    except FileNotFoundError as err:
        raise DevenvError(
            "git is not installed", hint="install git: catalog images are built from commits"
        ) from err
    if check and proc.returncode != 0:
        raise DevenvError(
            f"git {' '.join(args)} failed in {root}: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc


def _out(root: Path, *args: str) -> Optional[str]:
    proc = _git(root, *args, check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 and proc.stdout.strip() else None


def repo_root(path: Path) -> Path:
    top = _out(path, "rev-parse", "--show-toplevel")
    if top is None:
        raise DevenvError(
            f"{path} is not inside a git repository",
            hint="catalog images are built only from committed sources: `git init` and commit first",
        )
    return Path(top)


def head_sha(root: Path) -> str:
    sha = _out(root, "rev-parse", "--verify", "-q", "HEAD")
    if sha is None:
        raise DevenvError(f"{root}: the repository has no commit yet", hint="commit the images/ folder first")
    return sha


def current_branch(root: Path, environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The branch being built; CI checkouts are detached, so their variables come first."""
    if environ.get("GITHUB_REF_TYPE") == "branch" and environ.get("GITHUB_REF_NAME"):
        return environ["GITHUB_REF_NAME"]
    if environ.get("CI_COMMIT_BRANCH"):  # GitLab, branch pipelines only
        return environ["CI_COMMIT_BRANCH"]
    return _out(root, "symbolic-ref", "--short", "-q", "HEAD")


def default_branch(root: Path, environ: Mapping[str, str] = os.environ) -> str:
    configured = settings.DEFAULT_BRANCH.get(environ) or environ.get("CI_DEFAULT_BRANCH")
    if configured:
        return configured
    origin_head = _out(root, "symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD")
    if origin_head:
        return origin_head.split("/", 1)[-1]
    configured = _out(root, "config", "--get", "init.defaultBranch")
    if configured:
        return configured
    return "main" if _out(root, "rev-parse", "--verify", "-q", "refs/heads/main") else "master"


def source_url(root: Path, environ: Mapping[str, str] = os.environ) -> Optional[str]:
    if environ.get("GITHUB_SERVER_URL") and environ.get("GITHUB_REPOSITORY"):
        return f"{environ['GITHUB_SERVER_URL']}/{environ['GITHUB_REPOSITORY']}"
    if environ.get("CI_PROJECT_URL"):
        return environ["CI_PROJECT_URL"]
    url = _out(root, "config", "--get", "remote.origin.url")
    return re.sub(r"//[^/@]+@", "//", url) if url else None  # never leak a token in a label


def commit_time(root: Path, sha: str) -> str:
    """When `sha` was committed, UTC (RFC 3339): a build of one commit is labelled the same each time."""
    import datetime

    stamp = _out(root, "show", "-s", "--format=%ct", sha)
    if stamp is None:
        raise DevenvError(
            f"{root}: no commit {sha[:12]}", hint="fetch it, or build from a commit the repository has"
        )
    when = datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def dirty_paths(root: Path, relpath: str) -> list[str]:
    """Uncommitted changes (tracked or untracked, not ignored) under `relpath`."""
    out = _git(root, "status", "--porcelain", "--untracked-files=all", "--", relpath).stdout.decode()
    return [line[3:] for line in out.splitlines() if line.strip()]


def archive_head(root: Path, relpath: str, sha: str) -> bytes:
    """A tar of `relpath` as committed in `sha`, rooted at that folder (the build context)."""
    proc = _git(root, "archive", "--format=tar", f"{sha}:{relpath}", check=False)
    if proc.returncode != 0:
        raise DevenvError(
            f"{relpath} is not in commit {sha[:12]}", hint=f"commit it first: git add {relpath} && git commit"
        )
    return proc.stdout


def archive_worktree(root: Path, relpath: str) -> bytes:
    """A tar of `relpath` as it is on disk (tracked + untracked, .gitignore honoured): --allow-dirty only."""
    listing = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", relpath).stdout
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(p for p in listing.decode().split("\0") if p):
            path = root / name
            if path.exists():
                tar.add(path, arcname=os.path.relpath(name, relpath), recursive=False)
    return buf.getvalue()


def tree_id(root: Path, relpath: str, sha: str) -> str:
    """The git tree id of `relpath` in `sha`: changes exactly when a file under it changes."""
    out = _out(root, "rev-parse", "--verify", "-q", f"{sha}:{relpath}")
    if out is None:
        raise DevenvError(
            f"{relpath} is not in commit {sha[:12]}", hint=f"commit it first: git add {relpath} && git commit"
        )
    return out


def committed_file(root: Path, path: str, sha: str) -> Optional[str]:
    """The text of `path` as committed in `sha` (None when that commit lacks it)."""
    proc = _git(root, "show", f"{sha}:{path}", check=False)
    return proc.stdout.decode(errors="replace") if proc.returncode == 0 else None


def ignored(root: Path, paths: list[str]) -> set[str]:
    """Which of `paths` (repository-relative) .gitignore names, committed or not."""
    if not paths:
        return set()
    proc = _git(root, "check-ignore", "--no-index", "-z", "--stdin", check=False, stdin="\0".join(paths).encode())
    return {p for p in proc.stdout.decode().split("\0") if p}
