"""Build a service's own image from the working tree (local dev), honouring .dockerignore."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Optional

from devenv.config.model import BASE_IMAGE_ARG as BASE_ARG
from devenv.config.model import Project, Service
from devenv.engine import labels as L
from devenv.engine.port import Engine
from devenv.errors import ConfigError
from devenv.images.build_run import follow_build

SERVICE_TAG = "devenv/{project}-{service}:dev"
INPUTS_LABEL = L.BUILD_INPUTS


def service_image_tag(project: Project, service: Service) -> str:
    return SERVICE_TAG.format(project=project.name.lower(), service=service.name.lower())


def build_args(service: Service, base: Optional[str]) -> dict[str, str]:
    """The build args of `service`: its own, and BASE_IMAGE = its pinned `from` image."""
    args = dict(service.build.args) if service.build is not None else {}
    if base is not None:
        args[BASE_ARG] = base
    return args


def check_from_used(project: Project, service: Service) -> None:
    """`build.from` only works through ${BASE_IMAGE}: a Dockerfile whose FROM names its own image
    would build from that (a public registry) while the lock pins a `from` never used."""
    spec = service.build
    if spec is None or not spec.base:
        return
    # Loaded here: a stack of image services never reads a Dockerfile (the no-op `up` budget).
    from devenv.images.dockerfile import base_arg, base_arg_change, outside_bases

    path = spec.context / spec.dockerfile
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return  # a missing Dockerfile has its own error where the build needs it
    if base_arg(text).used:
        return
    shown = _shown(project, path)
    outside = outside_bases(text)
    if not outside:
        raise ConfigError(
            f'services.{service.name}.build.from = "{spec.base}" has no effect: no FROM line of {shown} '
            f"starts from ${{{BASE_ARG}}}",
            hint=f"start {shown} with `ARG {BASE_ARG}` and `FROM ${{{BASE_ARG}}}`, or drop `from`",
        )
    line = outside[-1]  # the final image's base
    arg, new_from = base_arg_change(line)
    raise ConfigError(
        f'services.{service.name}.build.from = "{spec.base}" has no effect: {shown}:{line.line}: '
        f"{line.written} does not start from ${{{BASE_ARG}}}, so the build would pull {line.image} "
        "instead and devenv.lock would pin an image the build never uses",
        hint=f"in {shown}, put `{arg}` before the first FROM and change line {line.line} to "
        f"`{new_from}` (plain `docker build` still starts from {line.image})",
    )


def _shown(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def build_inputs(service: Service, base_id: Optional[str]) -> str:
    """A hash of what the build starts from — the Dockerfile, the build args, the target and the
    base image's id — so a changed Dockerfile or a newly locked base rebuilds on the next `up`
    (the context's other files only with `--build` or a watch `rebuild`: hashing them on every
    `up` would cost more than it saves)."""
    spec = service.build
    where = f"services.{service.name}.build"
    if spec is None:
        raise ConfigError(f"services.{service.name}: has no `build` table")
    dockerfile = spec.context / spec.dockerfile
    try:
        text = dockerfile.read_bytes()
    except OSError as err:
        raise ConfigError(f"{where}.dockerfile: cannot read {dockerfile} ({err.strerror})") from err
    doc = {"dockerfile": hashlib.sha256(text).hexdigest(), "args": sorted(spec.args), "target": spec.target}
    doc["base"] = base_id
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def build_service_image(
    engine: Engine,
    project: Project,
    service: Service,
    *,
    base: Optional[str] = None,
    inputs: Optional[str] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> str:
    """Build `service.build` and return the image id. The engine client tars the context applying
    `.dockerignore` with docker's own rules, so the engine sees what `docker build` would.
    `base`: the pinned reference passed as BASE_IMAGE; `inputs`: recorded as a label."""
    spec = service.build
    if spec is None:
        raise ConfigError(f"services.{service.name}: has no `build` table")
    where = f"services.{service.name}.build"
    if not spec.context.is_dir():
        raise ConfigError(f"{where}.context: folder {spec.context} does not exist")
    if not (spec.context / spec.dockerfile).is_file():
        raise ConfigError(f"{where}.dockerfile: {spec.context / spec.dockerfile} does not exist")
    tag = service_image_tag(project, service)
    labels = L.service_build_labels(project.name, service.name)
    if inputs is not None:
        labels[INPUTS_LABEL] = inputs
    return follow_build(
        engine,
        lambda: engine.build(
            tag=tag,
            labels=labels,
            context_dir=str(spec.context),
            dockerfile=spec.dockerfile,
            build_args=build_args(service, base),
            target=spec.target,
        ),
        tag=tag,
        what=service.name,
        failed=lambda error: ConfigError(
            f"{where}: build of {service.name} failed: {error}", hint=f"fix {spec.dockerfile} in {spec.context}"
        ),
        progress=progress,
    )
