"""`devenv down`: remove exactly what devenv created for an instance. Named volumes only with
`volumes=True`; external volumes and data disks (bind mounts) never. With `dry_run`, only say
what it would remove.

The same path as `up` (`reconcile/`): one observed snapshot → a teardown plan → carried out.
Each container stops the way its service asks: the image's STOPSIGNAL (a database shuts down
cleanly), SIGKILL only after the service's own `stop_timeout`. Only reads and removals: the
lite client does it all, without loading docker-py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional

from devenv.config.model import Project
from devenv.engine.connect import light
from devenv.ops import left_networks
from devenv.ops.instance import ensure_own
from devenv.ops.instance_lock import instance_lock
from devenv.ops.progress import Progress, Waiting, silent
from devenv.reconcile.observed import Snapshot, observe
from devenv.reconcile.plan import CONTAINER, KEEP, NETWORK, REMOVE, VOLUME, Plan, teardown_plan
from devenv.reconcile.teardown import apply_teardown

if TYPE_CHECKING:  # Protocols for the type checker only (see engine/connect.py)
    from devenv.engine.port import EngineTeardown


class DownResult:
    """What was removed (names), and the named volumes kept; `plan`: the teardown, with causes.
    A plain class: `down` is the one command of its path that would load `dataclasses` (and
    compile its methods) for it."""

    def __init__(
        self, plan: Optional[Plan] = None, observed: Optional[Snapshot] = None, left_networks: Sequence[str] = ()
    ) -> None:
        self.plan = plan or Plan((), ())
        steps = self.plan.steps()
        removed = {a.id for a in steps if a.target == CONTAINER and a.kind == REMOVE}
        infos = observed.infos if observed is not None else ()
        self.containers: list[str] = sorted(c.name for c in infos if c.id in removed)
        self.networks: list[str] = [
            a.name for a in steps if a.target == NETWORK and a.kind == REMOVE and a.name not in left_networks
        ]
        # Planned for removal, kept by Docker: it holds an endpoint of a container long gone.
        self.left_networks: list[str] = list(left_networks)
        self.volumes: list[str] = [a.name for a in steps if a.target == VOLUME and a.kind == REMOVE]
        self.kept_volumes: list[str] = [a.name for a in steps if a.target == VOLUME and a.kind == KEEP]

    def left_network_warnings(self) -> list[str]:
        return [
            f"network {network} is left: Docker still counts an endpoint on it though no container is "
            "attached (its fault after many removals at once); the next `devenv up` reuses it, and "
            "restarting the Docker daemon frees it"
            for network in self.left_networks
        ]

    def add(self, other: DownResult) -> None:
        self.containers += other.containers
        self.networks += other.networks
        self.volumes += other.volumes
        self.kept_volumes += other.kept_volumes
        self.left_networks += other.left_networks


def down(
    project: Project,
    instance: str,
    *,
    volumes: bool = False,
    progress: Progress = silent,
    engine: Optional[EngineTeardown] = None,
    waiting: Optional[Waiting] = None,
    dry_run: bool = False,
) -> DownResult:
    """Take one instance down under its lock, each container with its service's stop timeout
    (`dry_run`: only plan it)."""
    engine = engine or light()
    timeouts = {s.name: s.stop_timeout_s for s in project.services}
    with instance_lock(project.root, project.name, instance, waiting=waiting, remove_after=not dry_run):
        observed = observe(engine, project.name, instance, every_volume=False)
        leftovers = ensure_own(observed.infos, project, instance, "down")  # another checkout's: raises
        if dry_run:
            return DownResult(teardown_plan(observed, volumes=volumes), observed)
        if leftovers:
            progress(f"{project.name} ({instance})", leftovers)
        return remove_instance(
            engine,
            project.name,
            instance,
            volumes=volumes,
            timeouts=timeouts,
            progress=progress,
            observed=observed,
        )


def remove_instance(
    engine: EngineTeardown,
    project_name: str,
    instance: str,
    *,
    volumes: bool,
    timeouts: Mapping[str, float],
    default_timeout: Optional[float] = None,
    progress: Progress = silent,
    observed: Optional[Snapshot] = None,
) -> DownResult:
    """`timeouts`: the stop timeout per service; a service not named there gets
    `default_timeout` (None: its container's own, the one it was created with). `observed`:
    the instance, when the caller has just read it."""
    if observed is None:
        observed = observe(engine, project_name, instance, every_volume=False)
    the_plan = teardown_plan(observed, volumes=volumes)
    networks = [a.id for a in the_plan.network if a.kind == REMOVE and a.target == NETWORK and a.id]
    stuck = left_networks.known() if networks else set()
    left = apply_teardown(
        engine, the_plan, lambda service: timeouts.get(service, default_timeout), progress, stuck=stuck
    )
    if networks:
        left_ids = [a.id for a in left if a.id]
        left_networks.note(left_ids, [i for i in networks if i not in left_ids])
    return DownResult(the_plan, observed, [a.name for a in left])
