"""`devenv up`: converge the stack to devenv.toml — create only what changed, in dependency
order, waiting for health — and report what runs where."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional

from devenv.config.model import Project
from devenv.engine.client import connect
from devenv.engine.lite import lite_client
from devenv.engine.observe import list_containers
from devenv.errors import DevenvError
from devenv.ops.instance_lock import instance_lock
from devenv.ops.resolve import resolve_services
from devenv.stack import names
from devenv.stack.plan import Plan, plan
from devenv.stack.spec import ContainerSpec, container_spec


@dataclass
class UpOptions:
    instance: str = names.DEFAULT_INSTANCE
    services: Sequence[str] = ()  # empty = all
    profile: Optional[str] = None
    pull: str = "missing"
    build: bool = False
    force_recreate: Sequence[str] = ()
    wait: bool = True
    extra_labels: dict[str, str] = field(default_factory=dict)


@dataclass
class UpResult:
    plan: Plan
    specs: list[ContainerSpec]
    warnings: list[str]
    secret_values: set[str]
    seconds: float

    @property
    def changed(self) -> list[str]:
        return [a.service for a in self.plan.changes]


Progress = Callable[[str, str], None]


def check_selection(project: Project, selected: Sequence[str], instance: str) -> None:
    if not names.valid_instance(instance):
        raise DevenvError(
            f'instance name "{instance}" is not valid',
            "use 1-31 characters: lower-case letters, digits, - and _",
        )
    known = set(project.service_names)
    if not known:
        raise DevenvError(
            f"{project.config_file.name} declares no services",
            'add one, e.g. [services.web] with image = "NAME:TAG"',
        )
    for name in selected:
        if name not in known:
            raise DevenvError(
                f'unknown service "{name}"', f"services in devenv.toml: {', '.join(sorted(known))}"
            )


def desired_specs(
    client: Any,
    project: Project,
    options: UpOptions,
    progress: Optional[Progress],
    *,
    transfer: Optional[Callable[[Any], None]] = None,
    local_only: bool = False,
) -> tuple[list[ContainerSpec], Any]:
    """`transfer` receives pull events and build lines as they are (else `progress` gets text)."""
    from devenv.stack.plan import with_dependencies

    deps = {s.name: s.depends_on for s in project.services}
    wanted = with_dependencies(deps, options.services) if options.services else set(deps)
    services = [s for s in project.services if s.name in wanted]
    resolution = resolve_services(
        client,
        project,
        services,
        profile=options.profile,
        pull=options.pull,
        build=options.build,
        progress=transfer
        or ((lambda event: progress(getattr(event, "image", ""), _pull_text(event))) if progress else None),
        local_only=local_only,
    )
    shim_dir, wrap = _supervisor() if any(s.restart and s.command for s in services) else (None, None)
    specs = [
        container_spec(
            project,
            s,
            options.instance,
            resolution.services[s.name],
            shim_dir=shim_dir,
            wrap=wrap,
            extra_labels={
                **options.extra_labels,
                **({names.PROFILE: options.profile} if options.profile else {}),
            },
        )
        for s in services
    ]
    return specs, resolution


def _supervisor() -> tuple[Optional[str], Optional[Callable[[Sequence[str]], list[str]]]]:
    from devenv.watch.supervisor import shim_host_dir, wrap_command

    return str(shim_host_dir()), wrap_command


def _pull_text(event: Any) -> str:
    if isinstance(event, str):  # a build output line
        return event.rstrip()
    layer = f"{event.layer} " if getattr(event, "layer", None) else ""
    size = ""
    if getattr(event, "total", None):
        size = f" {event.current or 0}/{event.total} bytes"
    return f"{layer}{event.status}{size}"


def up(
    project: Project,
    options: UpOptions,
    *,
    progress: Optional[Progress] = None,
    transfer: Optional[Callable[[Any], None]] = None,
    waiting: Optional[Callable[[str], None]] = None,
    client: Any = None,
) -> UpResult:
    started = time.monotonic()
    check_selection(project, options.services, options.instance)
    check = _SettleCheck()
    if client is None:
        check = _settled(project, options, started, waiting)
        if check.result is not None:
            return check.result
        client = connect(verify=not check.reached)
    from devenv.engine.apply import apply_plan
    from devenv.ops.testrun import cleanup_stale

    if not check.no_stale:
        cleanup_stale(client, project.name, progress)  # leftovers of `devenv test` runs whose devenv died
    with instance_lock(project.root, project.name, options.instance, waiting=waiting):
        specs, resolution = check.prepared or desired_specs(
            client, project, options, progress, transfer=transfer
        )
        observed = [c.observed() for c in list_containers(client, project.name, options.instance)]
        the_plan = plan(
            specs, observed, selected=options.services or None, force_recreate=options.force_recreate
        )
        apply_plan(client, project, options.instance, the_plan, specs, progress=progress, wait=options.wait)
    return UpResult(
        the_plan, specs, resolution.warnings, resolution.secret_values, time.monotonic() - started
    )


class _SettleCheck(NamedTuple):
    result: Optional[UpResult] = None  # set: nothing to do, this is the answer
    prepared: Optional[tuple[list[ContainerSpec], Any]] = None  # specs + resolution, all images local
    no_stale: bool = False  # True: no stale test instance to clean up (checked just now)

    @property
    def reached(self) -> bool:
        """The engine answered the check (it got as far as comparing containers)."""
        return self.result is not None or self.prepared is not None


def _settled(
    project: Project, options: UpOptions, started: float, waiting: Optional[Callable[[str], None]]
) -> _SettleCheck:
    """The no-op check over the lite client: when every image is present, every container
    matches its spec and runs, and no stale test instance waits for cleanup, the result comes
    without importing docker-py at all (its import costs more than the whole check). Otherwise
    what it learnt, so a cold `up` does not resolve config, env and images twice, nor look for
    stale test instances again."""
    if options.force_recreate or options.build or options.pull == "always":
        return _SettleCheck()
    lite = lite_client()
    if lite is None:
        return _SettleCheck()
    from devenv.ops.stale import stale_instances

    with instance_lock(project.root, project.name, options.instance, waiting=waiting):
        try:
            prepared = desired_specs(lite, project, options, None, local_only=True)
        except DevenvError:
            return _SettleCheck()  # an image to pull or build: the full path does it (and reports errors)
        specs, resolution = prepared
        containers = list_containers(lite, project.name, options.instance)
        the_plan = plan(specs, [c.observed() for c in containers], selected=options.services or None)
    no_stale = not stale_instances(lite, project.name)
    if not no_stale or not the_plan.is_noop or any(c.health == "unhealthy" for c in containers):
        return _SettleCheck(None, prepared, no_stale)
    elapsed = time.monotonic() - started
    result = UpResult(the_plan, specs, resolution.warnings, resolution.secret_values, elapsed)
    return _SettleCheck(result, None, True)


def rebuild_service(
    project: Project, instance: str, service: str, *, profile: Optional[str] = None
) -> UpResult:
    """The watch `rebuild` action: build the service's image again and recreate only it."""
    options = UpOptions(
        instance=instance, services=[service], profile=profile, build=True, force_recreate=[service]
    )
    return up(project, options)
