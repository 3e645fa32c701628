"""`devenv logs`: the services' log lines (the tail, or followed live), handed to a sink."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import connect
from devenv.engine.logs import LineSink, show_logs

__all__ = ["LineSink", "log_targets", "logs"]
from devenv.engine.port import Engine, EngineReads
from devenv.errors import DevenvError
from devenv.ops.selection import check_selection


def log_targets(
    reads: EngineReads, project: Project, instance: str, services: Sequence[str]
) -> list[tuple[str, str]]:
    """(service, container id) of the instance's containers, of `services` (empty: all), sorted."""
    return sorted(
        (c.service, c.id)
        for c in reads.containers(L.selector(project.name, instance))
        if not services or c.service in services
    )


def logs(
    project: Project,
    instance: str,
    services: Sequence[str],
    sink_for: Callable[[list[str]], LineSink],
    *,
    follow: bool = False,
    tail: Optional[int] = None,
    engine: Optional[Engine] = None,
) -> list[str]:
    """Send every line to `sink(service, line)`, the sink `sink_for(services shown)` gives;
    returns the services shown. Following ends with Ctrl-C (KeyboardInterrupt reaches the
    caller) or when every container has gone."""
    check_selection(project, services, instance)
    engine = engine or connect()
    targets = log_targets(engine, project, instance, services)
    if not targets:
        raise DevenvError(
            f"{project.name} ({instance}) has no containers", "start the stack with `devenv up`"
        )
    shown = [service for service, _ in targets]
    show_logs(engine, targets, sink_for(shown), follow=follow, tail=tail)
    return shown
