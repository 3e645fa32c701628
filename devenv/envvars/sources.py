"""Production's env, read from the sources listed in `[env] prod` (in order, later wins).

Kinds are told by name and content: `.json` is a flat JSON object of strings; `.yaml`/`.yml` is
Kubernetes manifests (documents with `kind:`) or a compose file (top-level `services:`); anything
else is a dotenv file. When any Kubernetes source holds a workload (Deployment, StatefulSet, ...),
the env is what its container receives, and ConfigMaps/Secrets are only looked up by reference;
otherwise every ConfigMap/Secret key listed is a variable.

No dataclasses: `up` reads prod's env, and creating a dataclass compiles its methods at import;
the record is a NamedTuple, the mutable parts plain classes with their `__init__` written out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Union

from devenv import reads
from devenv.config import bounded
from devenv.config.model import RenderSource
from devenv.envvars import yamlnodes as yn
from devenv.envvars.dotenv import read_dotenv
from devenv.envvars.interpolate import variable
from devenv.envvars.model import EnvValue, Unmirrorable
from devenv.errors import ConfigError

if TYPE_CHECKING:  # the YAML readers load with the first YAML source, not with every dotenv
    from devenv.envvars import k8s


class SourceRef(NamedTuple):
    entry: str  # as written: "deploy/k8s/deployment.yaml#web"
    path: str  # project-relative, posix; a render command's entry
    selector: Optional[str]
    render: Optional[RenderSource] = None


def parse_ref(entry: Union[str, RenderSource]) -> SourceRef:
    if isinstance(entry, RenderSource):
        label = "render `" + " ".join(entry.command) + "`"
        return SourceRef(entry.entry, label, entry.select, entry)
    path, _, selector = entry.partition("#")
    return SourceRef(entry, str(PurePosixPath(path.strip())), selector.strip() or None)


def kustomize_folder(root: Path, ref: SourceRef) -> Optional[str]:
    """The Kustomize folder a path entry names, if it names one (a YAML file never does)."""
    pure = PurePosixPath(ref.path)
    if ref.render is not None or (pure.suffix.lower() in (".yaml", ".yml", ".json") and not pure.name.startswith("kustomization.")):
        return None
    from devenv.envvars import kustomize

    return kustomize.folder_of(root, ref.path)


class ProdEnv:
    __slots__ = ("secret_aliases", "unmirrorable", "values", "warnings")

    def __init__(
        self,
        values: Optional[dict[str, EnvValue]] = None,
        unmirrorable: Optional[dict[str, Unmirrorable]] = None,
        warnings: Optional[list[str]] = None,
        secret_aliases: Optional[dict[str, str]] = None,  # env key -> Secret data key
    ) -> None:
        self.values: dict[str, EnvValue] = {} if values is None else values
        self.unmirrorable: dict[str, Unmirrorable] = {} if unmirrorable is None else unmirrorable
        self.warnings: list[str] = [] if warnings is None else warnings
        self.secret_aliases: dict[str, str] = {} if secret_aliases is None else secret_aliases

    def put(self, value: EnvValue, alias: Optional[str] = None) -> None:
        self.values[value.key] = value
        self.unmirrorable.pop(value.key, None)
        if alias:
            self.secret_aliases[value.key] = alias
        else:
            self.secret_aliases.pop(value.key, None)

    def put_unmirrorable(self, item: Unmirrorable) -> None:
        self.values.pop(item.key, None)
        self.unmirrorable[item.key] = item

    @property
    def secret_keys(self) -> set[str]:
        return {k for k, v in self.values.items() if v.secret}


def read_text(root: Path, path: str, referenced_from: Optional[str] = None) -> str:
    where = referenced_from or "[env] prod in devenv.toml"
    file = root / path
    reads.check(root, path, where)  # outside the project: only once trusted
    if file.is_dir():
        raise ConfigError(
            f"{path}: env source is a folder, not a file (listed in {where})",
            "list the files themselves — a .env file, a .json file, or Kubernetes .yaml manifests — "
            "or give the folder a kustomization.yaml to have Kustomize render it"
            + _candidates(file, path),
        )
    if not file.is_file():
        raise ConfigError(
            f"{path}: env source not found (listed in {where})",
            "fix the path (relative to the project folder) or remove the entry",
        )
    from devenv.fsutil import read_text as read_file

    try:
        return read_file(file, path)
    except FileNotFoundError:  # gone between the two looks
        raise ConfigError(f"{path}: env source not found (listed in {where})", "fix the path") from None


def _candidates(folder: Path, shown: str) -> str:
    """The folder's files that could be sources, for the hint (a few, by name)."""
    try:
        names = sorted(
            p.name
            for p in folder.iterdir()
            if p.is_file() and (p.suffix.lower() in (".yaml", ".yml", ".json", ".env") or p.name.startswith(".env"))
        )
    except OSError:
        return ""
    if not names:
        return ""
    listed = ", ".join(f'"{shown.rstrip("/")}/{n}"' for n in names[:4]) + (", …" if len(names) > 4 else "")
    return f"; in it: {listed}"


def source_kind(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "dotenv"


class _Loaded:
    __slots__ = ("kind", "manifest", "nodes", "origins", "ref", "text")

    def __init__(
        self,
        ref: SourceRef,
        kind: str,  # dotenv | json | k8s | compose
        text: str,
        nodes: Optional[list[Any]] = None,
        manifest: Optional[k8s.Manifest] = None,
    ) -> None:
        self.ref = ref
        self.kind = kind
        self.text = text
        self.nodes: list[Any] = [] if nodes is None else nodes
        self.manifest = manifest
        self.origins: dict[int, str] = {}  # rendered line -> where it was written (Kustomize)


def _load(root: Path, ref: SourceRef) -> _Loaded:
    if ref.render is not None:
        return _load_rendered(root, ref)
    folder = kustomize_folder(root, ref)
    if folder is not None:
        from devenv.envvars import kustomize

        rendered = kustomize.build(root, folder, ref.entry)
        if not rendered.text.strip():
            raise ConfigError(
                f"{ref.entry}: Kustomize rendered no objects from {folder}",
                "check its resources (`kubectl kustomize " + folder + "` prints the same)",
            )
        kind, nodes, manifest = _parse_yaml(ref.path, rendered.text)
        loaded = _Loaded(ref, kind, rendered.text, list(nodes), manifest)
        loaded.origins = rendered.origins
        return loaded
    text = read_text(root, ref.path)
    kind = source_kind(ref.path)
    if kind != "yaml":
        return _Loaded(ref, kind, text)
    kind, nodes, manifest = _parse_yaml(ref.path, text)
    return _Loaded(ref, kind, text, list(nodes), manifest)


def _load_rendered(root: Path, ref: SourceRef) -> _Loaded:
    """A render command's output: Kubernetes YAML holding at least one workload."""
    from devenv.envvars import k8s, render

    assert ref.render is not None
    rendered = render.render_command(root, ref.render.command, ref.render.inputs, ref.entry)
    text = rendered.text
    try:
        nodes = yn.compose_documents(text, ref.path)
    except ConfigError as err:
        raise ConfigError(
            f"{ref.entry} printed text that is not YAML ({err.message.partition(': ')[2]}, line "
            f"{err.message.split(':')[1] if ':' in err.message else '?'} of its output)",
            "run the command by hand: its standard output must be Kubernetes YAML only",
        ) from None
    if not k8s.is_manifest(nodes):
        raise ConfigError(
            f"{ref.entry} printed YAML without Kubernetes objects (no `kind:`)",
            "run the command by hand: its standard output must be Kubernetes manifests",
        )
    manifest = k8s.parse_manifest(nodes, ref.path)
    if not manifest.every_container:
        raise ConfigError(
            f"{ref.entry} printed no workload (no Deployment, StatefulSet, Job, Pod... with containers)",
            "check the command's values (a chart may disable the workload), or list the ConfigMaps as files",
        )
    loaded = _Loaded(ref, "k8s", text, list(nodes), manifest)
    loaded.origins = rendered.origins  # a chart's templates (`# Source:` lines), else none
    return loaded


@functools.lru_cache(maxsize=32)
def _parse_yaml(path: str, text: str) -> tuple[str, tuple[Any, ...], Optional[k8s.Manifest]]:
    """(kind, documents, manifest) of a YAML source. Cached by its text: one command resolves
    the env of every service and again for redaction, and parsing YAML is the dearest part."""
    from devenv.envvars import compose, k8s

    nodes = yn.compose_documents(text, path)
    if k8s.is_manifest(nodes):
        return "k8s", tuple(nodes), k8s.parse_manifest(nodes, path)
    if compose.is_compose(nodes):
        return "compose", tuple(nodes), None
    raise ConfigError(
        f"{path}:1: neither Kubernetes manifests (no `kind:`) nor a compose file (no top-level `services:`)",
        "list ConfigMap/Secret/Deployment manifests, a compose file, a dotenv file or a JSON object",
    )


def load_prod(root: Path, entries: tuple[Union[str, RenderSource], ...], service: Optional[str] = None) -> ProdEnv:
    """Read every prod source and layer them in order."""
    loaded = [_load(root, parse_ref(e)) for e in entries]
    manifests = [src.manifest for src in loaded if src.manifest]
    # label -> (rendered line -> the file and line it was written in), for Kustomize sources
    origins = {src.ref.path: src.origins for src in loaded if src.origins}
    target = _target(loaded, service) if manifests else None
    prod = ProdEnv()
    for src in loaded:
        if src.kind == "dotenv":
            _apply_dotenv(prod, src)
        elif src.kind == "json":
            for value in parse_json_object(src.text, src.ref.path):
                prod.put(value)
        elif src.kind == "compose":
            from devenv.envvars import compose

            result = compose.compose_env(
                root, src.nodes, src.ref.path, src.ref.selector, service, lambda p, w: read_text(root, p, w)
            )
            for item in result.unmirrorable:
                prod.put_unmirrorable(item)
            for value in result.values:
                prod.put(value)
            prod.warnings.extend(result.warnings)
        else:
            _apply_k8s(prod, src, manifests, target, origins)
    if service is not None and loaded and not prod.values and not prod.unmirrorable:
        raise nothing_mirrored(loaded, service, target)
    return prod


def workload_containers(root: Path, entry: str) -> list[k8s.Container]:
    """The regular containers the source `entry` holds (none for a dotenv, JSON or compose file)."""
    loaded = _load(root, parse_ref(entry))
    return list(loaded.manifest.containers) if loaded.manifest is not None else []


def nothing_mirrored(loaded: list[_Loaded], service: str, target: Optional[k8s.Container]) -> ConfigError:
    """A service told to receive prod's env that gets none of it: name what the sources hold,
    so the mismatch (a container named otherwise, an empty file) is plain."""
    held: list[str] = []
    for src in loaded:
        if src.manifest is not None and src.manifest.containers:
            held.append(f"{src.ref.path} holds containers {', '.join(c.title for c in src.manifest.containers)}")
        elif src.manifest is not None:
            objects = ", ".join(f"{o.kind} {o.name}" for o in src.manifest.objects)
            held.append(f"{src.ref.path} holds {objects or 'no ConfigMap, Secret or workload'}")
        elif src.kind == "compose":
            names = [name for name, _, _ in yn.items(yn.get(src.nodes[0], "services"))]
            held.append(f"{src.ref.path} holds services {', '.join(names)}")
        else:
            held.append(f"{src.ref.path} holds no variables")
    picked = f" (it mirrors {target.title}, which has no env)" if target is not None else ""
    return ConfigError(
        f'[env] prod gives service "{service}" no variables{picked}: {"; ".join(held)}',
        f'name the service like its container, or pick one with "FILE#CONTAINER" in [env] prod; '
        f'env = "none" on {service} if it needs none of production\'s env',
    )


def _target(loaded: list[_Loaded], service: Optional[str]) -> Optional[k8s.Container]:
    """The one container whose env is mirrored, when any k8s source holds a workload."""
    from devenv.envvars import k8s

    sources = [
        k8s.WorkloadSource(src.ref.entry, src.manifest, src.ref.selector)
        for src in loaded
        if src.manifest is not None and src.manifest.containers
    ]
    for src in loaded:
        if src.manifest is not None and src.ref.selector and not src.manifest.containers:
            raise ConfigError(
                f"{src.ref.entry}: a selector picks a container, but {src.ref.path} has no workload",
                f"drop the #{src.ref.selector}",
            )
    return k8s.select_target(sources, service) if sources else None


def _apply_dotenv(prod: ProdEnv, src: _Loaded) -> None:
    """A dotenv prod source, read as compose reads a .env; `${VAR}` may also name a key of an
    earlier prod source (compose reads each file alone: devenv lets a later one build on it), and
    a value built from a secret (a Kubernetes Secret's key) is secret."""
    known = {k: variable(k, v.value, v.secret) for k, v in prod.values.items()}
    result = read_dotenv(src.text, src.ref.path, parts=known.get)
    prod.warnings.extend(result.warnings)
    for entry in result.entries:
        where = f"{src.ref.path}:{entry.line}"
        if not entry.key:
            prod.warnings.append(f"{where}: a value with no name (no container can receive it); ignored")
            continue
        if entry.inherited:
            if entry.key not in prod.values:  # a bare KEY keeps an earlier source's value
                prod.put_unmirrorable(
                    Unmirrorable(entry.key, where, "a bare KEY takes its value from the shell")
                )
        elif entry.value is not None:
            secret = any(p.secret for p in entry.pieces)
            prod.put(EnvValue(entry.key, entry.value, where, secret=secret, pieces=entry.pieces))


def _apply_k8s(
    prod: ProdEnv,
    src: _Loaded,
    manifests: list[k8s.Manifest],
    target: Optional[k8s.Container],
    origins: dict[str, dict[int, str]],
) -> None:
    """A k8s source: the target container's env where this file holds it; otherwise (no workload
    anywhere) every ConfigMap/Secret key. A workload that is not the target gives nothing: its
    ConfigMaps and Secrets are reached through the target's references."""
    from devenv.envvars import k8s, k8s_env

    manifest = src.manifest
    assert manifest is not None
    note = manifest.ignored_note()
    if note:
        prod.warnings.append(note)
    if target is not None:
        if target in manifest.every_container:
            catalog = k8s.Catalog([o for m in manifests for o in m.objects])
            siblings = [c for c in manifest.every_container if c.pod is target.pod]
            result = k8s_env.container_env(target, catalog, siblings)
            for item in result.unmirrorable.values():
                prod.put_unmirrorable(_relabel_item(item, origins))
            for value in result.values.values():
                prod.put(_relabel(value, origins), result.secret_aliases.get(value.key))
        return
    for obj in manifest.objects:
        for value in k8s.object_values(obj):
            prod.put(_relabel(value, origins))


def _where(text: Optional[str], origins: dict[str, dict[int, str]]) -> Optional[str]:
    """A rendered `label:LINE rest` as the file and line the value was written in."""
    if not text:
        return text
    for label, lines in origins.items():
        if lines and text.startswith(label + ":"):
            number, _, rest = text[len(label) + 1 :].partition(" ")
            if number.isdigit() and int(number) in lines:
                return lines[int(number)] + (" " + rest if rest else "")
    return text


def _relabel(value: EnvValue, origins: dict[str, dict[int, str]]) -> EnvValue:
    if not any(origins.values()):
        return value
    return value._replace(source=_where(value.source, origins) or value.source, via=_where(value.via, origins))


def _relabel_item(item: Unmirrorable, origins: dict[str, dict[int, str]]) -> Unmirrorable:
    return item._replace(source=_where(item.source, origins) or item.source) if any(origins.values()) else item


def parse_json_object(text: str, label: str) -> list[EnvValue]:
    """A flat JSON object of strings, each value with the line of its key."""
    decoder = json.JSONDecoder()
    try:
        bounded.json_loads(text, label)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{label}:{err.lineno}: not valid JSON: {err.msg}", "fix the JSON syntax") from None
    pos = _skip_ws(text, 0)
    if not text.startswith("{", pos):
        raise ConfigError(f"{label}:1: expected a JSON object of strings", 'write {"KEY": "value", ...}')
    out: dict[str, EnvValue] = {}
    pos = _skip_ws(text, pos + 1)
    while not text.startswith("}", pos):
        line = text.count("\n", 0, pos) + 1
        key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
        pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ':'
        value, pos = decoder.raw_decode(text, pos)
        if not isinstance(value, str):
            raise ConfigError(
                f"{label}:{line}: {key} is {type(value).__name__}, not a string",
                # not the value itself: it may be a secret's
                f"env values are strings: put the value of {key} in double quotes"
                if not isinstance(value, (dict, list))
                else "an env source is a flat object: KEY to string",
            )
        out[key] = EnvValue(key, value, f"{label}:{line}")
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
    return list(out.values())


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def source_files(root: Path, entries: tuple[Union[str, RenderSource], ...]) -> list[str]:
    """Every file prod is read from: the listed sources plus compose `env_file`s and `.env`; a
    Kustomize folder's every input; a render command's declared inputs."""
    files: list[str] = []
    for entry in entries:
        ref = parse_ref(entry)
        extra: list[str] = []
        if ref.render is not None:
            from devenv.envvars import render

            for written in ref.render.inputs:
                path = root / written
                found = render.files_under(path) if path.is_dir() else [path]
                extra.extend(os.path.relpath(p, root) for p in found)
        else:
            folder = kustomize_folder(root, ref)
            if folder is not None:
                from devenv.envvars import kustomize

                extra.extend(os.path.relpath(p, root) for p in kustomize.inputs(root, folder)[0])
        if ref.render is not None or extra:
            files.extend(p for p in sorted(extra) if p not in files)
            continue
        if ref.path not in files:
            files.append(ref.path)
        if source_kind(ref.path) == "yaml":
            from devenv.envvars import compose

            nodes = yn.compose_documents(read_text(root, ref.path), ref.path)
            if compose.is_compose(nodes):
                extra = compose.referenced_files(nodes, ref.path, lambda p, w: read_text(root, p, w))
                dot_env = str(PurePosixPath(ref.path).parent / ".env")
                extra += [dot_env] if (root / dot_env).is_file() else []
                files.extend(p for p in extra if p not in files and (root / p).is_file())
    return files


def hash_files(root: Path, entries: tuple[Union[str, RenderSource], ...]) -> dict[str, str]:
    """path -> sha256 (hex) of the file's bytes; what devenv.lock records under [env] sources."""
    hashes: dict[str, str] = {}
    for path in source_files(root, entries):
        read_text(root, path)  # the same "not found" error as loading
        hashes[path] = hashlib.sha256((root / path).read_bytes()).hexdigest()
    return hashes
