"""git includes: one bare mirror per URL and one exported tree per commit, in devenv's cache,
shared by every project that includes them. What is present is never reset or fetched again:
a pinned commit already exported starts with the git server unreachable."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Optional

from devenv.errors import DevenvError, ExitCode
from devenv.paths import cache_dir

_SHA = re.compile(r"^[0-9a-f]{40}$")


class GitError(DevenvError):
    exit_code = ExitCode.REGISTRY  # a remote we could not read, like a registry


def _root() -> Path:
    return cache_dir() / "includes"


def _mirror(url: str) -> Path:
    return _root() / "git" / (hashlib.sha256(url.encode()).hexdigest()[:20] + ".git")


def mirror_of(url: str) -> Path:
    """The bare mirror of `url` in the cache (release images of a git include are built from it)."""
    return _mirror(url)


def tree_dir(commit: str) -> Path:
    return _root() / "src" / commit


def _git(args: list[str], where: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
    except FileNotFoundError:
        raise GitError(f"{where}: git is not installed", "install git to use git includes") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        reason = next((line for line in lines if line.startswith("fatal:")), lines[-1]).removeprefix(
            "fatal: "
        )
        verb = next(a for a in args if a in ("clone", "fetch"))
        raise GitError(
            f"{where}: git {verb} failed: {reason}", "check the URL and that the server is reachable"
        )
    return done.stdout.strip()


def _has_commit(mirror: Path, ref: str) -> Optional[str]:
    if not mirror.is_dir():
        return None
    try:
        out = subprocess.run(
            ["git", "--git-dir", str(mirror), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return out.stdout.strip() if out.returncode == 0 and _SHA.match(out.stdout.strip()) else None


def _fetch(url: str, where: str) -> Path:
    mirror = _mirror(url)
    if mirror.is_dir():
        _git(["--git-dir", str(mirror), "fetch", "--quiet", "--prune", "--tags", "origin"], where)
        return mirror
    import shutil  # only when cloning: the no-op `up` of a cached include never loads these
    import tempfile

    mirror.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=mirror.parent))
    try:
        _git(["clone", "--quiet", "--mirror", url, str(tmp / "m.git")], where)
        os.replace(tmp / "m.git", mirror)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return mirror


def resolve_commit(
    url: str, ref: str, where: str, *, pinned: Optional[str] = None, refresh: bool = False
) -> str:
    """The commit `ref` names. `pinned` (the lock's) or a ref already in the mirror needs no
    network; `refresh` (devenv lock) fetches first, so branches and moved tags are seen."""
    if pinned and _SHA.match(pinned) and tree_dir(pinned).is_dir():
        return pinned  # already exported: no git process on the no-op `up`
    mirror = _mirror(url)
    if pinned and _has_commit(mirror, pinned):
        return pinned
    if not refresh and not pinned:
        found = _has_commit(mirror, ref)
        if found:
            return found
    _fetch(url, where)
    target = pinned or ref
    found = _has_commit(mirror, target)
    if found is None:
        raise GitError(
            f"{where}: {'commit' if pinned else 'ref'} {target!r} not found in {url}",
            "fix ref (`git ls-remote URL` lists tags and branches)"
            if not pinned
            else "push that commit, or re-pin with `devenv lock`",
            exit_code=ExitCode.USER_ERROR,
        )
    return found


def export_tree(url: str, commit: str, where: str) -> Path:
    """The files of `commit`, exported once into the cache (read-only use: never edited)."""
    final = tree_dir(commit)
    if final.is_dir():
        return final
    import shutil
    import tempfile

    mirror = _mirror(url)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=final.parent))
    try:
        archive = subprocess.Popen(
            ["git", "--git-dir", str(mirror), "archive", "--format=tar", commit], stdout=subprocess.PIPE
        )
        assert archive.stdout is not None
        untar = subprocess.run(
            ["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, capture_output=True, check=False
        )
        archive.stdout.close()
        if archive.wait() != 0 or untar.returncode != 0:
            raise GitError(
                f"{where}: could not export commit {commit[:12]} of {url}", "run `devenv lock` again"
            )
        try:
            os.replace(tmp, final)
        except OSError:  # another process exported it first: theirs is the same tree
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
