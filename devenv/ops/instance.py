"""Which instance a command acts on, decided here for every command that takes `--instance`
(up, down, status, logs, exec, shell, watch), and the guard that keeps one folder's command off
another folder's stack.

The choice: `--instance` (or DEVENV_INSTANCE) when given; else the folder's own pin, the name in
`.devenv/instance` (gitignored; the quick start writes it when this engine's `default` belongs
to another checkout); else, in a linked git worktree, an instance named after the worktree
(`[project] instance_per_worktree`, on by default); else `default`. Two checkouts of one
repository thus get two stacks without anyone asking.

The guard: every container carries the folder it was created from (`dev.devenv.project-dir`).
Two separate clones (or a worktree with automatic naming turned off) share a project name and
instance; `up`, `watch` and `down` in one must not converge, reload or remove the stack of the
other. A folder that no longer holds a devenv.toml (a removed worktree, a moved clone) owns
nothing any more: its stack is leftovers, taken over by `up` with a warning and removed by
`down` or `down --all-stale`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal, NamedTuple, Optional

from devenv.config.find import CONFIG_NAME
from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.records import ContainerInfo
from devenv.errors import DevenvError
from devenv.stack import names
from devenv.stack.worktree import linked_worktree

OPTION, PINNED, WORKTREE, DEFAULT = "option", "pinned", "worktree", "default"  # where a choice came from
PIN_FILE = ".devenv/instance"  # this folder's own instance, one name on one line
PIN_LIMIT = 256  # bytes: a name is at most 31 characters; a larger file is not a pin
Guarded = Literal["up", "watch", "down"]  # the commands that change an instance


class InstanceChoice(NamedTuple):
    name: str
    source: str  # OPTION | PINNED | WORKTREE | DEFAULT
    worktree: Optional[str] = None  # git's name of the linked worktree the project is in


def choose_instance(project: Project, requested: Optional[str] = None) -> InstanceChoice:
    """The instance a command acts on: `requested` (checked), else the folder's pin, else the
    worktree's, else default."""
    worktree = linked_worktree(project.root)
    worktree_name = worktree.name if worktree is not None else None
    if requested:
        names.check_instance(requested)
        return InstanceChoice(requested, OPTION, worktree_name)
    pinned = pinned_instance(project)
    if pinned is not None:
        return InstanceChoice(pinned, PINNED, worktree_name)
    if worktree_name is not None and project.instance_per_worktree:
        return InstanceChoice(names.instance_from(worktree_name), WORKTREE, worktree_name)
    return InstanceChoice(names.DEFAULT_INSTANCE, DEFAULT, worktree_name)


def pinned_instance(project: Project) -> Optional[str]:
    """The name in the folder's `.devenv/instance`, checked; None when there is no such file.
    The file comes with the folder (a clone may carry one): a link is not followed, a large file
    not read, and its content is quoted only as a short escaped excerpt."""
    from devenv.fsutil import excerpt, read_project_file

    text = read_project_file(project.root, PIN_FILE, limit=PIN_LIMIT)
    if text is None:
        return None
    name = text.strip()
    if not names.valid_instance(name):
        raise DevenvError(
            f"{project.root / PIN_FILE}: instance name {excerpt(name)} is not valid",
            "write 1-31 characters (lower-case letters, digits, - and _) on one line, or remove the file",
        )
    return name


class OtherFolder(NamedTuple):
    """A folder, not this project's, that an instance's containers were created from."""

    path: str
    live: bool  # it still holds a devenv.toml: another checkout's stack, not leftovers


def holds_project(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, CONFIG_NAME))


def created_from(containers: Iterable[ContainerInfo]) -> set[str]:
    """The folders the containers were created from (containers from before the label: none)."""
    return {c.labels[L.PROJECT_DIR] for c in containers if c.labels.get(L.PROJECT_DIR)}


def orphaned(containers: Iterable[ContainerInfo]) -> bool:
    """Whether an instance's containers are leftovers: all created from folders that no longer
    hold a devenv.toml. A `devenv test` run's are left to its owner check (a live run may be
    working from a folder about to go)."""
    group = list(containers)
    if any(L.owner_of(c.labels) for c in group):
        return False
    folders = created_from(group)
    return bool(folders) and not any(holds_project(f) for f in folders)


def other_folder(containers: Iterable[ContainerInfo], project: Project) -> Optional[OtherFolder]:
    """The other folder the containers were created from, a live one first; None: all from here."""
    others = sorted(created_from(containers) - {str(project.root)})
    found = [OtherFolder(path, holds_project(path)) for path in others]
    return next((f for f in found if f.live), found[0] if found else None)


_DOING = {  # what the command would do to a live checkout's stack, and does to leftovers
    "up": ("`devenv up` here would take it over with this folder's code", "taking it over"),
    "watch": ("`devenv watch` here would reload it with this folder's files", "watching it from here"),
    "down": ("`devenv down` here would remove that folder's stack", "removing its leftovers"),
}
_FIX = {
    "up": "use another instance here (--instance NAME), or take that one down first: {there}",
    "watch": "watch this folder's own instance (--instance NAME), or watch that one from its folder",
    "down": "to remove it, run from its folder: {there} (this folder's stack: --instance NAME)",
}


def ensure_own(
    containers: Iterable[ContainerInfo], project: Project, instance: str, command: Guarded
) -> Optional[str]:
    """Raise when the instance's containers belong to another live checkout; return a warning
    when they are the leftovers of a folder that is gone (None: they are this folder's)."""
    other = other_folder(containers, project)
    if other is None:
        return None
    stack = f"{project.name} ({instance})"
    if not other.live:
        gone = f"{stack} was created from {other.path}, which no longer holds a {CONFIG_NAME}"
        return f"{gone}: {_DOING[command][1]}"
    import shlex  # only for this message: a folder with a space in it, quoted to paste

    there = f"devenv --project-dir {shlex.quote(other.path)} down --instance {instance}"
    raise DevenvError(
        f"{stack} was created from another folder, {other.path}: {_DOING[command][0]}",
        _FIX[command].format(there=there),
    )
