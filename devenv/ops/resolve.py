"""Before planning: each service's image (lock, pull, build) and env (layered, with secrets)."""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Union

from devenv.config.model import Project, Service
from devenv.engine.port import Engine, EngineReads
from devenv.envvars import service_env as layered_env
from devenv.errors import DevenvError
from devenv.images.service_build import INPUTS_LABEL, build_inputs, build_service_image, service_image_tag
from devenv.registry.lockfile import LOCK_NAME, LockFile, locked_digest
from devenv.registry.pull import EnsuredImage, PullEvent, ensure_image, local_image
from devenv.registry.reference import ImageRef, resolve_image
from devenv.stack.spec import ResolvedService

Transfer = Callable[[Union[PullEvent, str]], None]  # pull events, and build output lines


class _Image(NamedTuple):
    run_ref: str  # what to create the container from
    label: str  # what the file asked for, resolved
    digest: str  # shown in status
    image_id: str  # what the config hash covers
    warning: Optional[str]


class Resolution:
    """Filled in service by service. A plain class: a dataclass compiles its methods at import."""

    __slots__ = ("secret_values", "services", "warnings")

    def __init__(
        self,
        services: Optional[dict[str, ResolvedService]] = None,
        warnings: Optional[list[str]] = None,
        secret_values: Optional[set[str]] = None,
    ) -> None:
        self.services: dict[str, ResolvedService] = {} if services is None else services
        self.warnings: list[str] = [] if warnings is None else warnings
        self.secret_values: set[str] = set() if secret_values is None else secret_values


def load_lock(project: Project) -> Optional[LockFile]:
    return LockFile.load(project.root / LOCK_NAME)


def service_env(
    project: Project, service: Service, profile: Optional[str]
) -> tuple[dict[str, str], str, str, set[str]]:
    """(environment, public hash, full hash, secret values): exactly what `env show SERVICE` shows."""
    layered = layered_env(project, service.name, profile)
    return layered.as_dict(), layered.public_hash()[:16], layered.full_hash()[:16], layered.secret_values()


def local_services(
    reads: EngineReads, project: Project, services: list[Service], *, profile: Optional[str]
) -> Resolution:
    """The resolution from images already on the engine, by reads alone (the no-op check of
    `up` runs it over the lite client); a DevenvError says an image must be pulled or built."""

    def image(service: Service, lock: Optional[LockFile]) -> _Image:
        if service.build is not None:
            base = _base(
                project, service, lock, lambda ref, digest: local_image(reads, ref, locked_digest=digest)
            )
            built = reads.inspect_image(service_image_tag(project, service))
            inputs = build_inputs(service, base.image_id if base else None)
            if built is None or built.labels.get(INPUTS_LABEL) != inputs:
                raise DevenvError(
                    f"{service.name}: its image is not built (or not current)", "`devenv up` builds it"
                )
            return _built(project, service, built.id, base)
        return _pulled(
            service, project, local_image(reads, _ref(project, service), locked_digest=_locked(lock, service))
        )

    return _resolve(project, services, profile, image)


def resolve_services(
    engine: Engine,
    project: Project,
    services: list[Service],
    *,
    profile: Optional[str],
    pull: str = "missing",
    build: bool = False,
    progress: Optional[Transfer] = None,
) -> Resolution:
    """Each service's image made present (pulled or built as the policy says) and its env."""

    def image(service: Service, lock: Optional[LockFile]) -> _Image:
        if service.build is not None:

            def ensure(ref: ImageRef, digest: Optional[str]) -> EnsuredImage:
                return ensure_image(engine, ref, locked_digest=digest, policy=pull, progress=progress)

            base = _base(project, service, lock, ensure)
            inputs = build_inputs(service, base.image_id if base else None)
            present = None if build else engine.inspect_image(service_image_tag(project, service))
            if present is not None and present.labels.get(INPUTS_LABEL) == inputs:
                return _built(project, service, present.id, base)
            base_ref = str(base.ref) if base else None
            image_id = build_service_image(
                engine, project, service, base=base_ref, inputs=inputs, progress=progress
            )
            return _built(project, service, image_id, base)
        ensured = ensure_image(
            engine,
            _ref(project, service),
            locked_digest=_locked(lock, service),
            policy=pull,
            progress=progress,
        )
        return _pulled(service, project, ensured)

    return _resolve(project, services, profile, image)


def _resolve(
    project: Project,
    services: list[Service],
    profile: Optional[str],
    image: Callable[[Service, Optional[LockFile]], _Image],
) -> Resolution:
    out = Resolution()
    lock = load_lock(project)
    for service in services:
        env, public, full, secrets = service_env(project, service, profile)
        out.secret_values |= secrets
        found = image(service, lock)
        if found.warning:
            out.warnings.append(f"{service.name}: {found.warning}")
        out.services[service.name] = ResolvedService(
            found.run_ref, found.label, found.digest, env, public, full, found.image_id
        )
    return out


def _ref(project: Project, service: Service) -> ImageRef:
    return resolve_image(service.image or "", project.registry)


def _locked(lock: Optional[LockFile], service: Service) -> Optional[str]:
    return locked_digest(lock, service.name, service.image)


def _base(
    project: Project,
    service: Service,
    lock: Optional[LockFile],
    ensure: Callable[[ImageRef, Optional[str]], EnsuredImage],
) -> Optional[EnsuredImage]:
    """The image a service build starts `from` (pinned by the lock), present on the engine."""
    spec = service.build
    if spec is None or not spec.base:
        return None
    return ensure(resolve_image(spec.base, project.registry), locked_digest(lock, service.name, spec.base))


def _built(project: Project, service: Service, image_id: str, base: Optional[EnsuredImage]) -> _Image:
    label = service.image or service_image_tag(project, service)
    return _Image(image_id, label, image_id, image_id, base.warning if base else None)


def _pulled(service: Service, project: Project, ensured: EnsuredImage) -> _Image:
    label = str(resolve_image(service.image or "", project.registry))
    return _Image(
        ensured.run_ref, label, ensured.digest or ensured.image_id, ensured.image_id, ensured.warning
    )
