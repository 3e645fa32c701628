"""Build a service's own image from the working tree (local dev), honouring .dockerignore."""

from __future__ import annotations

from typing import Any, Callable, Optional

from devenv.errors import ConfigError, EngineError

SERVICE_TAG = "devenv/{project}-{service}:dev"


def service_image_tag(project: Any, service: Any) -> str:
    return SERVICE_TAG.format(project=project.name.lower(), service=service.name.lower())


def build_service_image(
    client: Any, project: Any, service: Any, *, progress: Optional[Callable[[str], None]] = None
) -> str:
    """Build `service.build` and return the image id. docker-py's context tarring applies
    `.dockerignore` with docker's own rules, so the engine sees what `docker build` would."""
    import docker.errors

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
        stream = client.api.build(
            path=str(spec.context),
            dockerfile=spec.dockerfile,
            buildargs=dict(spec.args),
            target=spec.target,
            tag=tag,
            rm=True,
            forcerm=True,
            decode=True,
            labels={"dev.devenv.project": project.name, "dev.devenv.service": service.name},
        )
        for event in stream:
            if "error" in event:
                raise ConfigError(
                    f"{where}: build of {service.name} failed: {str(event['error']).strip()}",
                    hint=f"fix {spec.dockerfile} in {spec.context}",
                )
            if "aux" in event and isinstance(event["aux"], dict) and event["aux"].get("ID"):
                image_id = event["aux"]["ID"]
            if progress is not None and event.get("stream", "").strip():
                progress(event["stream"].rstrip("\n"))
    except docker.errors.APIError as err:
        raise EngineError(f"engine refused the build of {service.name}: {err.explanation or err}") from err
    except docker.errors.DockerException as err:
        raise EngineError(f"Docker engine unreachable ({err})", hint="see `devenv doctor`") from err
    return image_id or client.api.inspect_image(tag)["Id"]
