"""Public images → the team catalog's (`postgres:15-alpine` → `postgres:latest`).

A compose file names Docker Hub images; a devenv team runs its own catalog (images/ in devenv,
built from Debian packages and pushed to the team registry). `init --from` writes the catalog's
image instead and says what it mapped, with the catalog's version when the compose file asked
for another major one. Images from any other registry are the team's own: left as written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple, Optional

from devenv.convert.draft import Draft
from devenv.errors import DevenvError
from devenv.images.dockerfile import base_arg, instructions
from devenv.registry.reference import DOCKER_HUB, parse_reference


class CatalogEntry(NamedTuple):
    name: str  # the catalog image
    what: str  # what it runs, for the note
    major: str  # the major version it carries ("" when the tag says nothing comparable)


# Docker Hub repository -> the catalog image that stands in for it (Debian bookworm's versions).
CATALOG: dict[str, CatalogEntry] = {
    "library/postgres": CatalogEntry("postgres", "PostgreSQL 15", "15"),
    "library/python": CatalogEntry("python", "Python 3.11", "3"),
    "library/node": CatalogEntry("node", "Node.js 18", "18"),
    "library/redis": CatalogEntry("redis", "Redis 7.0", "7"),
    "library/mariadb": CatalogEntry("mariadb", "MariaDB 10.11", "10"),
    "library/mysql": CatalogEntry("mariadb", "MariaDB 10.11, which MySQL clients speak to", ""),
}
CATALOG_TAG = "latest"  # the catalog's images as the team's default branch last built them


def catalog_for(image: str) -> Optional[CatalogEntry]:
    """The catalog image standing in for a Docker Hub image, or None."""
    try:
        ref = parse_reference(image)
    except DevenvError:
        return None
    return CATALOG.get(ref.repository) if ref.registry == DOCKER_HUB else None


def _other_major(image: str, entry: CatalogEntry) -> Optional[str]:
    tag = parse_reference(image).tag or ""
    found = re.match(r"(\d+)", tag)
    if not entry.major or found is None or found.group(1) == entry.major:
        return None
    return found.group(1)


def mapped_image(draft: Draft, image: str, where: str, catalog: bool) -> str:
    """`image` as the service's devenv image: the catalog's when one stands in for it and a team
    registry is known (noted either way: without a registry the short name would be Docker Hub's)."""
    entry = catalog_for(image)
    if entry is None:
        return image
    new = f"{entry.name}:{CATALOG_TAG}"
    if not catalog:
        draft.note(
            where,
            f'"{image}": the team catalog has {entry.name} ({entry.what}); with a team registry '
            f'(--registry or DEVENV_REGISTRY) init writes "{new}"',
        )
        return image
    other = _other_major(image, entry)
    draft.note(
        where,
        f'"{image}" → "{new}", the team catalog\'s {entry.name} ({entry.what}, pinned by devenv.lock)'
        + (f"; compose asked for version {other}: check the app works with it" if other else ""),
    )
    return new


def mapped_build_base(draft: Draft, root: Path, build: dict[str, Any], where: str, catalog: bool) -> None:
    """A service build whose Dockerfile starts from a public image the catalog has: with
    `ARG BASE_IMAGE=<it>` / `FROM ${BASE_IMAGE}`, build from the catalog's (`from`); without
    it, name the two-line change (devenv never edits the Dockerfile)."""
    if "from" in build:
        return
    dockerfile = root / str(build.get("context", ".")) / str(build.get("dockerfile", "Dockerfile"))
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    label = dockerfile.relative_to(root).as_posix() if dockerfile.is_relative_to(root) else str(dockerfile)
    arg = base_arg(text)
    if arg.used:
        entry = catalog_for(arg.default) if arg.default else None
        if entry is not None and arg.default is not None and catalog:
            build["from"] = f"{entry.name}:{CATALOG_TAG}"
            draft.note(
                f"{where}.build",
                f"{label} starts from ${{BASE_IMAGE}} (default \"{arg.default}\"): devenv builds it from "
                f'"{build["from"]}", the team catalog\'s {entry.name} ({entry.what}, pinned by devenv.lock)',
            )
        return
    froms = [(n, rest.split()[0]) for n, word, rest in instructions(text) if word == "FROM" and rest.split()]
    if not froms:
        return
    line, image = froms[0]
    entry = catalog_for(image)
    if entry is None:
        return
    rest = " ".join(next(r for n, w, r in instructions(text) if n == line and w == "FROM").split()[1:])
    draft.note(
        f"{where}.build",
        f"{label}:{line} starts from the public {image}; to build from the team catalog's {entry.name}, "
        f'make it `ARG BASE_IMAGE={image}` then `FROM ${{BASE_IMAGE}}{(" " + rest) if rest else ""}` and add '
        f'from = "{entry.name}:{CATALOG_TAG}" to the build table',
    )
