"""Which linked git worktree a project folder is in, read from the files git writes.

No git process: a no-op `devenv up` is budgeted at ~150 ms for the whole process, and git may
not even be installed. A linked worktree (`git worktree add`) has a `.git` *file* reading
`gitdir: <common>/.git/worktrees/<name>`, whose folder holds a `commondir` file; <name> is
git's own name for the worktree, unique within the repository and stable across runs. The main
worktree (and a plain clone) has a `.git` *folder*. A submodule's `.git` is a file too, pointing
into `.git/modules/`: it is a checkout of whatever worktree holds it, so the walk goes on up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple, Optional

GITFILE_PREFIX = "gitdir:"


class Worktree(NamedTuple):
    name: str  # git's name for it: the last part of <common>/.git/worktrees/<name>
    top: Path  # the worktree's top folder (where its `.git` file is)
    admin_dir: Path  # <common>/.git/worktrees/<name>; may be missing (a moved or pruned repository)


def linked_worktree(start: Path) -> Optional[Worktree]:
    """The linked worktree holding `start` (walking up to its `.git`), or None: a main
    worktree, a plain clone, or no git at all. One stat per folder on the way up."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        try:
            mode = os.stat(dot_git).st_mode
        except OSError:  # none here (or unreadable): look further up
            continue
        if stat.S_ISDIR(mode):
            return None  # the repository's main worktree
        if not stat.S_ISREG(mode):
            continue
        admin = gitfile_target(dot_git)
        if admin is not None and is_worktree_admin(admin):
            return Worktree(admin.name, folder, admin)
        # A submodule's (or a --separate-git-dir checkout's) `.git` file: keep walking.
    return None


def gitfile_target(dot_git: Path) -> Optional[Path]:
    """Where a `.git` file points (a relative path counts from its folder, as git reads it),
    or None when it is not a gitfile git would accept."""
    try:
        with open(dot_git, encoding="utf-8", errors="replace") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    if not first.startswith(GITFILE_PREFIX):
        return None
    target = first[len(GITFILE_PREFIX) :].strip()
    if not target:
        return None
    return Path(os.path.normpath(dot_git.parent / target))


def is_worktree_admin(admin: Path) -> bool:
    """Whether a gitdir is a linked worktree's: it holds `commondir` (git writes it for those
    alone). A gitdir that is gone (the repository moved, or its worktree entry pruned) still
    names its worktree by the shape git gives it: <common>/worktrees/<name>."""
    if os.path.isdir(admin):
        return os.path.isfile(admin / "commondir")
    return admin.parent.name == "worktrees" and bool(admin.name)
