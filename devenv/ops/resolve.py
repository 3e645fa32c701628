"""Before planning: each service's image (lock, pull, build) and env (layered, with secrets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from devenv.config.model import Project, Service
from devenv.errors import DevenvError
from devenv.stack.spec import ResolvedService

LOCK_NAME = "devenv.lock"


@dataclass
class Resolution:
    services: dict[str, ResolvedService] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    secret_values: set[str] = field(default_factory=set)


def load_lock(project: Project) -> Any:
    from devenv.registry.lockfile import LockFile

    return LockFile.load(project.root / LOCK_NAME)


def service_env(
    project: Project, service: Service, profile: Optional[str]
) -> tuple[dict[str, str], str, str, set[str]]:
    """(environment, public hash, full hash, secret values): exactly what `env show SERVICE` shows."""
    from devenv.envvars import service_env as layered_env

    layered = layered_env(project, service.name, profile)
    return layered.as_dict(), layered.public_hash()[:16], layered.full_hash()[:16], layered.secret_values()


def resolve_services(
    client: Any,
    project: Project,
    services: list[Service],
    *,
    profile: Optional[str],
    pull: str = "missing",
    build: bool = False,
    progress: Optional[Callable[[Any], None]] = None,
    local_only: bool = False,
) -> Resolution:
    """`local_only`: use only images already on the engine — no pull, no build (a DevenvError
    says one is needed); the settle check of `up` runs this way over the read-only client."""
    from devenv.images.service_build import service_image_tag
    from devenv.registry.lockfile import locked_digest
    from devenv.registry.pull import ensure_image
    from devenv.registry.reference import resolve_image

    out = Resolution()
    lock = load_lock(project)
    for service in services:
        env, public, full, secrets = service_env(project, service, profile)
        out.secret_values |= secrets
        if service.build is not None:
            image_id = _built_image(
                client, project, service, rebuild=build, progress=progress, local_only=local_only
            )
            label = service.image or service_image_tag(project, service)
            resolved = ResolvedService(image_id, label, image_id, env, public, full, image_id)
        else:
            ref = resolve_image(service.image or "", project.registry)
            ensured = ensure_image(
                client,
                ref,
                locked_digest=locked_digest(lock, service.name, service.image),
                policy="never" if local_only else pull,
                progress=progress,
            )
            if ensured.warning:
                out.warnings.append(f"{service.name}: {ensured.warning}")
            label = str(resolve_image(service.image or "", project.registry))
            resolved = ResolvedService(
                ensured.run_ref,
                label,
                ensured.digest or ensured.image_id,
                env,
                public,
                full,
                ensured.image_id,
            )
        out.services[service.name] = resolved
    return out


def _built_image(
    client: Any,
    project: Project,
    service: Service,
    *,
    rebuild: bool,
    progress: Optional[Callable[[Any], None]],
    local_only: bool,
) -> str:
    from devenv.images.service_build import build_service_image, service_image_tag

    if not rebuild:
        from devenv.engine.client import inspect_image_or_none

        present = inspect_image_or_none(client, service_image_tag(project, service))
        if present is not None:
            return present["Id"]
    if local_only:
        raise DevenvError(f"{service.name}: its image is not built yet", "`devenv up` builds it")
    return build_service_image(client, project, service, progress=progress)
