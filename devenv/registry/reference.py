"""Image references: resolve short names against the team registry (parsing is
devenv.config.imageref's, re-exported here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional

from devenv import settings
from devenv.config.imageref import DOCKER_HUB, ImageRef, is_full_reference, parse_reference

# devenv's own tags naming a catalog image by its inputs (images/catalog.py): not for people.
CONTENT_TAG_PREFIX = "src-"

__all__ = [
    "CONTENT_TAG_PREFIX",
    "DOCKER_HUB",
    "ImageRef",
    "effective_registry",
    "is_full_reference",
    "parse_reference",
    "registry_host",
    "resolve_image",
]


def effective_registry(
    project_registry: Optional[str], environ: Mapping[str, str] = os.environ
) -> Optional[str]:
    """`DEVENV_REGISTRY` (e.g. a mirror) wins over `[project] registry`."""
    value = settings.REGISTRY.get(environ, file=project_registry)
    return value.strip().rstrip("/") if value else None


def resolve_image(
    image: str, project_registry: Optional[str], environ: Mapping[str, str] = os.environ
) -> ImageRef:
    """`python:3.12` -> `<registry>/python:3.12`; full references are used as is."""
    if is_full_reference(image):
        return parse_reference(image)
    registry = effective_registry(project_registry, environ)
    if not registry:
        return parse_reference(image)
    return parse_reference(f"{registry}/{image}")


def registry_host(registry: str) -> str:
    """`registry.example.com/team` -> `registry.example.com` (what auth and the API address)."""
    host = registry.split("/", 1)[0]
    return DOCKER_HUB if host in ("index.docker.io", "registry-1.docker.io") else host
