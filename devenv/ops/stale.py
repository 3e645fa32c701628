"""Leftovers of `devenv test` runs whose devenv process died (SIGKILL, a closed laptop lid):
found by the owner labels every test instance carries, and removed."""

from __future__ import annotations

import os
import socket
from typing import Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import light
from devenv.engine.port import EngineReads, EngineTeardown
from devenv.engine.records import ContainerInfo
from devenv.ops.down import DownResult, remove_instance
from devenv.ops.instance import orphaned
from devenv.ops.progress import Progress, silent


def stale_instances(engine: EngineReads, project_name: Optional[str] = None) -> list[tuple[str, str]]:
    """(project, instance) of `devenv test` instances whose owning devenv process is gone.
    Networks and volumes count too: a run killed before its first container leaves only those."""
    here = socket.gethostname()
    owned = [L.OWNER_PID]  # only test instances carry it: every `up` asks, in a list this short
    labelled = [(c.labels, c.instance) for c in engine.containers(owned)]
    labelled += [(n.labels, "") for n in engine.networks(owned)]
    labelled += [(v.labels, "") for v in engine.volumes(owned)]
    stale = set()
    for labels, instance in labelled:
        owner = L.owner_of(labels)
        if owner is None or owner[1] != here:
            continue
        project = labels.get(L.PROJECT, "")
        if project_name is not None and project != project_name:
            continue
        if not _alive(owner[0]):
            stale.add((project, instance or labels.get(L.INSTANCE, "")))
    return sorted(stale)


def remove_stale(
    engine: EngineTeardown, project_name: str, progress: Progress = silent
) -> tuple[list[str], DownResult]:
    """Remove this project's test instances whose devenv process died: their names, and what
    went. Their data is thrown away anyway: containers are killed at once (stop timeout 0)."""
    removed, result = [], DownResult()
    for project, instance in stale_instances(engine, project_name):
        result.add(
            remove_instance(
                engine, project, instance, volumes=True, timeouts={}, default_timeout=0, progress=progress
            )
        )
        removed.append(instance)
    return removed, result


def orphaned_instances(engine: EngineReads, project_name: str) -> list[str]:
    """Instances of the project whose folder is gone (`ops.instance.orphaned`): a removed git
    worktree, a moved or deleted clone."""
    groups: dict[str, list[ContainerInfo]] = {}
    for c in engine.containers(L.selector(project_name)):
        groups.setdefault(c.instance, []).append(c)
    return [instance for instance, group in sorted(groups.items()) if orphaned(group)]


def down_stale(
    project: Project, *, volumes: bool = False, progress: Progress = silent
) -> tuple[list[str], DownResult]:
    """`devenv down --all-stale`: the project's leftovers — dead `devenv test` runs (with their
    volumes: throwaway data) and instances whose folder is gone (their named volumes only with
    `volumes`, as for any `down`)."""
    engine = light()
    removed, result = remove_stale(engine, project.name, progress)
    for instance in orphaned_instances(engine, project.name):
        gone = remove_instance(
            engine, project.name, instance, volumes=volumes, timeouts={}, progress=progress
        )
        if gone.kept_volumes:  # with no container left it is no longer stale: say how to remove them
            progress(
                f"{project.name} ({instance})",
                f"kept volumes {', '.join(gone.kept_volumes)}: "
                f"`devenv down --instance {instance} --volumes` removes them",
            )
        result.add(gone)
        removed.append(instance)
    return removed, result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
