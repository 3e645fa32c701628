"""Image references: what the engine can pull, parsed. In config (the lowest layer that needs
it) so that `config validate` refuses an image `up` could not pull; devenv.registry.reference
resolves short names against the team registry on top of it.

ImageRef is a NamedTuple, not a dataclass: every `up` imports this module, and creating a
dataclass compiles its methods at import. `__str__` is its own (the engine's name for it)."""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from devenv.errors import ConfigError

DOCKER_HUB = "docker.io"
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$")


class ImageRef(NamedTuple):
    registry: str  # host[:port], e.g. "127.0.0.1:5555" or "docker.io"
    repository: str  # path inside the registry, e.g. "team/python"
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def name(self) -> str:
        """`registry/repository`, the name the engine knows the image by (no tag, no digest)."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"

    @property
    def display(self) -> str:
        """For people: keeps the tag next to the digest (`reg/repo:tag@sha256:…`)."""
        if self.digest and self.tag:
            return f"{self.name}:{self.tag}@{self.digest}"
        return str(self)

    @property
    def reference(self) -> str:
        """What the registry API calls the manifest: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def pinned(self, digest: str) -> ImageRef:
        return self._replace(digest=digest)

    def with_tag(self, tag: str) -> ImageRef:
        return self._replace(tag=tag, digest=None)


def _is_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str, *, where: str = "image") -> ImageRef:
    """Parse a full reference. A first component without '.', ':' or 'localhost' means Docker Hub."""
    value = text.strip()
    digest: Optional[str] = None
    if "@" in value:
        value, digest = value.split("@", 1)
        if not _DIGEST.match(digest):
            raise _bad(text, where, f"'{digest}' is not a digest (sha256:<64 hex>)")
    parts = value.split("/")
    if len(parts) > 1 and _is_host(parts[0]):
        registry, path = parts[0], parts[1:]
        if not _HOST.match(registry):
            raise _bad(text, where, f"'{registry}' is not a registry host[:port]")
    else:
        registry, path = DOCKER_HUB, parts
    tag: Optional[str] = None
    if ":" in path[-1]:
        path[-1], tag = path[-1].split(":", 1)
        if not _TAG.match(tag):
            raise _bad(text, where, f"'{tag}' is not a valid tag")
    for comp in path:
        if not _COMPONENT.match(comp):
            raise _bad(
                text, where, f"'{comp}' is not a valid repository name part (lowercase, digits, . _ -)"
            )
    if registry == DOCKER_HUB and len(path) == 1:
        path = ["library", *path]
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry=registry, repository="/".join(path), tag=tag, digest=digest)


def _bad(text: str, where: str, why: str) -> ConfigError:
    return ConfigError(
        f"{where}: '{text}' is not an image reference: {why}",
        hint='write e.g. "python:3.12", "team/python:3.12" or "registry.example.com/team/python:3.12"',
    )


def is_full_reference(image: str) -> bool:
    """A registry host or a digest makes a reference full: it is used as written."""
    first = image.split("/", 1)[0]
    return "@" in image or ("/" in image and _is_host(first))
