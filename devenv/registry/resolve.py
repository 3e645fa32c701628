"""Resolve a reference to its manifest digest through the registry API (with devenv's deadlines)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Optional

from devenv.registry.api import RegistryClient, Timeouts
from devenv.registry.auth import Credentials, get_credentials
from devenv.registry.reference import ImageRef


def client_for(registry: str, environ: Mapping[str, str] = os.environ) -> RegistryClient:
    """A client for one registry host, with the user's stored credentials and configured deadlines."""
    return RegistryClient(
        host=registry,
        credentials=get_credentials(registry, environ),
        timeouts=Timeouts.from_env(environ),
        environ=environ,
    )


def resolve_digest(ref: ImageRef, client: Optional[RegistryClient] = None) -> str:
    """`reg/repo:tag` -> the digest it points at now. For a pinned ref, checks that the digest exists."""
    client = client or client_for(ref.registry)
    return client.manifest_digest(ref.repository, ref.reference)


def manifest_has_config(ref: ImageRef, digest: str, config: str, client: Optional[RegistryClient] = None) -> bool:
    """Whether the manifest `digest` of `ref`'s repository is of the image whose config blob is
    `config` (an image id): the same image, whatever digest the engine keeps for it. An index
    (several platforms) names no one config: False."""
    client = client or client_for(ref.registry)
    body, _, _ = client.manifest(ref.repository, digest)
    try:
        named = json.loads(body).get("config", {}).get("digest")
    except (ValueError, AttributeError):
        return False
    return isinstance(named, str) and named.removeprefix("sha256:") == config.removeprefix("sha256:")


def engine_auth(ref: ImageRef, environ: Mapping[str, str] = os.environ) -> Optional[dict[str, str]]:
    """The auth payload to hand the engine for a pull/push of `ref` (None: anonymous)."""
    creds: Optional[Credentials] = get_credentials(ref.registry, environ)
    if creds is None:
        return None
    payload = creds.docker_auth_config()
    payload["serveraddress"] = ref.registry
    return payload
