"""Kubernetes manifests as env sources: ConfigMaps, Secrets and the env of a workload's container.

A container's env is built as the kubelet builds it: `envFrom` first (in order, later wins), then
`env` (overrides envFrom; `$(VAR)` refers to variables defined before it). A value routed through
`envFrom`/`configMapKeyRef`/`secretKeyRef` is attributed to the ConfigMap/Secret line holding it;
the referencing line is kept as `via`. `fieldRef`/`resourceFieldRef` are filled in by the cluster,
so they are reported as not mirrorable rather than guessed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.expansion import expand
from devenv.envvars.model import EnvValue, Piece, Unmirrorable, joined
from devenv.errors import ConfigError

# kind -> path from the document to the pod spec
WORKLOAD_KINDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True)
class DataEntry:
    value: str
    line: int


@dataclass
class KeyedObject:
    """A ConfigMap or a Secret: its keys in file order, each with the line holding its value."""

    kind: str
    name: str
    namespace: Optional[str]
    label: str
    line: int
    data: dict[str, DataEntry] = field(default_factory=dict)

    @property
    def secret(self) -> bool:
        return self.kind == "Secret"

    def where(self, key: str) -> str:
        return f"{self.label}:{self.data[key].line}"


@dataclass
class Container:
    workload_kind: str
    workload: str
    namespace: Optional[str]
    name: str
    label: str
    line: int
    node: Any

    @property
    def title(self) -> str:
        return f"{self.workload}/{self.name}"


@dataclass
class Manifest:
    """One k8s source file, parsed."""

    label: str
    objects: list[KeyedObject] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)


def _documents(nodes: list[Any]) -> list[Any]:
    """Top-level documents, with `kind: List` items flattened."""
    out: list[Any] = []
    for node in nodes:
        if yn.text(yn.get(node, "kind")) == "List":
            out.extend(yn.elements(yn.get(node, "items")))
        else:
            out.append(node)
    return out


def is_manifest(nodes: list[Any]) -> bool:
    return any(yn.get(doc, "kind") is not None for doc in _documents(nodes))


def parse_manifest(nodes: list[Any], label: str) -> Manifest:
    manifest = Manifest(label)
    for doc in _documents(nodes):
        kind = yn.text(yn.get(doc, "kind")) or ""
        name = yn.text(yn.get_path(doc, "metadata", "name")) or ""
        namespace = yn.text(yn.get_path(doc, "metadata", "namespace"))
        if kind == "ConfigMap":
            manifest.objects.append(_config_map(doc, kind, name, namespace, label))
        elif kind == "Secret":
            manifest.objects.append(_secret(doc, name, namespace, label))
        elif kind in WORKLOAD_KINDS:
            pod = yn.get_path(doc, *WORKLOAD_KINDS[kind])
            for c in yn.elements(yn.get(pod, "containers")):
                cname = yn.text(yn.get(c, "name")) or ""
                manifest.containers.append(Container(kind, name, namespace, cname, label, yn.line(c), c))
    return manifest


def _string_value(node: Any, what: str, label: str) -> str:
    value = yn.text(node)
    if value is None or yn.scalar_kind(node) not in ("string", "other"):
        shown = "null" if value is None else f"a {yn.scalar_kind(node)}"
        raise ConfigError(
            f"{label}:{yn.line(node)}: {what} is {shown}; Kubernetes needs a string",
            'quote the value, e.g. "8080"',
        )
    return value


def _config_map(doc: Any, kind: str, name: str, namespace: Optional[str], label: str) -> KeyedObject:
    obj = KeyedObject(kind, name, namespace, label, yn.line(doc))
    for key, key_node, value in yn.items(yn.get(doc, "data")):
        text = _string_value(value, f'ConfigMap "{name}" data.{key}', label)
        obj.data[key] = DataEntry(text, yn.line(key_node))
    return obj


def _secret(doc: Any, name: str, namespace: Optional[str], label: str) -> KeyedObject:
    obj = KeyedObject("Secret", name, namespace, label, yn.line(doc))
    for key, key_node, value in yn.items(yn.get(doc, "data")):
        where = f'Secret "{name}" data.{key}'
        encoded = "".join(_string_value(value, where, label).split())
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(
                f"{label}:{yn.line(key_node)}: {where} is not valid base64",
                "encode it with `printf %s VALUE | base64`, or put the plain text under stringData",
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(
                f"{label}:{yn.line(key_node)}: {where} is binary data, not text an env variable can hold",
                "mount binary secrets as files; keep only text keys in env sources",
            ) from None
        obj.data[key] = DataEntry(text, yn.line(key_node))
    # stringData is merged over data by the API server.
    for key, key_node, value in yn.items(yn.get(doc, "stringData")):
        text = _string_value(value, f'Secret "{name}" stringData.{key}', label)
        obj.data[key] = DataEntry(text, yn.line(key_node))
    return obj


def object_values(obj: KeyedObject) -> list[EnvValue]:
    """A ConfigMap/Secret used directly as a source: each key becomes a variable."""
    return [EnvValue(k, e.value, f"{obj.label}:{e.line}", secret=obj.secret) for k, e in obj.data.items()]


def select_container(manifest: Manifest, selector: Optional[str], service: Optional[str]) -> Container:
    """`file#container`, `file#workload/container`, `file#workload` (one container), or the only one."""
    containers = manifest.containers
    listing = ", ".join(c.title for c in containers)
    if selector:
        if "/" in selector:
            wl, cname = selector.split("/", 1)
            found = [c for c in containers if c.workload == wl and c.name == cname]
        else:
            found = [c for c in containers if c.name == selector]
            if not found:
                found = [c for c in containers if c.workload == selector]
        if len(found) == 1:
            return found[0]
        if not found:
            raise ConfigError(
                f'{manifest.label}: no container "{selector}" (containers: {listing})',
                f"use one of: {', '.join(f'{manifest.label}#{c.title}' for c in containers)}",
            )
        raise ConfigError(
            f'{manifest.label}:{found[1].line}: selector "{selector}" is ambiguous ({", ".join(c.title for c in found)})',
            f"name the workload too: {manifest.label}#{found[0].title}",
        )
    if len(containers) == 1:
        return containers[0]
    if service:
        named = [c for c in containers if c.name == service]
        if len(named) == 1:
            return named[0]
    raise ConfigError(
        f"{manifest.label}:{containers[1].line}: {len(containers)} containers ({listing}); "
        "devenv cannot tell which one's env to mirror",
        f'pick one in [env] prod, e.g. "{manifest.label}#{containers[0].name}"',
    )


class Catalog:
    """The ConfigMaps and Secrets of every prod source, looked up by the references of a workload."""

    def __init__(self, objects: list[KeyedObject]):
        self.objects = objects

    def find(self, kind: str, name: str, container: Container, ref_line: int) -> Optional[KeyedObject]:
        found = [o for o in self.objects if o.kind == kind and o.name == name]
        if len(found) > 1 and container.namespace is not None:
            found = [o for o in found if o.namespace in (None, container.namespace)]
        if len(found) > 1:
            places = ", ".join(f"{o.label}:{o.line}" for o in found)
            raise ConfigError(
                f'{container.label}:{ref_line}: {kind} "{name}" is ambiguous: defined at {places}',
                "keep one definition per name in [env] prod (or set metadata.namespace)",
            )
        return found[0] if found else None


def expand_value(raw: str, env: dict[str, EnvValue]) -> tuple[str, tuple[Piece, ...]]:
    """A literal `value` with `$(VAR)` expanded against the variables defined before it.

    Returns the text and, when it used any variable, the pieces it is built from (a derived
    value: secret when a part is, recomputed in dev/test from the layered parts)."""

    def lookup(name: str) -> Optional[Piece]:
        found = env.get(name)
        return None if found is None else Piece(found.value, name, found.secret)

    pieces = expand(raw, lookup)
    derived = any(p.ref is not None for p in pieces)
    return joined(pieces), pieces if derived else ()


@dataclass
class ContainerEnv:
    values: list[EnvValue]
    unmirrorable: list[Unmirrorable]
    # env name -> Secret data key, where they differ (secretKeyRef, envFrom prefix): a local
    # value given under the Secret's own key name fills every variable that reads it.
    secret_aliases: dict[str, str]


def container_env(container: Container, catalog: Catalog) -> ContainerEnv:
    label = container.label
    env: dict[str, EnvValue] = {}
    unmirrorable: dict[str, Unmirrorable] = {}
    aliases: dict[str, str] = {}
    for item in yn.elements(yn.get(container.node, "envFrom")):
        via = f"{label}:{yn.line(item)}"
        prefix = yn.text(yn.get(item, "prefix")) or ""
        for kind, ref_key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = yn.get(item, ref_key)
            if ref is None:
                continue
            obj = _referenced(catalog, kind, ref, container, yn.line(item), f"envFrom {ref_key}")
            if obj is None:
                continue
            for key, entry in obj.data.items():
                prefixed = prefix + key
                env[prefixed] = EnvValue(prefixed, entry.value, obj.where(key), secret=obj.secret, via=via)
                unmirrorable.pop(prefixed, None)
                _alias(aliases, prefixed, key if obj.secret else None)
    for item in yn.elements(yn.get(container.node, "env")):
        name = yn.text(yn.get(item, "name"))
        if not name:
            raise ConfigError(f"{label}:{yn.line(item)}: an env entry has no name", "give every entry a name")
        here = f"{label}:{yn.line(item)}"
        value_from = yn.get(item, "valueFrom")
        result: Optional[EnvValue] = None
        if value_from is None:
            node = yn.get(item, "value")
            raw = "" if node is None else _string_value(node, f"env {name} value", label)
            text, pieces = expand_value(raw, env)
            where = f"{label}:{yn.line(node)}" if node is not None else here
            secret = any(p.secret for p in pieces)
            result = EnvValue(name, text, where, secret=secret, pieces=pieces)
        else:
            result, data_key = _value_from(value_from, name, container, catalog, here, unmirrorable)
            _alias(aliases, name, data_key)
        if result is not None:
            env[name] = result
            unmirrorable.pop(name, None)
        elif name in unmirrorable:
            env.pop(name, None)
    aliases = {k: v for k, v in aliases.items() if k in env}
    return ContainerEnv(list(env.values()), list(unmirrorable.values()), aliases)


def _alias(aliases: dict[str, str], name: str, secret_key: Optional[str]) -> None:
    if secret_key is not None and secret_key != name:
        aliases[name] = secret_key
    else:
        aliases.pop(name, None)


def _value_from(
    node: Any,
    name: str,
    container: Container,
    catalog: Catalog,
    here: str,
    unmirrorable: dict[str, Unmirrorable],
) -> tuple[Optional[EnvValue], Optional[str]]:
    """The value a valueFrom gives, and the Secret data key it reads (if a Secret)."""
    for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = yn.get(node, ref_key)
        if ref is None:
            continue
        obj = _referenced(catalog, kind, ref, container, yn.line(ref), ref_key)
        key = yn.text(yn.get(ref, "key")) or ""
        if obj is None:
            return None, None
        if key not in obj.data:
            if _optional(ref):
                return None, None
            raise ConfigError(
                f'{container.label}:{yn.line(ref)}: {ref_key} for {name}: {kind} "{obj.name}" '
                f"({obj.label}:{obj.line}) has no key {key!r}",
                f"add {key} to the {kind}, fix the key name, or mark the reference optional: true",
            )
        value = EnvValue(name, obj.data[key].value, obj.where(key), secret=obj.secret, via=here)
        return value, key if obj.secret else None
    for ref_key in ("fieldRef", "resourceFieldRef"):
        ref = yn.get(node, ref_key)
        if ref is not None:
            target = yn.text(yn.get(ref, "fieldPath")) or yn.text(yn.get(ref, "resource")) or "?"
            unmirrorable[name] = Unmirrorable(
                name, here, f"{ref_key} {target} is filled in by Kubernetes at run time; set it in a profile"
            )
            return None, None
    raise ConfigError(
        f"{here}: valueFrom for {name} is not configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef",
        "fix the manifest (kubectl apply --dry-run=client shows the same problem)",
    )


def _optional(ref: Any) -> bool:
    return (yn.text(yn.get(ref, "optional")) or "").lower() == "true"


def _referenced(
    catalog: Catalog, kind: str, ref: Any, container: Container, ref_line: int, what: str
) -> Optional[KeyedObject]:
    ref_name = yn.text(yn.get(ref, "name")) or ""
    obj = catalog.find(kind, ref_name, container, ref_line)
    if obj is None and not _optional(ref):
        raise ConfigError(
            f'{container.label}:{ref_line}: {container.workload_kind} "{container.workload}" container '
            f'"{container.name}" {what} names {kind} "{ref_name}", which no [env] prod source defines',
            f"add the file holding {kind} {ref_name} to [env] prod in devenv.toml, or mark it optional: true",
        )
    return obj
