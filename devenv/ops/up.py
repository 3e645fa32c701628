"""`devenv up`: converge the stack to devenv.toml — create only what changed, in dependency
order, waiting for health — and report what runs where; or, with `dry_run`, only say what it
would do and why.

One path (`reconcile/`): under the instance lock, desired state (each service's env, resolved
once, and image; the specs) → one observed snapshot (containers, network, volumes) → a plan of
typed actions with their causes → apply. Over the cheapest client (the lite one on a local
socket): when nothing is to be done the answer comes without loading docker-py at all (its
import costs more than the whole check). When every image is present, the same client carries
the plan out (leftovers of dead `devenv test` runs go first). Only a pull or a build brings
docker-py in; a dry run never does either.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Optional

from devenv.config.model import Project, Service
from devenv.engine.connect import connect
from devenv.engine.lite import lite_engine
from devenv.engine.port import Engine, EngineReads, EngineStack
from devenv.engine.records import ContainerInfo, ContainerSpec
from devenv.errors import DevenvError
from devenv.ops.instance import ensure_own
from devenv.ops.instance_lock import instance_lock
from devenv.ops.progress import Progress, Waiting, silent
from devenv.ops.selection import check_selection
from devenv.ops.stale import remove_stale, stale_instances
from devenv.reconcile.desired import Desired, desired_state
from devenv.reconcile.observed import Snapshot, observe, with_env
from devenv.reconcile.plan import INSTANCE, REMOVE, Action, Plan, plan, with_dependencies
from devenv.reconcile.resolve import (
    Envs,
    Resolution,
    Transfer,
    local_services,
    preview_services,
    resolve_envs,
    resolve_services,
)
from devenv.registry.pull import PullEvent
from devenv.stack import names


class UpOptions:
    """What `up` is asked to do. This and UpResult are plain classes, not dataclasses: every `up`
    imports them, and a dataclass compiles its generated methods at import."""

    __slots__ = (
        "build",
        "dry_run",
        "extra_labels",
        "force_recreate",
        "instance",
        "profile",
        "pull",
        "services",
        "wait",
    )

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
        dry_run: bool = False,
    ) -> None:
        self.instance = instance
        self.services = services
        self.profile = profile
        self.pull = pull
        self.build = build
        self.force_recreate = force_recreate
        self.wait = wait
        self.extra_labels: dict[str, str] = {} if extra_labels is None else extra_labels
        self.dry_run = dry_run  # plan only: reads (the engine's, a registry's digests), no change

    @property
    def may_settle(self) -> bool:
        """Whether an `up` with these options can be a no-op (nothing forces work)."""
        return not (self.force_recreate or self.build or self.pull == "always")


class UpResult:
    __slots__ = ("plan", "seconds", "secret_values", "specs", "unchanged", "warnings")

    def __init__(
        self,
        plan: Plan,
        desired: Desired,
        warnings: list[str],
        secret_values: set[str],
        started: float,
        unchanged: Optional[Sequence[ContainerInfo]] = None,
    ) -> None:
        self.plan = plan
        # A no-op's containers as it read them, which are as they are now: what its summary
        # shows without asking the engine again. None after any change.
        self.unchanged = unchanged
        self.specs: list[ContainerSpec] = list(desired.specs)
        self.warnings = warnings
        self.secret_values = secret_values
        self.seconds = time.monotonic() - started

    @property
    def changed(self) -> list[str]:
        return [a.service for a in self.plan.changes]


def up(
    project: Project,
    options: UpOptions,
    *,
    envs: Optional[Envs] = None,
    progress: Progress = silent,
    transfer: Optional[Transfer] = None,
    waiting: Optional[Waiting] = None,
    engine: Optional[Engine] = None,
) -> UpResult:
    """`envs`: the services' envs for `options.profile`, when the caller resolved them already
    (the CLI does, to redact their secrets); `transfer` receives pull events and build lines as
    they are (else `progress` gets text)."""
    started = time.monotonic()
    check_selection(project, options.services, options.instance)
    services = _selected(project, options)
    if envs is None or envs.profile != options.profile or not all(envs.has(s.name) for s in services):
        envs = resolve_envs(project, services, options.profile)
    with instance_lock(project.root, project.name, options.instance, waiting=waiting):
        reads, engine = _clients(engine)
        observed = observe(reads, project.name, options.instance)
        taken_over = ensure_own(observed.infos, project, options.instance, "up")  # another checkout's: raises
        notes = [taken_over] if taken_over else []
        if options.dry_run:
            preview = preview_services(reads, project, services, envs, pull=options.pull, build=options.build)
            desired = _desired(project, services, options, preview)
            dead = [
                Action(REMOVE, name, None, "a `devenv test` run whose devenv died", INSTANCE)
                for _, name in stale_instances(reads, project.name)
            ]
            the_plan = _plan(desired, with_env(reads, observed, desired.specs), options, preview, dead)
            return UpResult(the_plan, desired, [*notes, *preview.warnings], preview.secret_values, started)
        resolution = _local(reads, project, services, envs, options)
        if resolution is not None:
            desired = _desired(project, services, options, resolution)
            the_plan = _plan(desired, observed, options)
            if the_plan.is_noop and not _unhealthy(observed) and not stale_instances(reads, project.name):
                warnings = [*notes, *resolution.warnings]
                return UpResult(
                    the_plan, desired, warnings, resolution.secret_values, started, observed.infos
                )
        if resolution is None:  # something to pull or build: docker-py's part
            full = engine or connect(verify=False)  # the reads above just talked to the engine
            _, stale = remove_stale(full, project.name, progress)  # leftovers of dead `devenv test` runs
            resolution = resolve_services(
                full,
                project,
                services,
                envs,
                pull=options.pull,
                build=options.build,
                progress=transfer or _as_text(progress),
            )
            stack: EngineStack = full
        else:  # every image is here: the client that read can carry the plan out (no docker-py)
            stack = engine or reads
            _, stale = remove_stale(stack, project.name, progress)
        desired = _desired(project, services, options, resolution)
        the_plan = _plan(desired, with_env(stack, observed, desired.specs), options)
        # Carrying a plan out (health waits, port checks, removals) is not a no-op's: loaded here.
        from devenv.reconcile.apply import apply_plan

        apply_plan(stack, project, options.instance, the_plan, desired, progress=progress, wait=options.wait)
    warnings = [*notes, *resolution.warnings, *stale.left_network_warnings()]
    return UpResult(the_plan, desired, warnings, resolution.secret_values, started)


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
    reads: EngineReads, project: Project, services: list[Service], envs: Envs, options: UpOptions
) -> Optional[Resolution]:
    """The resolution from what the engine has, or None: something to pull or build (the full
    path does it, and reports its errors), or options that force work anyway."""
    if not options.may_settle:
        return None
    try:
        return local_services(reads, project, services, envs)
    except DevenvError:
        return None


def _desired(
    project: Project, services: list[Service], options: UpOptions, resolution: Resolution
) -> Desired:
    return desired_state(
        project,
        services,
        options.instance,
        resolution.services,
        profile=options.profile,
        extra_labels=options.extra_labels,
    )


def _plan(
    desired: Desired,
    observed: Snapshot,
    options: UpOptions,
    resolution: Optional[Resolution] = None,
    leftovers: Sequence[Action] = (),
) -> Plan:
    return plan(
        desired,
        observed,
        selected=options.services or None,
        force_recreate=options.force_recreate,
        images=resolution.pending if resolution is not None else (),
        leftovers=leftovers,
    )


def _unhealthy(observed: Snapshot) -> bool:
    return any(c.health == "unhealthy" for c in observed.infos)


def _as_text(progress: Progress) -> Transfer:
    def say(event: PullEvent | str) -> None:
        if isinstance(event, str):  # a build output line
            progress("build", event.rstrip())
            return
        layer = f"{event.layer} " if event.layer else ""
        size = f" {event.current or 0}/{event.total} bytes" if event.total else ""
        progress(event.image, f"{layer}{event.status}{size}")

    return say


def service_envs(project: Project, profile: Optional[str]) -> Envs:
    """Every service's env for `profile`, resolved once: the CLI redacts their secrets and hands
    them to `up`, which creates from them."""
    return resolve_envs(project, project.services, profile)


def rebuild_service(
    project: Project, instance: str, service: str, *, profile: Optional[str] = None
) -> UpResult:
    """The watch `rebuild` action: build the service's image again and recreate only it."""
    options = UpOptions(
        instance=instance, services=[service], profile=profile, build=True, force_recreate=[service]
    )
    return up(project, options)
