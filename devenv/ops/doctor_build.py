"""`devenv doctor` on a service's own build: does its Dockerfile start from an image this machine
can reach — the team registry, a pinned digest, or an image the engine holds — and if not, which
catalog image to build from instead (through `build.from` and ${BASE_IMAGE})."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Callable, Optional

from devenv.config.model import Project, Service
from devenv.engine.port import Engine
from devenv.errors import ConfigError, DevenvError, ExitCode
from devenv.images.dockerfile import FromLine, base_arg_change, outside_bases
from devenv.images.service_build import check_from_used
from devenv.ops.doctor_checks import FAIL, OK, WARN, Check
from devenv.registry.reference import effective_registry, parse_reference, registry_host
from devenv.registry.resolve import client_for

# An outside image's name → the catalog image that stands for it (images/ of the catalog repo).
CATALOG_FOR = {
    "python": "python",
    "node": "node",
    "postgres": "postgres",
    "redis": "redis",
    "mariadb": "mariadb",
    "mysql": "mariadb",
    "debian": "base",
    "ubuntu": "base",
}


def build_check(
    client: Optional[Engine],
    project: Project,
    service: Service,
    environ: Mapping[str, str] = os.environ,
    offered: Optional[Callable[[], set[str]]] = None,
) -> Check:
    """One line for a service built from its own Dockerfile. `offered()`: the repositories of the
    team registry (asked once, only when a suggestion needs it)."""
    spec = service.build
    assert spec is not None
    check_id, title = f"image:{service.name}", f"image {service.name}"
    dockerfile = spec.context / spec.dockerfile
    if not dockerfile.is_file():
        return Check(check_id, title, FAIL, f"no Dockerfile at {dockerfile}",
                     f"add it, or fix services.{service.name}.build in devenv.toml", int(ExitCode.USER_ERROR))  # fmt: skip
    try:
        check_from_used(project, service)
    except ConfigError as err:
        return Check(check_id, title, FAIL, err.message, err.hint, int(ExitCode.USER_ERROR))
    shown = _relative(project, dockerfile)
    if spec.base:
        return Check(check_id, title, OK, f"built from {shown} on {spec.base} (build.from, pinned by devenv.lock)")
    team = effective_registry(project.registry, environ)
    for line in outside_bases(dockerfile.read_text(errors="replace")):
        problem = _unreachable(client, line, team, environ)
        if problem is None:
            continue
        status, why = problem
        where = f"{shown}:{line.line}: {line.written}"
        return Check(check_id, title, status, f"{where}: {why}", _fix(service, shown, line, team, offered),
                     int(ExitCode.REGISTRY))  # fmt: skip
    return Check(check_id, title, OK, f"built from {shown}; its base images are reachable from here")


def _unreachable(
    client: Optional[Engine], line: FromLine, team: Optional[str], environ: Mapping[str, str]
) -> Optional[tuple[str, str]]:
    """(status, why) when the build could not start from `line` here, or not from the team's
    bytes; None when it is fine (team registry, pinned, or on the engine)."""
    try:
        ref = parse_reference(line.image)
    except ConfigError as err:
        return FAIL, err.message
    if team and f"{ref.registry}/{ref.repository}".startswith(team.rstrip("/") + "/"):
        return None
    if ref.digest:
        return None  # pinned: the same bytes wherever it is pulled
    if client is not None and client.inspect_image(str(ref)) is not None:
        return None
    try:
        client_for(ref.registry, environ).manifest_digest(ref.repository, ref.reference)
    except DevenvError as err:
        return FAIL, f"{ref} cannot be pulled from here ({err.message})"
    return WARN, f"{ref} comes from {ref.registry}, not the team registry: its tag can move under you"


def _fix(
    service: Service, shown: str, line: FromLine, team: Optional[str], offered: Optional[Callable[[], set[str]]]
) -> str:
    arg, new_from = base_arg_change(line)
    name = parse_reference(line.image).repository.rsplit("/", 1)[-1]
    catalog = CATALOG_FOR.get(name)
    available = offered() if offered is not None and catalog else set()
    if catalog and catalog in available:
        return (
            f'build from the team\'s catalog image: `from = "{catalog}:latest"` in services.{service.name}.build, '
            f"and in {shown}: `{arg}` before the first FROM, line {line.line} → `{new_from}`"
        )
    where = f"the team registry ({registry_host(team)})" if team else "a registry this machine reaches"
    return f"push {line.image} to {where} and build from it (`build.from` with `{arg}` / `{new_from}`), or pin it by digest"


def _relative(project: Project, path: os.PathLike[str]) -> str:
    try:
        return str(os.path.relpath(path, project.root))
    except ValueError:
        return str(path)
