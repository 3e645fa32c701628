"""The downward API: what `fieldRef` and `resourceFieldRef` give a container, as far as the
manifest decides it.

Kubernetes fills these in when the pod runs. Some follow from the manifest alone (a label of the
pod template, the namespace it names, a resource limit with its divisor, computed as the kubelet
does: the ceiling of quantity / divisor); devenv gives those as local values, with where each
came from. Others depend on the cluster (the pod's IP, the node); for those it says why not.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, NamedTuple, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.k8s import Container
from devenv.errors import ConfigError

# fieldRef paths the API accepts in env (validEnvDownwardAPIFieldPathExpressions), and why the
# cluster-only ones have no local value
CLUSTER_ONLY = {
    "metadata.uid": "the pod's uid is given by the API server",
    "spec.nodeName": "the node is chosen by the scheduler",
    "status.hostIP": "the node's IP is known only on the node",
    "status.hostIPs": "the node's IPs are known only on the node",
    "status.podIP": "the pod's IP is given by the cluster network when it starts",
    "status.podIPs": "the pod's IPs are given by the cluster network when it starts",
}
_SUBSCRIPT = re.compile(r"metadata\.(labels|annotations)\['(.*)'\]")
RESOURCES = ("cpu", "memory", "ephemeral-storage")


class Local(NamedTuple):
    """A local value and where it comes from, or (value None) why there is none."""

    value: Optional[str]
    why: str


def field_value(path: str, container: Container, where: str) -> Local:
    if path in CLUSTER_ONLY:
        return Local(None, CLUSTER_ONLY[path])
    meta = container.pod_meta
    if path == "metadata.name":
        if container.workload_kind == "Pod":
            return Local(container.workload, "the Pod's name")
        if container.workload_kind == "StatefulSet":
            return Local(f"{container.workload}-0", "the first pod of the StatefulSet")
        return Local(container.workload, f"the {container.workload_kind}'s name (Kubernetes adds a suffix)")
    if path == "metadata.namespace":
        if container.namespace:
            return Local(container.namespace, "the manifest's metadata.namespace")
        return Local("default", "the manifest names no namespace: Kubernetes' default one")
    if path == "spec.serviceAccountName":
        named = yn.text(yn.get(container.pod, "serviceAccountName")) or yn.text(
            yn.get(container.pod, "serviceAccount")
        )
        return (
            Local(named, "the pod's serviceAccountName")
            if named
            else Local("default", "no serviceAccountName: the default one")
        )
    match = _SUBSCRIPT.fullmatch(path)
    if match:
        kind, key = match.groups()
        value = yn.text(yn.get(yn.get(meta, kind), key))
        if value is None:
            return Local("", f"the pod template has no {kind[:-1]} {key!r}: Kubernetes gives an empty value")
        return Local(value, f"the pod template's {kind[:-1]} {key!r}")
    raise ConfigError(
        f"{where}: fieldRef {path!r} is not a field Kubernetes gives env variables",
        "use metadata.name, metadata.namespace, metadata.labels['KEY'], metadata.annotations['KEY'], "
        "metadata.uid, spec.nodeName, spec.serviceAccountName, status.podIP(s) or status.hostIP(s)",
    )


def resource_value(ref: Any, container: Container, siblings: list[Container], where: str) -> Local:
    """`resourceFieldRef`: the ceiling of the quantity over the divisor (cpu in millicores)."""
    resource = yn.text(yn.get(ref, "resource")) or ""
    target_name = yn.text(yn.get(ref, "containerName"))
    target = container
    if target_name and target_name != container.name:
        found = [c for c in siblings if c.name == target_name]
        if not found:
            raise ConfigError(
                f"{where}: resourceFieldRef names container {target_name!r}, which this pod does not have",
                f"use one of: {', '.join(c.name for c in siblings)}",
            )
        target = found[0]
    group, _, name = resource.partition(".")
    if group not in ("limits", "requests") or not (name in RESOURCES or name.startswith("hugepages-")):
        raise ConfigError(
            f"{where}: resourceFieldRef {resource!r} is not a resource Kubernetes gives env variables",
            "use limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, ...",
        )
    divisor_text = yn.text(yn.get(ref, "divisor")) or "1"
    divisor = parse_quantity(divisor_text, where)
    resources = yn.get(target.node, "resources")
    own = yn.text(yn.get(yn.get(resources, group), name))
    why = f"{resource} of container {target.name} in the manifest"
    if own is None and group == "requests":
        own = yn.text(yn.get(yn.get(resources, "limits"), name))
        why = f"limits.{name} of container {target.name} (a request defaults to the limit)"
        if own is None:
            return Local(
                "0", f"container {target.name} requests no {name} (a namespace LimitRange may set one)"
            )
    if own is None:
        return Local(
            None,
            f"container {target.name} sets no limits.{name}: Kubernetes gives the node's allocatable {name}",
        )
    quantity = parse_quantity(own, where)
    if divisor <= 0:
        raise ConfigError(
            f"{where}: resourceFieldRef divisor {divisor_text!r} must be positive", 'e.g. divisor: "1m"'
        )
    if name == "cpu":
        value = math.ceil(_ceil(quantity * 1000) / _ceil(divisor * 1000))
    else:
        value = math.ceil(_ceil(quantity) / _ceil(divisor))
    shown = f"{own} / {divisor_text}" if divisor_text != "1" else own
    return Local(str(value), f"{why}: {shown}, rounded up")


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


_SUFFIXES = {
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)")


def parse_quantity(text: str, where: str) -> Fraction:
    """A Kubernetes resource quantity ("500m", "1.5", "128Mi", "1e3") as an exact number."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        raise ConfigError(
            f"{where}: {text!r} is not a Kubernetes quantity", 'write e.g. "500m", "2", "128Mi" or "1G"'
        )
    number, exponent, suffix = match.groups()
    value = Fraction(number)
    if exponent:
        return value * Fraction(10) ** int(exponent[1:])
    return value * _SUFFIXES[suffix or ""]
