"""Kubernetes manifests as env sources: their ConfigMaps, Secrets and workload containers.

Every kind with a pod template is read (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job, CronJob). The kinds that never hold a container (a Service, an
Ingress, RBAC, ...) are passed over in silence: every app's manifests have them. Any other kind
(a custom resource such as an Argo Rollout or a Knative Service may hold a pod template devenv
does not read) is named as ignored. Which container's env is mirrored is chosen across all sources (`select_target`); the
env itself is built as the kubelet builds it, in `k8s_env`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.model import EnvValue
from devenv.errors import ConfigError

# kind -> path from the document to the pod spec
WORKLOAD_KINDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
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
    pod: Any = None  # the pod spec holding it (resources of its siblings, serviceAccountName)
    pod_meta: Any = None  # the pod's metadata: the template's for a workload (labels, annotations)
    init: bool = False  # an initContainer: picked only by a #selector, never by default

    @property
    def title(self) -> str:
        return f"{self.workload}/{self.name}"


@dataclass(frozen=True)
class Ignored:
    kind: str
    name: str
    line: int


@dataclass
class Manifest:
    """One k8s source file, parsed."""

    label: str
    objects: list[KeyedObject] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    init_containers: list[Container] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    @property
    def every_container(self) -> list[Container]:
        """Regular and init containers: a #selector may pick either; the kubelet builds both envs alike."""
        return [*self.containers, *self.init_containers]

    def ignored_note(self) -> Optional[str]:
        """One line naming what this file holds that devenv does not read (a kind it does not
        know: a custom resource may hold containers whose env is then not mirrored)."""
        if not self.ignored:
            return None
        shown = ", ".join(f"{i.kind} {i.name}".rstrip() for i in self.ignored)
        return f"{self.label}: not read (not a kind devenv mirrors env from): {shown}"


# Kinds without containers: in every app's manifests, so naming them on every `env show` is noise.
CONTAINERLESS_KINDS = frozenset(
    {
        "Service", "Endpoints", "EndpointSlice", "Ingress", "IngressClass", "NetworkPolicy",
        "Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute", "ReferenceGrant",
        "HorizontalPodAutoscaler", "VerticalPodAutoscaler", "PodDisruptionBudget", "PriorityClass",
        "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Namespace",
        "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "LimitRange", "ResourceQuota",
        "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "ServiceMonitor", "PodMonitor", "PrometheusRule", "Certificate", "Issuer", "ClusterIssuer",
    }
)  # fmt: skip


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
        if kind == "Kustomization":
            raise _kustomization(label, yn.line(doc))
        if kind == "ConfigMap":
            manifest.objects.append(_config_map(doc, kind, name, namespace, label))
        elif kind == "Secret":
            manifest.objects.append(_secret(doc, name, namespace, label))
        elif kind in WORKLOAD_KINDS:
            path = WORKLOAD_KINDS[kind]
            pod = yn.get_path(doc, *path)
            meta = yn.get(doc, "metadata") if kind == "Pod" else yn.get_path(doc, *path[:-1], "metadata")
            for key, into in (("containers", manifest.containers), ("initContainers", manifest.init_containers)):
                for c in yn.elements(yn.get(pod, key)):
                    cname = yn.text(yn.get(c, "name")) or ""
                    into.append(
                        Container(kind, name, namespace, cname, label, yn.line(c), c, pod, meta, key != "containers")
                    )
        elif kind not in CONTAINERLESS_KINDS:
            manifest.ignored.append(Ignored(kind or "(no kind)", name, yn.line(doc)))
    return manifest


def _kustomization(label: str, line: int) -> ConfigError:
    """A kustomization lists files to build from and holds no env itself: read as a manifest it
    would mirror nothing. Its folder is what Kustomize builds."""
    folder = str(PurePosixPath(label).parent)
    return ConfigError(
        f"{label}:{line}: a Kustomize kustomization inside a manifest file holds no env itself",
        f"move it into its folder's kustomization.yaml and list the folder in [env] prod ({folder}), "
        "which devenv renders with Kustomize",
    )


def string_value(node: Any, what: str, label: str) -> str:
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
        text = string_value(value, f'ConfigMap "{name}" data.{key}', label)
        obj.data[key] = DataEntry(text, yn.line(key_node))
    return obj


def _secret(doc: Any, name: str, namespace: Optional[str], label: str) -> KeyedObject:
    obj = KeyedObject("Secret", name, namespace, label, yn.line(doc))
    for key, key_node, value in yn.items(yn.get(doc, "data")):
        where = f'Secret "{name}" data.{key}'
        encoded = "".join(string_value(value, where, label).split())
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
        text = string_value(value, f'Secret "{name}" stringData.{key}', label)
        obj.data[key] = DataEntry(text, yn.line(key_node))
    return obj


def object_values(obj: KeyedObject) -> list[EnvValue]:
    """A ConfigMap/Secret used directly as a source: each key becomes a variable."""
    return [EnvValue(k, e.value, f"{obj.label}:{e.line}", secret=obj.secret) for k, e in obj.data.items()]


@dataclass(frozen=True)
class WorkloadSource:
    """A prod entry whose file holds containers, with its `#selector` if any."""

    entry: str
    manifest: Manifest
    selector: Optional[str]


def select_target(sources: list[WorkloadSource], service: Optional[str]) -> Container:
    """The one container whose env is mirrored, across every workload source.

    A `#selector` picks it (`file#container`, `file#workload/container`, `file#workload`),
    an init container or a Job's/CronJob's as well as a regular one;
    without one, a container named like the service being resolved; else the last source
    holding a workload, when it has one container (later sources win, as for every key).
    The other workloads give only their ConfigMaps and Secrets: one container's env never
    leaks into another's.
    """
    chosen = [_selected(s) for s in sources if s.selector]
    if len(chosen) == 1:
        return chosen[0]
    candidates = chosen or [c for s in sources for c in s.manifest.containers]
    if service:
        named = [c for c in candidates if c.name == service]
        if len(named) == 1:
            return named[0]
    if chosen:
        raise ConfigError(
            f"[env] prod selects {len(chosen)} containers ({', '.join(c.title for c in chosen)}); "
            "devenv mirrors one container's env",
            "keep one #selector in [env] prod (each service may name its container: "
            "a container named like the service is picked among them)",
        )
    last = sources[-1].manifest
    if len(last.containers) == 1:
        return last.containers[0]
    listing = ", ".join(c.title for c in last.containers)
    raise ConfigError(
        f"{last.label}:{last.containers[1].line}: {len(last.containers)} candidate containers ({listing}); "
        "devenv cannot tell which one's env to mirror",
        f'pick one in [env] prod, e.g. "{last.label}#{last.containers[0].title}"',
    )


def _selected(source: WorkloadSource) -> Container:
    manifest, selector = source.manifest, source.selector or ""
    containers = manifest.every_container
    if "/" in selector:
        wl, cname = selector.split("/", 1)
        found = [c for c in containers if c.workload == wl and c.name == cname]
    else:
        found = [c for c in containers if c.name == selector]
        if not found:  # a workload: its regular container (an init container only by name)
            found = [c for c in manifest.containers if c.workload == selector]
    if len(found) == 1:
        return found[0]
    if not found:
        listing = ", ".join(c.title for c in containers)
        raise ConfigError(
            f'{manifest.label}: no container "{selector}" (containers: {listing})',
            f"use one of: {', '.join(f'{manifest.label}#{c.title}' for c in containers)}",
        )
    raise ConfigError(
        f'{manifest.label}:{found[1].line}: selector "{selector}" is ambiguous: {len(found)} candidate '
        f"containers ({', '.join(c.title for c in found)})",
        f"name the workload too: {manifest.label}#{found[0].title}",
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
