"""A Kustomize folder as a prod source, rendered by the real Kustomize (never re-implemented).

The folder is rendered through a temporary kustomization that names it as its one resource and
asks for `buildMetadata: [originAnnotations, transformerAnnotations]`: each object then says the
file it came from (or the generator that made it) and the patches applied to it, which is how
provenance reaches the file a value was written in (`kustomize_origin`). The annotations change
no name, hash or env. The render is cached by the content of every file the kustomization tree
reaches (`inputs`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any, Optional

from devenv import reads
from devenv.envvars import render
from devenv.errors import ConfigError

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE = ("http://", "https://", "git@", "ssh://", "github.com/", "gitlab.com/")


def folder_of(root: Path, path: str) -> Optional[str]:
    """The kustomization folder a prod entry names (the folder, or its kustomization file), if any."""
    pure = PurePosixPath(path)
    if pure.name in NAMES:
        return str(pure.parent)
    target = root / path
    if target.is_dir() and kustomization_file(target) is not None:
        return path
    return None


def kustomization_file(folder: Path) -> Optional[Path]:
    for name in NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _load(file: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(file.read_text(encoding="utf-8"), Loader=loader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None  # Kustomize reports it, with its own words, when it renders


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def inputs(root: Path, folder: str) -> tuple[list[Path], bool]:
    """Every file the kustomization tree may read, and whether it is all local (a remote base
    cannot be hashed: such a tree is rendered every time). Conservative: each kustomization
    folder's own files, plus every path any of its strings names (resources, bases, components,
    patches, generator env files and `key=file` entries, replacements...), folders whole."""
    files: set[Path] = set()
    local = True
    seen: set[Path] = set()
    pending = [root / folder]
    while pending:
        here = pending.pop()
        if here in seen:
            continue
        seen.add(here)
        kfile = kustomization_file(here)
        if kfile is None:
            files.update(render.files_under(here))
            continue
        files.update(p for p in here.iterdir() if p.is_file())
        for text in _strings(_load(kfile)):
            if text.startswith(_REMOTE) or "?ref=" in text:
                local = False
                continue
            candidate = text.rpartition("=")[2] if "=" in text and "\n" not in text else text
            if "\n" in candidate or not candidate.strip() or len(candidate) > 4096:
                continue  # an inline patch or a literal: in the kustomization itself
            path = here / candidate
            try:
                is_dir, is_file = path.is_dir(), path.is_file()
            except OSError:
                continue
            if not (is_dir or is_file):
                continue
            written = os.path.relpath(path, root)
            reads.check(root, written, f"{os.path.relpath(kfile, root)} (Kustomize, [env] prod)")
            if is_dir:
                pending.append(Path(os.path.normpath(path)))
            else:
                files.add(Path(os.path.normpath(path)))
    return sorted(files), local


def build(root: Path, folder: str, label: str) -> render.Rendered:
    """The folder rendered by Kustomize, from the cache when nothing it reads changed."""
    reads.check(root, folder, "[env] prod in devenv.toml")
    if not (root / folder).is_dir() or kustomization_file(root / folder) is None:
        raise ConfigError(
            f"{label}: {folder} is not a folder with a kustomization.yaml",
            "name a folder holding kustomization.yaml (or the file itself)",
        )
    command = render.kustomize_command()
    files, local = inputs(root, folder)
    key = render.cache_key("kustomize", command, root, render.digest_files(root, files) + folder) if local else None
    hit = render.cached(key) if key else None
    if hit is not None:
        return hit
    rendered = _render(root, folder, command, label)
    if key:
        render.store(key, rendered)
    return rendered


def _render(root: Path, folder: str, command: list[str], label: str) -> render.Rendered:
    import tempfile

    from devenv.envvars import kustomize_origin

    wrapper = Path(tempfile.mkdtemp(prefix="devenv-kustomize-"))
    try:
        target = os.path.relpath((root / folder).resolve(), wrapper.resolve())
        (wrapper / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n- {target}\n"
            "buildMetadata: [originAnnotations, transformerAnnotations]\n",
            encoding="utf-8",
        )
        text = render.run([*command, str(wrapper)], root, label)
        origins = kustomize_origin.origins(text, label, root, wrapper.resolve())
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)
    return render.Rendered(text, origins)
