"""Relative paths of a compose file rebased onto another folder: an `include`d file's paths are
relative to its own folder, an `extends` base's to the file it is in; the converter reads every
path relative to the main file. Keys that hold paths, as compose-go resolves them: `build`
(context), `env_file`, bind `volumes`, `develop.watch[].path`, top-level `secrets`/`configs` files.
Absolute paths, `~`, `$VAR` and remote contexts stay as written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _rebase(path: str, source: Path, dest: Path) -> str:
    """A path relative to `source` as one relative to `dest` (absolute, ~, $VAR and URLs as written)."""
    if not path or path.startswith(("/", "~", "$")) or "://" in path or path.startswith("git@"):
        return path
    rel = os.path.relpath((source / path).resolve(), dest).replace(os.sep, "/")
    return rel if rel.startswith(".") else f"./{rel}"


def rebased_service(raw: Any, source: Path, dest: Path) -> Any:
    if not isinstance(raw, dict) or source == dest:
        return raw
    out = dict(raw)
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = _rebase(build, source, dest)
    elif isinstance(build, dict) and isinstance(build.get("context", "."), str):
        out["build"] = {**build, "context": _rebase(str(build.get("context", ".")), source, dest)}
    env_files = out.get("env_file")
    if env_files is not None:
        items = env_files if isinstance(env_files, list) else [env_files]
        out["env_file"] = [
            {**e, "path": _rebase(str(e.get("path", "")), source, dest)}
            if isinstance(e, dict)
            else _rebase(str(e), source, dest)
            for e in items
        ]
    if isinstance(out.get("volumes"), list):
        out["volumes"] = [_rebased_volume(v, source, dest) for v in out["volumes"]]
    develop = out.get("develop")
    if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
        watch = [
            {**t, "path": _rebase(str(t["path"]), source, dest)}
            if isinstance(t, dict) and t.get("path")
            else t
            for t in develop["watch"]
        ]
        out["develop"] = {**develop, "watch": watch}
    return out


def _rebased_volume(volume: Any, source: Path, dest: Path) -> Any:
    if isinstance(volume, dict):
        if volume.get("type") == "bind" and isinstance(volume.get("source"), str):
            return {**volume, "source": _rebase(volume["source"], source, dest)}
        return volume
    text = str(volume)
    head, sep, rest = text.partition(":")
    if sep and head.startswith("."):
        return _rebase(head, source, dest) + sep + rest
    return volume


def rebase_model(doc: dict[str, Any], source: Path, dest: Path) -> None:
    for name, raw in list((doc.get("services") or {}).items()):
        doc["services"][name] = rebased_service(raw, source, dest)
    for section in ("secrets", "configs"):
        for name, spec in (doc.get(section) or {}).items():
            if isinstance(spec, dict) and isinstance(spec.get("file"), str):
                doc[section][name] = {**spec, "file": _rebase(spec["file"], source, dest)}
