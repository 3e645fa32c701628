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
            image_id, warning = _built_image(
                client, project, service, lock=lock, pull=pull, rebuild=build, progress=progress,
                local_only=local_only,
            )  # fmt: skip
            if warning:
                out.warnings.append(f"{service.name}: {warning}")
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
    lock: Any,
    pull: str,
    rebuild: bool,
    progress: Optional[Callable[[Any], None]],
    local_only: bool,
) -> tuple[str, Optional[str]]:
    """(image id, warning): the service's own image, built again only when what it is built
    from changed (Dockerfile, args, the pinned base) or `rebuild` asks."""
    from devenv.engine.client import inspect_image_or_none
    from devenv.images.service_build import INPUTS_LABEL, build_inputs, build_service_image, service_image_tag

    base = base_id = warning = None
    spec = service.build
    if spec is not None and spec.base:
        from devenv.registry.lockfile import locked_digest
        from devenv.registry.pull import ensure_image
        from devenv.registry.reference import resolve_image

        ensured = ensure_image(
            client,
            resolve_image(spec.base, project.registry),
            locked_digest=locked_digest(lock, service.name, spec.base),
            policy="never" if local_only else pull,
            progress=progress,
        )
        base, base_id, warning = str(ensured.ref), ensured.image_id, ensured.warning
    inputs = build_inputs(service, base_id)
    if not rebuild:
        present = inspect_image_or_none(client, service_image_tag(project, service))
        labels = ((present or {}).get("Config") or {}).get("Labels") or {}
        if present is not None and labels.get(INPUTS_LABEL) == inputs:
            return present["Id"], warning
    if local_only:
        raise DevenvError(f"{service.name}: its image is not built (or not current)", "`devenv up` builds it")
    return build_service_image(client, project, service, base=base, inputs=inputs, progress=progress), warning
