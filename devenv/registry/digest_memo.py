"""Which registry digest a local image was confirmed as, so Podman's no-op `up` asks the
registry once per image, not once per `up`.

Podman does not list the digest it pushed an image as (see `registry/pull._repo_digest`), so
the registry is asked. Its answer holds for good: a manifest digest names fixed content, and an
image id is the digest of that content's config. It is kept as one small file per (image,
repository) under the cache folder; a missing, unreadable or malformed file means: ask again."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Optional

from devenv import paths

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def recall(image_id: str, repository: str) -> Optional[str]:
    """The digest `image_id` was confirmed as in `repository`, if one was."""
    entry = _entry(image_id, repository)
    if entry is None:
        return None
    try:
        with entry.open("rb") as handle:
            text = handle.read(128).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if _DIGEST.fullmatch(text) else None


def remember(image_id: str, repository: str, digest: str) -> None:
    """Keep the registry's answer; a folder that cannot be written only costs a question later."""
    entry = _entry(image_id, repository)
    if entry is None or not _DIGEST.fullmatch(digest):
        return
    from devenv.fsutil import atomic_write  # only when there is something to keep

    try:
        atomic_write(entry, digest + "\n")
    except OSError:
        pass


def _entry(image_id: str, repository: str) -> Optional[Path]:
    if not _DIGEST.fullmatch(image_id):
        return None
    where = hashlib.sha256(repository.encode()).hexdigest()[:16]
    return paths.cache_dir() / "pushed-digests" / f"{image_id[7:]}-{where}"
