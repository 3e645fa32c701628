"""Where each value of a Kustomize render was written: the base manifest, the patch that changed
it, the generator's env file line or literal.

Kustomize's `originAnnotations` name each object's file (or the kustomization whose generator
made it) and `transformerAnnotations` the kustomizations whose patches touched it; this module
looks each env entry and ConfigMap/Secret key up in those files, the patches first (the last
applied wins), and maps the rendered line to `file:line`. A value none of them names keeps the
object's own file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.render import Rendered

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMS = "alpha.config.kubernetes.io/transformations"
PATCH_KINDS = ("PatchStrategicMergeTransformer", "PatchJson6902Transformer", "PatchTransformer", "ReplacementTransformer")
GENERATORS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}


class _Files:
    """Lines of the files looked in, read once per render; paths shown relative to the project."""

    def __init__(self, root: Path, wrapper: Path):
        self.root, self.wrapper = root, wrapper
        self.lines: dict[Path, list[str]] = {}

    def resolve(self, written: str, base: Optional[Path] = None) -> Path:
        return Path(os.path.normpath((base or self.wrapper) / written))

    def read(self, path: Path) -> list[str]:
        if path not in self.lines:
            try:
                self.lines[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.lines[path] = []
        return self.lines[path]

    def show(self, path: Path, line: int) -> str:
        rel = os.path.relpath(path, self.root)
        shown = path.as_posix() if rel.startswith("..") else Path(rel).as_posix()
        return f"{shown}:{line}"


def _yaml(text: Optional[str]) -> Any:
    if not text:
        return None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _kustomization(files: _Files, path: Path) -> dict[str, Any]:
    data = _yaml("\n".join(files.read(path)))
    return data if isinstance(data, dict) else {}


def _patch_files(files: _Files, kfile: Path) -> list[Path]:
    """The files a kustomization's patches and replacements are in (the kustomization itself for
    inline ones), in the order applied."""
    data, here, out = _kustomization(files, kfile), kfile.parent, []
    for field in ("patchesStrategicMerge", "patches", "patchesJson6902", "replacements"):
        for item in data.get(field) or []:
            written = item.get("path") if isinstance(item, dict) else item
            if isinstance(written, str) and "\n" not in written and (here / written).is_file():
                out.append(files.resolve(written, here))
            else:
                out.append(kfile)
    return out


def _generator_files(files: _Files, kfile: Path, kind: str, name: str) -> tuple[list[Path], dict[str, Path]]:
    """The env files (later wins) and `files:` entries (key -> file) of the generator that made `name`."""
    data, here = _kustomization(files, kfile), kfile.parent
    gens = [g for g in data.get(GENERATORS[kind]) or [] if isinstance(g, dict) and str(g.get("name", "")) in name]
    if not gens:
        return [], {}
    gen = max(gens, key=lambda g: len(str(g.get("name", ""))))
    envs = [*(gen.get("envs") or []), *([gen["env"]] if isinstance(gen.get("env"), str) else [])]
    keyed: dict[str, Path] = {}
    for item in gen.get("files") or []:
        key, _, written = str(item).rpartition("=")
        keyed[key or os.path.basename(written)] = files.resolve(written, here)
    return [files.resolve(str(e), here) for e in reversed(envs)] + [kfile], keyed


def _last_match(lines: list[str], pattern: re.Pattern[str]) -> Optional[int]:
    found = None
    for index, text in enumerate(lines):
        if pattern.search(text):
            found = index + 1
    return found


def _first_match(lines: list[str], pattern: re.Pattern[str], start: int) -> Optional[int]:
    return next((i + 1 for i in range(start, len(lines)) if pattern.search(lines[i])), None)


def _find_key(files: _Files, candidates: list[Path], key: str) -> Optional[str]:
    pattern = re.compile(
        rf"""^\s*(?:-\s*)?(?:export\s+)?["']?{re.escape(key)}["']?\s*(?::(?:\s|$)|=)"""
    )
    for path in candidates:
        line = _last_match(files.read(path), pattern)
        if line:
            return files.show(path, line)
    return None


def _find_env(
    files: _Files, candidates: list[Path], name: str, value: Optional[str], container: str
) -> tuple[Optional[str], Optional[str]]:
    """(item, value) places of env entry `name`: a patch or replacement naming it (or, for a
    JSON 6902 patch by index, writing its value), else the base; within `container`'s block
    where the file names it."""
    named = re.compile(  # a replacement's fieldPath names the container and the entry
        rf"""name["']?\s*:\s*["']?{re.escape(name)}["']?\s*(?:[,}}#]|$)|\[name={re.escape(container)}\].*\[name={re.escape(name)}\]"""
    )
    valued = re.compile(r"""^\s*(?:-\s*)?["']?value["']?\s*:""")
    owner = re.compile(rf"""^\s*-\s*name\s*:\s*["']?{re.escape(container)}["']?\s*$""")
    for path in candidates:
        lines = files.read(path)
        start = _first_match(lines, owner, 0) if container else None
        line = (_first_match(lines, named, start) if start else None) or _last_match(lines, named)
        if line:
            return files.show(path, line), files.show(path, _value_line(lines, line, valued))
        if value and any(re.search(r"""["']?op["']?\s*:""", t) for t in lines):
            exact = re.compile(rf"""["']?value["']?\s*:\s*["']?{re.escape(value)}["']?\s*(?:[,}}]|$)""")
            hit = _last_match(lines, exact)
            if hit:
                return files.show(path, hit), files.show(path, hit)
    return None, None


def _value_line(lines: list[str], line: int, valued: re.Pattern[str]) -> int:
    """The `value:` line of the list item whose name is on `line` (1-based): within that item
    only, so a neighbour's value (the entry just above) is never taken for it."""
    first = line - 1
    while first > 0 and not lines[first].lstrip().startswith("-"):
        first -= 1
    dash = _indent(lines[first])
    end = line
    while end < len(lines) and not lines[end].lstrip().startswith("-") and _indent(lines[end]) > dash:
        end += 1
    return next((i + 1 for i in range(first, end) if valued.search(lines[i])), line)


def origins(text: str, label: str, root: Path, wrapper: Path) -> dict[int, str]:
    """Rendered line -> `file:line` for every env entry, envFrom and ConfigMap/Secret key."""
    from devenv.envvars.k8s import WORKLOAD_KINDS

    files = _Files(root, wrapper)
    out: dict[int, str] = {}
    for doc in yn.compose_documents(text, label):
        notes = yn.get_path(doc, "metadata", "annotations")
        origin = _yaml(yn.text(yn.get(notes, ORIGIN))) or {}
        steps = _yaml(yn.text(yn.get(notes, TRANSFORMS))) or []
        patches: list[Path] = []
        touched: list[Path] = []  # kustomizations that transformed it, innermost first
        for step in steps if isinstance(steps, list) else []:
            by = step.get("configuredBy") or {} if isinstance(step, dict) else {}
            if not step.get("configuredIn"):
                continue
            touched.append(files.resolve(str(step["configuredIn"])))
            if by.get("kind") in PATCH_KINDS:
                patches.extend(_patch_files(files, touched[-1]))
        candidates = list(dict.fromkeys(reversed(patches)))
        keyed: dict[str, Path] = {}
        name = yn.text(yn.get_path(doc, "metadata", "name")) or ""
        if isinstance(origin, dict) and origin.get("path"):
            own = files.resolve(str(origin["path"]))
            candidates.append(own)
        elif isinstance(origin, dict) and origin.get("configuredIn"):
            own = files.resolve(str(origin["configuredIn"]))
            kind = (origin.get("configuredBy") or {}).get("kind")
            if kind in GENERATORS:  # an overlay's generator of the same name merges over the base's
                for kfile in dict.fromkeys([*reversed(touched), own]):
                    envs, found = _generator_files(files, kfile, kind, name)
                    candidates.extend(envs)
                    keyed = {**found, **keyed}
                candidates.append(own)
            else:
                candidates.append(own)
        else:
            continue
        fallback = files.show(own, 1)
        kind = yn.text(yn.get(doc, "kind")) or ""
        if kind in ("ConfigMap", "Secret"):
            for field in ("data", "stringData", "binaryData"):
                for key, key_node, _ in yn.items(yn.get(doc, field)):
                    if key in keyed:
                        out[yn.line(key_node)] = files.show(keyed[key], 1)
                    else:
                        out[yn.line(key_node)] = _find_key(files, candidates, key) or fallback
        elif kind in WORKLOAD_KINDS:
            pod = yn.get_path(doc, *WORKLOAD_KINDS[kind])
            for container in [*yn.elements(yn.get(pod, "containers")), *yn.elements(yn.get(pod, "initContainers"))]:
                for item in yn.elements(yn.get(container, "env")):
                    value_node = yn.get(item, "value")
                    env_name = yn.text(yn.get(item, "name")) or ""
                    cname = yn.text(yn.get(container, "name")) or ""
                    at, value_at = _find_env(files, candidates, env_name, yn.text(value_node), cname)
                    out[yn.line(item)] = at or fallback
                    if value_node is not None:
                        out[yn.line(value_node)] = value_at or fallback
                for item in yn.elements(yn.get(container, "envFrom")):
                    # an envFrom is rarely patched in: the object's own file first
                    out[yn.line(item)] = _find_ref(files, list(dict.fromkeys([own, *candidates])), item) or fallback
    return out


def _find_ref(files: _Files, candidates: list[Path], item: Any) -> Optional[str]:
    """An envFrom entry: the line naming its ConfigMap/Secret, as written before prefixes and hashes."""
    ref = yn.get(item, "configMapRef") or yn.get(item, "secretRef")
    rendered = yn.text(yn.get(ref, "name")) or ""
    pattern = re.compile(r"""name["']?\s*:\s*["']?([\w.-]+)""")
    for path in candidates:
        best: Optional[tuple[int, int]] = None
        for index, text in enumerate(files.read(path)):
            match = pattern.search(text)
            if match and match.group(1) in rendered and (best is None or len(match.group(1)) > best[0]):
                best = (len(match.group(1)), index + 1)
        if best:
            return files.show(path, best[1])
    return None


def without_build_metadata(text: str, origins: dict[int, str]) -> Rendered:
    """The render as `kubectl kustomize` prints it without buildMetadata: the two annotations
    (and an `annotations:` left empty) removed, `origins` renumbered to the lines that stay. The
    cached text is then no larger to parse than a hand-rendered file, and byte-identical to it."""
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    index = 0
    while index < len(lines):
        stripped = lines[index].lstrip()
        if stripped.startswith((ORIGIN + ":", TRANSFORMS + ":")):
            indent = len(lines[index]) - len(stripped)
            drop.add(index)
            index += 1
            while index < len(lines) and _indent(lines[index]) > indent:
                drop.add(index)
                index += 1
            continue
        index += 1
    for index, line in enumerate(lines):  # an `annotations:` whose every entry went
        if line.strip() == "annotations:" and index not in drop:
            following = next((i for i in range(index + 1, len(lines)) if i not in drop), None)
            if following is None or _indent(lines[following]) <= _indent(line):
                drop.add(index)
    kept: list[str] = []
    renumbered: dict[int, int] = {}
    for index, line in enumerate(lines):
        if index not in drop:
            kept.append(line)
            renumbered[index + 1] = len(kept)
    return Rendered("".join(kept), {renumbered[n]: at for n, at in origins.items() if n in renumbered})


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip()) if line.strip() else 1 << 30  # a blank line belongs to the block
