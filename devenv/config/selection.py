"""Naming services on the command line: the one check every command makes."""

from __future__ import annotations

from collections.abc import Iterable

from devenv.config.model import Project
from devenv.errors import ConfigError


def require_services(project: Project, selected: Iterable[str]) -> None:
    """Every name in `selected` is a service of the project (which has at least one)."""
    known = project.service_names
    if not known:
        raise ConfigError(
            f"{project.config_file.name} declares no services",
            'add one, e.g. [services.web] with image = "NAME:TAG"',
        )
    for name in selected:
        if name not in known:
            raise unknown_service(project, name)


def unknown_service(project: Project, name: str) -> ConfigError:
    return ConfigError(
        f'no service "{name}" in {project.config_file.name} (services: {", ".join(project.service_names) or "none"})',
        "use one of those",
    )
