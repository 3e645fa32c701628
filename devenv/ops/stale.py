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
from devenv.ops.down import DownResult, remove_instance
from devenv.ops.progress import Progress, silent


def stale_instances(engine: EngineReads, project_name: Optional[str] = None) -> list[tuple[str, str]]:
    """(project, instance) of `devenv test` instances whose owning devenv process is gone.
    Networks and volumes count too: a run killed before its first container leaves only those."""
    here = socket.gethostname()
    owned = [L.OWNER_PID]
    labelled = [(c.labels, c.instance) for c in engine.containers([L.PROJECT])]
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


def down_stale(project: Project, *, progress: Progress = silent) -> tuple[list[str], DownResult]:
    """`devenv down --all-stale`: the project's leftovers of dead `devenv test` runs."""
    return remove_stale(light(), project.name, progress)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
