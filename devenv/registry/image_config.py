"""An image's own ENTRYPOINT and CMD, read from its config blob in the registry (no engine, no
pull): what an export needs to wrap a service's real command."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from typing import Any

from devenv.errors import RegistryError
from devenv.registry.api import RegistryClient
from devenv.registry.reference import parse_reference
from devenv.registry.resolve import client_for

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def image_argv(
    reference: str, environ: Mapping[str, str] = os.environ
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Entrypoint, Cmd) of the image `reference` names (a pinned or tagged full reference)."""
    ref = parse_reference(reference)
    client = client_for(ref.registry, environ)
    manifest = manifest_doc(client, ref.repository, ref.reference, str(ref))
    config = manifest.get("config") or {}
    digest = config.get("digest") if isinstance(config, dict) else None
    if not isinstance(digest, str):
        raise RegistryError(f"{ref}: the manifest names no image config")
    try:
        doc = json.loads(client.blob(ref.repository, digest))
    except ValueError as err:
        raise RegistryError(f"{ref}: the image config is not JSON") from err
    settings = doc.get("config") or {} if isinstance(doc, dict) else {}
    return _strings(settings.get("Entrypoint")), _strings(settings.get("Cmd"))


def manifest_doc(client: RegistryClient, repository: str, reference: str, what: str) -> dict[str, Any]:
    """The image manifest for this machine (an index resolved to its linux/<arch> entry)."""
    body, media_type, _ = client.manifest(repository, reference)
    doc = _json(body, what)
    if media_type in _INDEX_TYPES or "manifests" in doc:
        wanted = _ARCH.get(platform.machine().lower(), platform.machine().lower())
        for entry in doc.get("manifests") or []:
            plat = entry.get("platform") or {}
            if plat.get("os") == "linux" and plat.get("architecture") == wanted:
                return _json(client.manifest(repository, entry["digest"])[0], what)
        raise RegistryError(f"{what}: no linux/{wanted} image in its index")
    return doc


def _json(body: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError as err:
        raise RegistryError(f"{what}: the registry sent a manifest that is not JSON") from err
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the registry sent a manifest that is not an object")
    return doc


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()
