"""Leftovers of `devenv test` runs whose devenv process died (SIGKILL, a closed laptop lid):
found by the owner labels every test instance carries. Kept apart from `down` so the no-op
check of `up` can ask without importing the engine's write path."""

from __future__ import annotations

import os
import socket
from typing import Any, Optional

from devenv.engine.client import translated
from devenv.engine.observe import list_all_devenv_containers
from devenv.stack import names


def stale_instances(client: Any, project_name: Optional[str] = None) -> list[tuple[str, str]]:
    """(project, instance) of `devenv test` instances whose owning devenv process is gone.
    Networks and volumes count too: a run killed before its first container leaves only those."""
    here = socket.gethostname()
    labelled: list[tuple[dict[str, str], str]] = [
        (c.labels, c.instance) for c in list_all_devenv_containers(client)
    ]
    with translated("listing networks and volumes"):
        owned = {"label": [names.OWNER_PID]}
        labelled += [(n.get("Labels") or {}, "") for n in client.api.networks(filters=owned)]
        labelled += [
            (v.get("Labels") or {}, "") for v in client.api.volumes(filters=owned).get("Volumes") or []
        ]
    stale = set()
    for labels, instance in labelled:
        pid = labels.get(names.OWNER_PID)
        if not pid or labels.get(names.OWNER_HOST) != here:
            continue
        project = labels.get(names.PROJECT, "")
        if project_name is not None and project != project_name:
            continue
        if not _alive(int(pid)):
            stale.add((project, instance or labels.get(names.INSTANCE, "")))
    return sorted(stale)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
