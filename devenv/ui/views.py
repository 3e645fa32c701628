"""What the dashboard shows, read through the same use cases as the CLI: `ops.status` for
every instance and service, the engine's inspect for what a list does not say (uptime,
restarts, the command, the last probe), `env show`'s layered env and `env check` / `lock
--check`. Each document passes through the redactor before it leaves: a secret value never
reaches the browser."""

from __future__ import annotations

import threading
from typing import Any, Optional

from devenv.config.model import Project
from devenv.engine.port import EngineReads
from devenv.engine.records import ContainerDetails
from devenv.envvars.redact import MASK, Redactor, Shown
from devenv.errors import DevenvError
from devenv.ops.status import ServiceStatus, StackStatus, status

RED_STATES = ("dead", "restarting", "removing")


class Inspections:
    """Inspect answers by container id, kept until an engine event about that container."""

    def __init__(self, engine: EngineReads) -> None:
        self._engine = engine
        self._known: dict[str, ContainerDetails] = {}
        self._lock = threading.Lock()

    def get(self, container: str) -> Optional[ContainerDetails]:
        with self._lock:
            found = self._known.get(container)
        if found is not None:
            return found
        try:
            found = self._engine.inspect_container(container)
        except DevenvError:  # removed between the list and the inspect
            return None
        with self._lock:
            self._known[container] = found
        return found

    def forget(self, container: str) -> None:
        with self._lock:
            self._known.pop(container[:12], None)


def verdict(row: ServiceStatus, exit_code: Optional[int]) -> str:
    """ok | starting | bad | off: the row's colour."""
    if row.state == "not created":
        return "off"
    if row.health == "unhealthy" or row.state in RED_STATES or (row.state == "exited" and exit_code != 0):
        return "bad"
    if row.state == "exited":  # a one-shot job that finished
        return "off"
    if row.state == "created" or row.health == "starting":
        return "starting"
    return "ok" if row.state == "running" else "bad"


def service_doc(row: ServiceStatus, details: Optional[ContainerDetails]) -> dict[str, Any]:
    doc = row.to_dict()
    doc.pop("env_hash", None)
    state = details.state if details else None
    probe = state.last_probe if state else None
    doc.update(
        started_at=details.started_at if details and state and state.running else "",
        restarts=details.restart_count if details else 0,
        command=list(details.args) if details else [],
        exit_code=state.exit_code if state and not state.running else None,
        error=state.error if state else "",
        probe=probe.output.strip()[-2000:] if probe and probe.exit_code not in (0, None) else "",
    )
    doc["verdict"] = verdict(row, doc["exit_code"])
    return doc


def instance_doc(stack: StackStatus, inspections: Inspections, current: str) -> dict[str, Any]:
    rows = [service_doc(r, inspections.get(r.container) if r.container else None) for r in stack.services]
    return {
        "instance": stack.instance,
        "current": stack.instance == current,
        "source": stack.instance_source if stack.instance == current else "",
        "worktree": stack.worktree if stack.instance == current else None,
        "project_dir": stack.project_dir,
        "services": rows,
    }


def state_doc(
    project: Project, instance: str, engine: EngineReads, inspections: Inspections, redactor: Redactor
) -> dict[str, Any]:
    """Every instance of the project on this engine (this folder's first), every service."""
    mine = status(project, instance, engine=engine)
    stacks = [mine, *(status(project, o.instance, engine=engine) for o in mine.others)]
    doc = {
        "project": project.name,
        "instance": instance,
        "instances": [instance_doc(s, inspections, instance) for s in stacks],
    }
    redacted: dict[str, Any] = redactor.redact_doc(doc)
    return redacted


def env_doc(project: Project, service: str, profile: Optional[str], redactor: Redactor) -> dict[str, Any]:
    """`env show SERVICE`: every variable with its source; a secret's value is `***` here and
    every known secret is masked inside any other value."""
    from devenv.envvars import service_env

    layered = service_env(project, service, profile)
    variables = [
        {
            "key": Shown(v.key),
            "value": MASK if v.secret else Shown(v.value),
            "secret": v.secret,
            "source": v.source,
            "via": v.via,
        }
        for v in layered.values.values()
    ]
    doc = {
        "service": Shown(service),
        "profile": Shown(layered.profile),
        "public_hash": layered.public_hash(),
        "variables": variables,
        "unmirrorable": [
            {"key": Shown(u.key), "source": u.source, "reason": u.reason} for u in layered.unmirrorable.values()
        ],
        "warnings": list(layered.warnings),
    }
    both = Redactor([*redactor.secrets, *layered.secret_values()])
    shown: dict[str, Any] = both.redact_doc(doc)
    return shown


def drift_doc(project: Project, redactor: Redactor, *, with_lock: bool) -> dict[str, Any]:
    """`env check` (no secret needed) and, when asked, `lock --check` (asks the registry)."""
    from devenv.envvars import check_drift
    from devenv.ops.lock import check as lock_check
    from devenv.ops.lock import locked_env_sources

    doc: dict[str, Any] = {}
    try:
        report = check_drift(project.root, project.env, None, locked_env_sources(project))
        doc["env"] = {
            "ok": report.ok,
            "profiles": list(report.profiles),
            "problems": [{"message": p.message, "hint": p.hint} for p in report.problems],
            "notes": list(report.notes),
        }
    except DevenvError as err:
        doc["env"] = {"ok": False, "error": str(err), "problems": [], "notes": []}
    if with_lock:
        try:
            found = lock_check(project)
            doc["lock"] = {
                "ok": found.ok,
                "present": found.lock is not None,
                "drifts": [d.describe() for d in found.drifts],
            }
        except DevenvError as err:
            doc["lock"] = {"ok": False, "present": True, "error": str(err), "drifts": []}
    shown: dict[str, Any] = redactor.redact_doc(doc)
    return shown
