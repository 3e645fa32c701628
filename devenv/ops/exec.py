"""`devenv exec` and `devenv shell`: a command in a service's running container."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.attach import run_in_container
from devenv.engine.connect import connect
from devenv.engine.port import Engine, EngineReads
from devenv.errors import DevenvError
from devenv.ops.selection import check_selection


def running_container(reads: EngineReads, project: Project, instance: str, service: str) -> str:
    """The id of `service`'s running container in the instance."""
    check_selection(project, (service,), instance)
    for c in reads.containers(L.selector(project.name, instance, service)):
        if not c.running:
            raise DevenvError(f"service {service} is {c.state}", f"start it with `devenv up {service}`")
        return c.id
    raise DevenvError(
        f"service {service} is not running in instance {instance}", f"run `devenv up {service}`"
    )


def exec_in_service(
    project: Project,
    instance: str,
    service: str,
    command: Sequence[str],
    *,
    tty: bool,
    stdin: bool,
    user: Optional[str] = None,
    engine: Optional[Engine] = None,
) -> int:
    """Run `command` in the service's container with its env, user and workdir, attached to
    this process's terminal (or pipes); returns its exit code."""
    engine = engine or connect()
    container_id = running_container(engine, project, instance, service)
    return run_in_container(engine, container_id, command, service=service, tty=tty, stdin=stdin, user=user)
