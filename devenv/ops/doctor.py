"""`devenv doctor`: can this machine run the project's stack? One `Check` per line, each
problem with its exact fix. Machine checks live in `doctor_checks`; this module runs them and
adds the project's: config, registries, images, data paths, ports.

An invalid devenv.toml (a missing data path included) is itself a failed check: the checks that
need no project still run, so a new hire sees every problem at once."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, NamedTuple, Optional

from devenv.config.find import find_config
from devenv.config.load import load_project
from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import connect
from devenv.engine.host import engine_host
from devenv.engine.kind import EngineKind, engine_kind
from devenv.engine.podman import serving_process
from devenv.engine.port import Engine
from devenv.engine.records import JSON
from devenv.envvars.redact import mask_url_credentials
from devenv.errors import ConfigError, DevenvError, ExitCode, RegistryUnreachable
from devenv.ops.doctor_build import build_check
from devenv.ops.doctor_checks import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    clock_check,
    disk_check,
    engine_check,
    inotify_check,
    socket_check,
)
from devenv.ops.doctor_engine import (
    init_binary,
    init_check,
    podman_sockets,
    registry_http_check,
    unreachable_fix,
)
from devenv.ops.doctor_render import render_tool_checks
from devenv.ops.trust import doctor_checks as trust_checks
from devenv.reconcile.resolve import load_lock
from devenv.registry.api import use_plain_http
from devenv.registry.lockfile import locked_digest
from devenv.registry.reference import ImageRef, effective_registry, registry_host, resolve_image
from devenv.registry.resolve import client_for
from devenv.stack.ports import port_is_free

DOCTOR_TIMEOUT_S = 10.0  # the engine connection; registries use their own deadlines
NEEDS_ENGINE = "skipped: needs the engine"


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.status == FAIL for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0, or the exit code of the first check that blocks `devenv up`."""
        for check in self.checks:
            if check.status == FAIL:
                return check.exit_code
        return int(ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        checks = []
        for check in self.checks:
            row = asdict(check)
            row["exit_code"] = check.exit_code if check.status == FAIL else None  # only blockers have one
            checks.append(row)
        return {"ok": self.ok, "exit_code": self.exit_code, "checks": checks}


def run_doctor(start: Path, explicit: bool = False, environ: Mapping[str, str] = os.environ) -> DoctorReport:
    report = DoctorReport()
    project, root, config = _config(start, explicit)
    report.checks.append(config)
    try:
        host = engine_host()
    except DevenvError as err:  # a broken docker context: nothing engine-side can be checked
        host = "(no engine address)"
        seen = _Seen(None, engine_check(host, None, err))
    else:
        seen = _engine(host)
    client, kind, info = seen.engine, seen.kind, seen.info
    report.checks += [seen.check, socket_check(host)]
    if client is None or kind is None:
        report.checks += [
            Check("disk", "disk", SKIP, NEEDS_ENGINE),
            Check("clock", "clock", SKIP, NEEDS_ENGINE),
        ]
    else:
        report.checks += [
            disk_check(host, info.get("DockerRootDir")),
            clock_check(info.get("SystemTime"), *seen.info_times),
        ]
        init = init_check(kind, serving_process(host) == "podman", init_binary())
        report.checks += [init] if init else []
    if project is not None:
        report.checks += registry_and_image_checks(client, project, environ, kind=kind, info=info)
        report.checks += [data_check(project), *port_checks(client, project)]
        report.checks += render_tool_checks(project)
        report.checks += trust_checks(project)  # after the machine's: its exit code (7) comes last
    if root is None:
        report.checks.append(Check("inotify", "inotify", SKIP, "no project folder to count"))
    else:
        report.checks.append(inotify_check(root))
    if client is not None:
        client.close()
    report.checks = [_masked(c) for c in report.checks]
    return report


def _masked(check: Check) -> Check:
    """A registry address may carry a password (`https://u:pw@host/team`): never shown."""
    fix = None if check.fix is None else mask_url_credentials(check.fix)
    return replace(check, detail=mask_url_credentials(check.detail), fix=fix)


def _config(start: Path, explicit: bool) -> tuple[Optional[Project], Optional[Path], Check]:
    try:
        root = find_config(start, explicit).parent
    except ConfigError as err:
        return None, None, Check("config", "devenv.toml", FAIL, err.message, err.hint)
    try:
        project = load_project(start, explicit)
    except ConfigError as err:
        return None, root, Check("config", "devenv.toml", FAIL, err.message, err.hint)
    count = len(project.services)
    detail = (
        f"{project.config_file} is valid: project {project.name}, {count} service{'s' if count != 1 else ''}"
    )
    return project, project.root, Check("config", "devenv.toml", OK, detail)


class _Seen(NamedTuple):
    """What connecting to the engine showed: its line, what it is, its info (and the local
    times around the info call, for the clock check)."""

    engine: Optional[Engine]
    check: Check
    kind: Optional[EngineKind] = None
    info: Mapping[str, Any] = MappingProxyType({})
    info_times: tuple[float, float] = (0.0, 0.0)


def _engine(host: str) -> _Seen:
    try:
        engine = connect(timeout=DOCTOR_TIMEOUT_S)
        version = engine.version()
    except DevenvError as err:
        fix = unreachable_fix(
            host,
            podman_sockets(),
            podman_installed=shutil.which("podman") is not None,
            docker_installed=shutil.which("dockerd") is not None or shutil.which("docker") is not None,
        )
        return _Seen(None, engine_check(host, None, err, fix=fix))
    before = time.time()
    info = _info(engine)
    after = time.time()
    rootless = info.get("Rootless")  # Podman says; Docker lists "name=rootless" in SecurityOptions
    if not isinstance(rootless, bool):
        rootless = any("rootless" in str(o) for o in info.get("SecurityOptions") or ())
    check = engine_check(host, version, None, rootless=rootless)
    return _Seen(engine, check, engine_kind(version), info, (before, after))


def _info(engine: Engine) -> JSON:
    try:
        return engine.info()
    except DevenvError:
        return {}


# --- registries and images ---
@dataclass
class _Registry:
    host: str
    user: Optional[str] = None  # logged in as
    error: Optional[DevenvError] = None
    unreachable: bool = False


def registry_and_image_checks(
    client: Optional[Engine],
    project: Project,
    environ: Mapping[str, str],
    *,
    kind: Optional[EngineKind] = None,
    info: Optional[Mapping[str, Any]] = None,
) -> list[Check]:
    """One line per registry the project pulls from, then one per service image. A registry that
    is down blocks `up` only when some image is not on the engine already."""
    hosts: list[str] = []
    project_registry = effective_registry(project.registry, environ)
    if project_registry:
        hosts.append(registry_host(project_registry))
    refs: dict[str, ImageRef] = {}
    image_errors: dict[str, Check] = {}
    for service in project.services:
        if service.build is not None or not service.image:
            continue
        try:
            ref = resolve_image(service.image, project.registry, environ)
        except ConfigError as err:
            image_errors[service.name] = _image_line(service.name, FAIL, err.message, err.hint)
            continue
        refs[service.name] = ref
        if ref.registry not in hosts:
            hosts.append(ref.registry)
    registries = {host: _probe_registry(host, environ) for host in hosts}
    images = [*image_errors.values(), *_image_checks(client, project, refs, registries)]
    missing = any(c.status == FAIL for c in images)
    lines = [_registry_line(r, blocking=missing or client is None) for r in registries.values()]
    if kind is not None:  # the engine pulls too: over plain HTTP where devenv does?
        lines += [
            registry_http_check(kind, info or {}, host, blocking=missing)
            for host in registries
            if use_plain_http(host, environ)
        ]
    return lines + sorted(images, key=lambda c: c.id)


def _probe_registry(host: str, environ: Mapping[str, str]) -> _Registry:
    probe = _Registry(host)
    try:
        api = client_for(host, environ)
        api.check_login()
        creds = api.credentials
        probe.user = (creds.username or "token") if creds is not None else None
    except RegistryUnreachable as err:
        probe.error, probe.unreachable = err, True
    except DevenvError as err:
        probe.error = err
    return probe


def _registry_line(probe: _Registry, *, blocking: bool) -> Check:
    check_id, title, code = f"registry:{probe.host}", "registry", int(ExitCode.REGISTRY)
    if probe.error is None:
        who = f"logged in as {probe.user}" if probe.user else "no login needed"
        return Check(check_id, title, OK, f"{probe.host} reachable, {who}")
    message, hint = probe.error.message, probe.error.hint
    if probe.unreachable and not blocking:
        return Check(
            check_id,
            title,
            WARN,
            f"{message}; every image is already on the engine, so `up` works offline",
            hint,
        )
    return Check(check_id, title, FAIL, message, hint, code)


def _image_line(
    service: str, status: str, detail: str, fix: Optional[str] = None, code: ExitCode = ExitCode.REGISTRY
) -> Check:
    return Check(f"image:{service}", f"image {service}", status, detail, fix, int(code))


def _image_checks(
    client: Optional[Engine], project: Project, refs: dict[str, ImageRef], registries: dict[str, _Registry]
) -> list[Check]:
    checks = []
    offered = _team_repositories(project)
    for service in project.services:
        if service.build is not None:
            checks.append(build_check(client, project, service, offered=offered))
    try:
        lock = load_lock(project)
    except DevenvError as err:
        return [*checks, Check("lock", "devenv.lock", FAIL, err.message, err.hint)]
    for name, ref in refs.items():
        digest = locked_digest(lock, name, project.service(name).image)
        wanted = ref.pinned(digest) if digest else ref
        if client is None:
            checks.append(_image_line(name, SKIP, f"{wanted.display}: {NEEDS_ENGINE}"))
            continue
        if client.inspect_image(str(wanted)) is not None:
            checks.append(_image_line(name, OK, f"{wanted.display} is on the engine"))
            continue
        probe = registries.get(ref.registry)
        if probe is not None and probe.error is not None:
            checks.append(
                _image_line(
                    name,
                    FAIL,
                    f"{wanted.display} is not on the engine and its registry cannot serve it",
                    "fix the registry line above, then `devenv pull`",
                )
            )
            continue
        try:
            client_for(ref.registry).manifest_digest(wanted.repository, wanted.reference)
        except DevenvError as err:
            checks.append(_image_line(name, FAIL, err.message, err.hint))
            continue
        checks.append(_image_line(name, OK, f"{wanted.display} can be pulled (`devenv pull`)"))
    return checks


def _team_repositories(project: Project) -> Callable[[], set[str]]:
    """The team registry's repositories (its team path cut off), asked once when first needed."""
    found: list[set[str]] = []

    def ask() -> set[str]:
        if not found:
            from devenv.registry.offer import team_repositories

            found.append(team_repositories(project.registry))
        return found[0]

    return ask


# --- data paths and ports ---
def data_check(project: Project) -> Check:
    """The loader already refused missing data paths; here: can this user read them?"""
    mounts = [(s.name, m) for s in project.services for m in s.data]
    if not mounts:
        return Check("data", "data paths", OK, "none declared")
    for service, mount in mounts:
        if not os.access(mount.source, os.R_OK):
            return Check(
                "data",
                "data paths",
                FAIL,
                f"{mount.source} (services.{service}.data) exists but you may not read it",
                f"check its permissions: `ls -ld {mount.source}`",
            )
    shown = ", ".join(str(m.source) for _, m in mounts)
    return Check("data", "data paths", OK, f"{len(mounts)} present: {shown}")


def port_checks(client: Optional[Engine], project: Project) -> list[Check]:
    """Each fixed host port: free, or published by this project's own containers. A taken port
    blocks `up` only when it is `strict`; otherwise `up` takes the next free one."""
    ours = _published_by_project(client, project)
    checks = []
    for service in project.services:
        for port in service.ports:
            if port.host == 0:
                continue
            where = f"{port.host_ip}:{port.host}/{port.protocol}"
            check_id, title = f"port:{service.name}:{port.host}", f"port {port.host}"
            owner = ours.get((port.host, port.protocol))
            if owner:
                checks.append(Check(check_id, title, OK, f"{where} is published by {owner}"))
            elif port_is_free(port.host_ip, port.host, port.protocol):
                checks.append(Check(check_id, title, OK, f"{where} is free ({service.name})"))
            else:
                fix = (
                    f"stop what listens there (`ss -ltnp 'sport = :{port.host}'` shows it), "
                    f"or change services.{service.name}.ports in devenv.toml"
                )
                if port.strict:
                    checks.append(
                        Check(
                            check_id,
                            title,
                            FAIL,
                            f"{where} is taken and {service.name}'s port is strict",
                            fix,
                        )
                    )
                else:
                    detail = (
                        f"{where} is taken: {service.name} will get the next free port (see `devenv status`)"
                    )
                    checks.append(Check(check_id, title, WARN, detail, fix))
    return checks


def _published_by_project(client: Optional[Engine], project: Project) -> dict[tuple[int, str], str]:
    if client is None:
        return {}
    try:
        containers = client.containers(L.selector(project.name))
    except DevenvError:
        return {}
    return {
        (host_port, proto): f"{project.name} ({c.instance}) {c.service}"
        for c in containers
        for _ip, host_port, _container_port, proto in c.ports
    }
