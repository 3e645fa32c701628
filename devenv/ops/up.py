"""`devenv up`: converge the stack to devenv.toml — create only what changed, in dependency
order, waiting for health — and report what runs where.

One path: under the instance lock, resolve what the file asks for from what the engine already
has and compare it with what runs, over the cheapest client (the lite one on a local socket).
When nothing is to be done the answer comes without loading docker-py at all (its import costs
more than the whole check). When every image is present, the same client carries the plan out
(leftovers of dead `devenv test` runs go first). Only a pull or a build brings docker-py in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Optional

from devenv.config.model import Project, Service
from devenv.engine import labels as L
from devenv.engine.connect import connect
from devenv.engine.lite import lite_engine
from devenv.engine.port import Engine, EngineReads, EngineStack
from devenv.engine.records import ContainerInfo, ContainerSpec
from devenv.errors import DevenvError
from devenv.ops.instance import ensure_own
from devenv.ops.instance_lock import instance_lock
from devenv.ops.progress import Progress, Waiting, silent
from devenv.ops.resolve import Resolution, Transfer, local_services, resolve_services
from devenv.ops.selection import check_selection
from devenv.ops.stale import remove_stale, stale_instances
from devenv.registry.pull import PullEvent
from devenv.stack import names
from devenv.stack.plan import Observed, Plan, plan, with_dependencies
from devenv.stack.spec import container_spec


class UpOptions:
    """What `up` is asked to do. This and UpResult are plain classes, not dataclasses: every `up`
    imports them, and a dataclass compiles its generated methods at import."""

    __slots__ = ("build", "extra_labels", "force_recreate", "instance", "profile", "pull", "services", "wait")

    def __init__(
        self,
        instance: str = names.DEFAULT_INSTANCE,
        services: Sequence[str] = (),  # empty = all
        profile: Optional[str] = None,
        pull: str = "missing",
        build: bool = False,
        force_recreate: Sequence[str] = (),
        wait: bool = True,
        extra_labels: Optional[dict[str, str]] = None,
    ) -> None:
        self.instance = instance
        self.services = services
        self.profile = profile
        self.pull = pull
        self.build = build
        self.force_recreate = force_recreate
        self.wait = wait
        self.extra_labels: dict[str, str] = {} if extra_labels is None else extra_labels

    @property
    def may_settle(self) -> bool:
        """Whether an `up` with these options can be a no-op (nothing forces work)."""
        return not (self.force_recreate or self.build or self.pull == "always")


class UpResult:
    __slots__ = ("plan", "seconds", "secret_values", "specs", "warnings")

    def __init__(
        self,
        plan: Plan,
        specs: list[ContainerSpec],
        warnings: list[str],
        secret_values: set[str],
        seconds: float,
    ) -> None:
        self.plan = plan
        self.specs = specs
        self.warnings = warnings
        self.secret_values = secret_values
        self.seconds = seconds

    @property
    def changed(self) -> list[str]:
        return [a.service for a in self.plan.changes]


def up(
    project: Project,
    options: UpOptions,
    *,
    progress: Progress = silent,
    transfer: Optional[Transfer] = None,
    waiting: Optional[Waiting] = None,
    engine: Optional[Engine] = None,
) -> UpResult:
    """`transfer` receives pull events and build lines as they are (else `progress` gets text)."""
    started = time.monotonic()
    check_selection(project, options.services, options.instance)
    services = _selected(project, options)
    with instance_lock(project.root, project.name, options.instance, waiting=waiting):
        reads, engine = _clients(engine)
        resolution = _local(reads, project, services, options)
        observed = reads.containers(L.selector(project.name, options.instance))
        taken_over = ensure_own(observed, project, options.instance, "up")  # another checkout's: raises
        if resolution is not None:
            specs = _specs(project, services, options, resolution)
            the_plan = _plan(specs, observed, options)
            if the_plan.is_noop and not _unhealthy(observed) and not stale_instances(reads, project.name):
                warnings = [*([taken_over] if taken_over else []), *resolution.warnings]
                return UpResult(the_plan, specs, warnings, resolution.secret_values, time.monotonic() - started)
        if resolution is None:  # something to pull or build: docker-py's part
            full = engine or connect(verify=False)  # the reads above just talked to the engine
            remove_stale(full, project.name, progress)  # leftovers of dead `devenv test` runs
            resolution = resolve_services(
                full,
                project,
                services,
                profile=options.profile,
                pull=options.pull,
                build=options.build,
                progress=transfer or _as_text(progress),
            )
            stack: EngineStack = full
        else:  # every image is here: the client that read can carry the plan out (no docker-py)
            stack = engine or reads
            remove_stale(stack, project.name, progress)
        specs = _specs(project, services, options, resolution)
        the_plan = _plan(specs, observed, options)
        # Carrying a plan out (health waits, port checks, removals) is not a no-op's: loaded here.
        from devenv.ops.apply import apply_plan

        apply_plan(stack, project, options.instance, the_plan, specs, progress=progress, wait=options.wait)
    warnings = [*([taken_over] if taken_over else []), *resolution.warnings]
    return UpResult(the_plan, specs, warnings, resolution.secret_values, time.monotonic() - started)


def _clients(engine: Optional[Engine]) -> tuple[EngineStack, Optional[Engine]]:
    """(what reads, the full engine if there already is one): the given engine, else the lite
    client on a local socket (docker-py only for pulls and builds), else docker-py for both."""
    if engine is not None:
        return engine, engine
    lite = lite_engine()
    if lite is not None:
        return lite, None
    full = connect()
    return full, full


def _selected(project: Project, options: UpOptions) -> list[Service]:
    deps = {s.name: s.depends_on for s in project.services}
    wanted = with_dependencies(deps, options.services) if options.services else set(deps)
    return [s for s in project.services if s.name in wanted]


def _local(
    reads: EngineReads, project: Project, services: list[Service], options: UpOptions
) -> Optional[Resolution]:
    """The resolution from what the engine has, or None: something to pull or build (the full
    path does it, and reports its errors), or options that force work anyway."""
    if not options.may_settle:
        return None
    try:
        return local_services(reads, project, services, profile=options.profile)
    except DevenvError:
        return None


def _specs(
    project: Project, services: list[Service], options: UpOptions, resolution: Resolution
) -> list[ContainerSpec]:
    shim_dir, wrap = None, None
    if any(s.restart and s.command for s in services):
        # The shim's module loads shutil and tempfile: only for stacks that use it.
        from devenv.watch.supervisor import shim_host_dir, wrap_command

        shim_dir, wrap = str(shim_host_dir()), wrap_command
    extra = {**options.extra_labels, **({L.PROFILE: options.profile} if options.profile else {})}
    return [
        container_spec(
            project,
            s,
            options.instance,
            resolution.services[s.name],
            shim_dir=shim_dir,
            wrap=wrap,
            extra_labels=extra,
        )
        for s in services
    ]


def _plan(specs: list[ContainerSpec], observed: list[ContainerInfo], options: UpOptions) -> Plan:
    return plan(
        specs,
        [Observed.of(c) for c in observed],
        selected=options.services or None,
        force_recreate=options.force_recreate,
    )


def _unhealthy(observed: list[ContainerInfo]) -> bool:
    return any(c.health == "unhealthy" for c in observed)


def _as_text(progress: Progress) -> Transfer:
    def say(event: PullEvent | str) -> None:
        if isinstance(event, str):  # a build output line
            progress("build", event.rstrip())
            return
        layer = f"{event.layer} " if event.layer else ""
        size = f" {event.current or 0}/{event.total} bytes" if event.total else ""
        progress(event.image, f"{layer}{event.status}{size}")

    return say


def rebuild_service(
    project: Project, instance: str, service: str, *, profile: Optional[str] = None
) -> UpResult:
    """The watch `rebuild` action: build the service's image again and recreate only it."""
    options = UpOptions(
        instance=instance, services=[service], profile=profile, build=True, force_recreate=[service]
    )
    return up(project, options)
