"""Desired state, first half: each service's env (layered, with secrets; resolved once per
command) and image (lock, then the engine's copy, a pull or a build — or, for a dry run, what
would be pulled or built)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, NamedTuple, Optional, Union

from devenv.config.model import Project, Service
from devenv.engine.port import Engine, EngineReads
from devenv.envvars import service_env as layered_env
from devenv.errors import DevenvError, RegistryUnreachable
from devenv.images.service_build import (
    INPUTS_LABEL,
    build_inputs,
    build_service_image,
    check_from_used,
    service_image_tag,
)
from devenv.reconcile.desired import ResolvedService
from devenv.reconcile.plan import BUILD, IMAGE, PULL, Action
from devenv.registry.lockfile import LOCK_NAME, LockFile, locked_digest
from devenv.registry.pull import EnsuredImage, PullEvent, ensure_image, local_image
from devenv.registry.reference import ImageRef, resolve_image

Transfer = Callable[[Union[PullEvent, str]], None]  # pull events, and build output lines


class _Image(NamedTuple):
    run_ref: str  # what to create the container from
    label: str  # what the file asked for, resolved
    digest: str  # shown in status
    image_id: str  # what the config hash covers
    warning: Optional[str]


class ServiceEnv(NamedTuple):
    """Exactly what `env show SERVICE` shows, and its two hashes."""

    environment: dict[str, str]
    public_hash: str
    full_hash: str
    secret_values: frozenset[str]


class Envs:
    """Every service's env for one profile, resolved once per command: `up` creates from it,
    the CLI redacts with its secret values, the watcher reloads with the same profile. A
    service whose env does not resolve keeps its error, raised when that env is used. A plain
    class: a dataclass compiles its methods at import."""

    __slots__ = ("_errors", "_found", "profile")

    def __init__(self, profile: Optional[str]) -> None:
        self.profile = profile
        self._found: dict[str, ServiceEnv] = {}
        self._errors: dict[str, DevenvError] = {}

    def of(self, service: str) -> ServiceEnv:
        if service in self._errors:
            raise self._errors[service]
        return self._found[service]

    def has(self, service: str) -> bool:
        return service in self._found or service in self._errors

    @property
    def secret_values(self) -> set[str]:
        return {v for env in self._found.values() for v in env.secret_values}


def resolve_envs(project: Project, services: Sequence[Service], profile: Optional[str]) -> Envs:
    out = Envs(profile)
    for service in services:
        try:
            layered = layered_env(project, service.name, profile)
        except DevenvError as err:
            out._errors[service.name] = err
            continue
        out._found[service.name] = ServiceEnv(
            layered.as_dict(),
            layered.public_hash()[:16],
            layered.full_hash()[:16],
            frozenset(layered.secret_values()),
        )
    return out


class Resolution:
    """Filled in service by service. A plain class: a dataclass compiles its methods at import."""

    __slots__ = ("pending", "secret_values", "services", "warnings")

    def __init__(self) -> None:
        self.services: dict[str, ResolvedService] = {}
        self.warnings: list[str] = []
        self.secret_values: set[str] = set()
        self.pending: list[Action] = []  # a dry run's pulls and builds


def load_lock(project: Project) -> Optional[LockFile]:
    return LockFile.load(project.root / LOCK_NAME)


def local_services(reads: EngineReads, project: Project, services: list[Service], envs: Envs) -> Resolution:
    """The resolution from images already on the engine, by reads alone (the no-op check of
    `up` runs it over the lite client); a DevenvError says an image must be pulled or built.
    Each image is asked for once: fifty services of one image are one inspect, not fifty."""
    found: dict[tuple[str, Optional[str]], EnsuredImage] = {}

    def present(ref: ImageRef, digest: Optional[str]) -> EnsuredImage:
        key = (str(ref), digest)
        if key not in found:
            found[key] = local_image(reads, ref, locked_digest=digest)
        return found[key]

    def image(service: Service, lock: Optional[LockFile]) -> _Image:
        if service.build is not None:
            base = _base(project, service, lock, present)
            built = reads.inspect_image(service_image_tag(project, service))
            inputs = build_inputs(service, base.image_id if base else None)
            if built is None or built.labels.get(INPUTS_LABEL) != inputs:
                raise DevenvError(
                    f"{service.name}: its image is not built (or not current)", "`devenv up` builds it"
                )
            return _built(project, service, built.id, base)
        return _pulled(service, project, present(_ref(project, service), _locked(lock, service)))

    return _resolve(project, services, envs, image)


def resolve_services(
    engine: Engine,
    project: Project,
    services: list[Service],
    envs: Envs,
    *,
    pull: str = "missing",
    build: bool = False,
    progress: Optional[Transfer] = None,
) -> Resolution:
    """Each service's image made present (pulled or built as the policy says) and its env.
    Pulls (and the bases builds start from) one after another, then the builds side by side."""

    def ensure(ref: ImageRef, digest: Optional[str]) -> EnsuredImage:
        return ensure_image(engine, ref, locked_digest=digest, policy=pull, progress=progress)

    lock = load_lock(project)
    found: dict[str, _Image] = {}
    builds: list[_Build] = []
    for service in services:
        if service.build is None:
            found[service.name] = _pulled(service, project, ensure(_ref(project, service), _locked(lock, service)))
            continue
        base = _base(project, service, lock, ensure)
        inputs = build_inputs(service, base.image_id if base else None)
        present = None if build else engine.inspect_image(service_image_tag(project, service))
        if present is not None and present.labels.get(INPUTS_LABEL) == inputs:
            found[service.name] = _built(project, service, present.id, base)
        else:
            builds.append(_Build(service, base, inputs))
    for job, image_id in zip(builds, _build_all(engine, project, builds, progress)):
        found[job.service.name] = _built(project, job.service, image_id, job.base)
    return _resolve(project, services, envs, lambda service, _lock: found[service.name])


class _Build(NamedTuple):
    service: Service
    base: Optional[EnsuredImage]
    inputs: str


def _build_all(
    engine: Engine, project: Project, builds: list[_Build], progress: Optional[Transfer]
) -> list[str]:
    """The image id of each build. Two or more run at the same time (a stack's images on a fresh
    machine are ready in the time of the slowest, not of their sum), their output lines marked
    with the service; the first failure, in service order, is raised once every build ended."""

    def one(job: _Build, say: Optional[Callable[[str], None]]) -> str:
        base = str(job.base.ref) if job.base else None
        return build_service_image(engine, project, job.service, base=base, inputs=job.inputs, progress=say)

    if len(builds) < 2:
        return [one(job, progress) for job in builds]
    from concurrent.futures import ThreadPoolExecutor  # here: only a build loads it

    with ThreadPoolExecutor(max_workers=min(4, len(builds)), thread_name_prefix="devenv-build") as pool:
        futures = [pool.submit(one, job, _marked(progress, job.service.name)) for job in builds]
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


def _marked(progress: Optional[Transfer], service: str) -> Optional[Callable[[str], None]]:
    if progress is None:
        return None
    return lambda line: progress(f"{service}: {line}")


def preview_services(
    reads: EngineReads,
    project: Project,
    services: list[Service],
    envs: Envs,
    *,
    pull: str = "missing",
    build: bool = False,
) -> Resolution:
    """What `resolve_services` would resolve, by reads alone: the engine's images, and the
    registry's digest of one it would pull. Nothing is pulled or built: those steps are the
    resolution's `pending` actions, and their images have no id yet (their specs differ from
    any container's)."""
    pending: list[Action] = []

    def peek(service: Service, ref: ImageRef, digest: Optional[str]) -> EnsuredImage:
        return _peek(reads, service.name, ref, digest, pull, pending)

    def image(service: Service, lock: Optional[LockFile]) -> _Image:
        if service.build is not None:
            base = _base(project, service, lock, lambda ref, digest: peek(service, ref, digest))
            tag = service_image_tag(project, service)
            present = None if build else reads.inspect_image(tag)
            inputs = build_inputs(service, base.image_id if base else None)
            if present is not None and present.labels.get(INPUTS_LABEL) == inputs:
                return _built(project, service, present.id, base)
            cause = "--build" if build else "not built yet" if present is None else "its build inputs changed"
            pending.append(Action(BUILD, tag, None, f"{cause} (service {service.name})", IMAGE))
            return _built(project, service, "", base)._replace(run_ref=tag, digest="(to build)")
        return _pulled(service, project, peek(service, _ref(project, service), _locked(lock, service)))

    out = _resolve(project, services, envs, image)
    out.pending = pending
    return out


def _peek(
    reads: EngineReads, service: str, ref: ImageRef, locked: Optional[str], policy: str, pending: list[Action]
) -> EnsuredImage:
    """`ensure_image`'s answer without its pull: a registry read at most."""
    local: Optional[EnsuredImage] = None
    try:
        local = local_image(reads, ref, locked_digest=locked)
    except DevenvError:
        if policy == "never":
            raise
    if local is not None and policy != "always":
        return local
    digest = locked or ref.digest
    if not digest:
        from devenv.registry.resolve import resolve_digest  # the registry client: only here

        try:
            digest = resolve_digest(ref)
        except RegistryUnreachable:
            if local is None:
                raise
            return local._replace(warning=f"registry unreachable: using the local copy of {ref.display}")
    pinned = ref.pinned(digest)
    present = reads.inspect_image(str(pinned))
    if present is not None:
        return EnsuredImage(pinned, str(pinned), present.id, digest, pulled=False)
    cause = "not on this machine" if local is None else "the registry has another digest"
    pending.append(Action(PULL, pinned.display, None, f"{cause} (service {service})", IMAGE))
    return EnsuredImage(pinned, str(pinned), "", digest, pulled=False)


def _resolve(
    project: Project,
    services: list[Service],
    envs: Envs,
    image: Callable[[Service, Optional[LockFile]], _Image],
) -> Resolution:
    out = Resolution()
    lock = load_lock(project)
    for service in services:
        env = envs.of(service.name)
        out.secret_values |= env.secret_values
        found = image(service, lock)
        if found.warning:
            out.warnings.append(f"{service.name}: {found.warning}")
        out.services[service.name] = ResolvedService(
            found.run_ref,
            found.label,
            found.digest,
            env.environment,
            env.public_hash,
            env.full_hash,
            found.image_id,
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
    check_from_used(project, service)  # else the build would start from another image
    return ensure(resolve_image(spec.base, project.registry), locked_digest(lock, service.name, spec.base))


def _built(project: Project, service: Service, image_id: str, base: Optional[EnsuredImage]) -> _Image:
    label = service.image or service_image_tag(project, service)
    return _Image(image_id, label, image_id, image_id, base.warning if base else None)


def _pulled(service: Service, project: Project, ensured: EnsuredImage) -> _Image:
    label = str(resolve_image(service.image or "", project.registry))
    return _Image(
        ensured.run_ref, label, ensured.digest or ensured.image_id, ensured.image_id, ensured.warning
    )
