"""The dashboard's actions, each through the use case and instance lock the CLI uses: restart
a service's container, rebuild it (`watch`'s rebuild: build, recreate only it), `up`, `down`."""

from __future__ import annotations

from typing import Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.port import Engine
from devenv.errors import DevenvError
from devenv.ops.instance_lock import instance_lock

# The dashboard's buttons (its own words: restarting a container here is not a watch action).
RESTART, REBUILD, UP, DOWN = "restart", "rebuild", "up", "down"
ACTIONS = (RESTART, REBUILD, UP, DOWN)


def _service(project: Project, service: Optional[str]) -> str:
    if not service or service not in project.service_names:
        raise DevenvError(f"no service {service!r} in {project.config_file}", "pick one the page lists")
    return service


def run_action(
    project: Project, instance: str, action: str, service: Optional[str], engine: Engine, *, trust: bool
) -> str:
    """What was done, in one line; a DevenvError when it could not be."""
    if action == RESTART:
        name = _service(project, service)
        from devenv.watch.actions import restart_container

        with instance_lock(project.root, project.name, instance):
            found = engine.containers(L.selector(project.name, instance, name))
            if not found:
                raise DevenvError(f"{name} has no container in instance {instance}", "start it with Up")
            details = engine.inspect_container(found[0].id)
            restart_container(engine, details, timeout=project.service(name).stop_timeout_s)
        return f"restarted {name}"
    if action in (REBUILD, UP):
        from devenv.ops.trust import require

        require(project, "containers", assume=trust)  # as `devenv up` refuses an untrusted grant
        from devenv.ops.up import UpOptions, rebuild_service, up

        if action == REBUILD:
            result = rebuild_service(project, instance, _service(project, service))
        else:
            result = up(project, UpOptions(instance=instance), engine=engine)
        changed = len(result.plan.changes)
        what = "up to date" if result.plan.is_noop else f"{changed} change{'s' if changed != 1 else ''}"
        return f"{action}: {what} in {result.seconds:.1f}s"
    if action == DOWN:
        from devenv.ops.down import down

        removed = down(project, instance, engine=engine)
        return f"down: removed {len(removed.containers)} container{'s' if len(removed.containers) != 1 else ''}"
    raise DevenvError(f"unknown action {action!r}", f"one of {', '.join(ACTIONS)}")
