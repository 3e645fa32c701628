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
import stat
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, Optional

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


class Reach(NamedTuple):
    files: list[Path]  # every file the tree may read
    named: list[tuple[str, str]]  # (absolute path, the kustomization naming it), folders and files
    local: bool  # no remote base: the tree can be hashed


def reach(root: Path, folder: str) -> Reach:
    """Every file the kustomization tree may read. Conservative: each kustomization folder's
    own files, plus every path any of its strings names (resources, bases, components, patches,
    generator env files and `key=file` entries, replacements...), folders whole. A remote base
    cannot be hashed: such a tree is rendered every time. Plain strings and one stat per
    candidate: this runs on every `up`."""
    files: set[str] = set()
    named: list[tuple[str, str]] = []
    local = True
    seen: set[str] = set()
    pending = [os.path.normpath(os.path.join(root, folder))]
    while pending:
        here = pending.pop()
        if here in seen:
            continue
        seen.add(here)
        kfile = kustomization_file(Path(here))
        if kfile is None:
            files.update(str(p) for p in render.files_under(Path(here)))
            continue
        with os.scandir(here) as entries:
            files.update(e.path for e in entries if e.is_file())
        for text in _strings(_load(kfile)):
            if text.startswith(_REMOTE) or "?ref=" in text:
                local = False
                continue
            candidate = text.rpartition("=")[2] if "=" in text else text
            if "\n" in candidate or " " in candidate or not candidate or len(candidate) > 4096:
                continue  # an inline patch, a literal, a name: nothing to read
            path = os.path.normpath(os.path.join(here, candidate))
            try:
                mode = os.stat(path).st_mode
            except (OSError, ValueError):
                continue
            if stat.S_ISDIR(mode):
                pending.append(path)
            elif stat.S_ISREG(mode):
                files.add(path)
            else:
                continue
            named.append((path, str(kfile)))
    return Reach([Path(f) for f in sorted(files)], named, local)


def inputs(root: Path, folder: str) -> tuple[list[Path], bool]:
    """`reach`'s files and whether they are all local, once every path a kustomization names
    stays in the project or was trusted (`devenv trust` lists those that leave it)."""
    found = reach(root, folder)
    for path, kfile in found.named:
        reads.check(root, os.path.relpath(path, root), f"{os.path.relpath(kfile, root)} (Kustomize, [env] prod)")
    return found.files, found.local


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
    return kustomize_origin.without_build_metadata(text, origins)
