"""What the team registry offers: its repositories under the team's path, each image (tags that
name the same digest grouped) with the commit it was built from — read through the registry's
API alone, so a product repository without an images/ folder sees the catalog too."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import NamedTuple, Optional

from devenv.errors import RegistryError, RegistryNotFound
from devenv.registry.api import RegistryClient
from devenv.registry.image_config import manifest_doc
from devenv.registry.reference import CONTENT_TAG_PREFIX, effective_registry, registry_host
from devenv.registry.resolve import client_for

REVISION_LABEL = "org.opencontainers.image.revision"


class OfferedImage(NamedTuple):
    repository: str  # as a service names it, under the team registry ("postgres", "upstream/debian")
    tags: tuple[str, ...]  # the tags naming this digest (content tags left out)
    digest: Optional[str]
    revision: Optional[str]  # the commit it was built from (its OCI label), when it says

    def to_dict(self) -> dict[str, object]:
        return {"repository": self.repository, "tags": list(self.tags), "digest": self.digest, "revision": self.revision}


def registry_offer(registry: str, environ: Mapping[str, str] = os.environ) -> list[OfferedImage]:
    """Every image under `registry` ("host[:port][/team]"), by repository then tag. Raises
    RegistryError when the registry will not list its repositories."""
    host, _, prefix = registry.partition("/")
    client = client_for(registry_host(host), environ)
    under = f"{prefix}/" if prefix else ""
    offered: list[OfferedImage] = []
    for repository in client.repositories():
        if not repository.startswith(under):
            continue
        offered.extend(_images(client, repository, repository[len(under) :]))
    return offered


def team_repositories(registry: Optional[str], environ: Mapping[str, str] = os.environ) -> set[str]:
    """The repositories under the team registry, named as services name them; empty when there is
    no team registry or it will not list them."""
    registry = effective_registry(registry, environ)
    if not registry:
        return set()
    host, _, prefix = registry.partition("/")
    under = f"{prefix}/" if prefix else ""
    try:
        listed = client_for(registry_host(host), environ).repositories()
    except RegistryError:
        return set()
    return {r[len(under) :] for r in listed if r.startswith(under)}


def _images(client: RegistryClient, repository: str, shown: str) -> list[OfferedImage]:
    try:
        tags = [t for t in client.tags(repository) if not t.startswith(CONTENT_TAG_PREFIX)]
    except RegistryNotFound:  # listed but emptied since
        return []
    by_digest: dict[str, list[str]] = {}
    for tag in tags:
        digest = client.manifest_digest_if_present(repository, tag)
        if digest is not None:
            by_digest.setdefault(digest, []).append(tag)
    images = [
        OfferedImage(shown, tuple(named), digest, _revision(client, repository, digest))
        for digest, named in by_digest.items()
    ]
    # `latest` first, then the newest-looking tag names: what a service would use comes first.
    return sorted(images, key=lambda i: ("latest" not in i.tags, sorted(i.tags)))


def _revision(client: RegistryClient, repository: str, digest: str) -> Optional[str]:
    try:
        manifest = manifest_doc(client, repository, digest, f"{client.host}/{repository}@{digest}")
        config = manifest.get("config") or {}
        blob = config.get("digest") if isinstance(config, dict) else None
        if not isinstance(blob, str):
            return None
        doc = json.loads(client.blob(repository, blob))
        labels = (doc.get("config") or {}).get("Labels") or {}
    except (RegistryError, ValueError, AttributeError):
        return None  # a courtesy column: an image without it is still offered
    revision = labels.get(REVISION_LABEL) if isinstance(labels, dict) else None
    return str(revision) if revision else None
