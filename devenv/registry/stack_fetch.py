"""A published stack fetched for a `stack =` include: manifest, config and files, each checked
against its digest, kept in devenv's cache by the manifest's digest (`cache/stacks/<hex>/`),
shared by every project that includes it. What is cached is never fetched again: a stack pinned
by devenv.lock and cached starts with the registry unreachable."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Optional

from devenv.errors import RegistryError, RegistryNotFound
from devenv.paths import cache_dir
from devenv.registry.reference import ImageRef
from devenv.registry.stack_artifact import StackConfig, check_digest, parse_config

CONFIG_FILE = "config.json"  # beside the stack's folder: its images, pinned by digest
FILES = "stack"  # the folder holding the stack's devenv.toml


class FetchedStack(NamedTuple):
    folder: Path  # holds the published devenv.toml
    digest: str  # the manifest's
    config: StackConfig


def stack_dir(digest: str) -> Path:
    return cache_dir() / "stacks" / digest.replace(":", "-")


def cached(digest: str) -> Optional[FetchedStack]:
    """The stack pinned at `digest` if the cache holds it whole (written only once verified)."""
    root = stack_dir(digest)
    try:
        raw = (root / CONFIG_FILE).read_bytes()
    except OSError:
        return None
    config = parse_config(raw, f"{root / CONFIG_FILE}")
    return FetchedStack(root / FILES, digest, config) if (root / FILES / "devenv.toml").is_file() else None


def fetch_stack(
    ref: ImageRef, where: str, *, pinned: Optional[str] = None, environ: Mapping[str, str] = os.environ
) -> FetchedStack:
    """The stack `ref` names (at `pinned`, the lock's digest, when given): from the cache, else
    from the registry with every blob checked; `where` prefixes every error."""
    if pinned:
        hit = cached(pinned)
        if hit is not None:
            return hit
    from devenv.registry.resolve import client_for
    from devenv.registry.stack_artifact import parse_manifest

    client = client_for(ref.registry, environ)
    wanted = pinned or ref.reference
    what = f"{where}: {ref.registry}/{ref.repository}{'@' if ':' in wanted else ':'}{wanted}"
    try:
        body, _, said = client.manifest(ref.repository, wanted)
    except RegistryNotFound as err:
        raise RegistryNotFound(
            f"{what}: not found in registry {ref.registry}",
            hint="publish it there with `devenv publish` in its project, or fix the name and tag",
        ) from err
    except RegistryError as err:  # unreachable, login: the same error, naming the include
        hint = (
            err.hint
            if pinned
            else f"{err.hint or 'retry'}; once `devenv lock` pins it and it is cached, no registry is needed"
        )
        raise type(err)(f"{what}: {err.message}", hint) from err
    digest = pinned or said
    check_digest(body, digest, f"{what} manifest")
    hit = cached(digest)
    if hit is not None:
        return hit
    config_desc, files_desc = parse_manifest(body, what)
    config_raw = client.blob(ref.repository, config_desc.digest, verify=False)
    check_digest(config_raw, config_desc.digest, f"{what} config")
    config = parse_config(config_raw, what)
    layer = client.blob(ref.repository, files_desc.digest, verify=False)
    check_digest(layer, files_desc.digest, f"{what} files")
    return _store(digest, config, config_raw, layer, what)


def _store(digest: str, config: StackConfig, config_raw: bytes, layer: bytes, what: str) -> FetchedStack:
    import shutil  # only when a stack is fetched: a cached include's `up` never loads these
    import tempfile

    from devenv.registry.stack_artifact import unpack

    final = stack_dir(digest)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=final.parent))
    try:
        unpack(layer, tmp / FILES, what)
        (tmp / CONFIG_FILE).write_bytes(config_raw)
        (tmp / "digest").write_text(json.dumps({"digest": digest}) + "\n")
        try:
            os.replace(tmp, final)
        except OSError:  # another process stored it first: the same digest, the same files
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return FetchedStack(final / FILES, digest, config)
