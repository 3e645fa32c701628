"""Build a service's own image from the working tree (local dev), honouring .dockerignore."""

from __future__ import annotations

from typing import Callable, Optional

from devenv.config.model import Project, Service
from devenv.engine import labels as L
from devenv.engine.errors import EngineRefused
from devenv.engine.port import Engine
from devenv.errors import ConfigError, EngineError

SERVICE_TAG = "devenv/{project}-{service}:dev"


def service_image_tag(project: Project, service: Service) -> str:
    return SERVICE_TAG.format(project=project.name.lower(), service=service.name.lower())


def build_service_image(
    engine: Engine, project: Project, service: Service, *, progress: Optional[Callable[[str], None]] = None
) -> str:
    """Build `service.build` and return the image id. The engine client tars the context applying
    `.dockerignore` with docker's own rules, so the engine sees what `docker build` would."""
    spec = service.build
    if spec is None:
        raise ConfigError(f"services.{service.name}: has no `build` table")
    where = f"services.{service.name}.build"
    if not spec.context.is_dir():
        raise ConfigError(f"{where}.context: folder {spec.context} does not exist")
    if not (spec.context / spec.dockerfile).is_file():
        raise ConfigError(f"{where}.dockerfile: {spec.context / spec.dockerfile} does not exist")
    tag = service_image_tag(project, service)
    image_id: Optional[str] = None
    try:
        for event in engine.build(
            tag=tag,
            labels=L.service_build_labels(project.name, service.name),
            context_dir=str(spec.context),
            dockerfile=spec.dockerfile,
            build_args=dict(spec.args),
            target=spec.target,
        ):
            if event.error is not None:
                raise ConfigError(
                    f"{where}: build of {service.name} failed: {event.error.strip()}",
                    hint=f"fix {spec.dockerfile} in {spec.context}",
                )
            if event.aux.get("ID"):
                image_id = str(event.aux["ID"])
            if progress is not None and event.stream.strip():
                progress(event.stream.rstrip("\n"))
    except EngineRefused as err:
        raise EngineError(f"engine refused the build of {service.name}: {err.explanation}") from err
    if image_id is None:
        built = engine.inspect_image(tag)
        if built is None:
            raise EngineError(f"the engine reported no error but {tag} is not there after the build")
        image_id = built.id
    return image_id
