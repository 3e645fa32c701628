"""A container's env, built as the kubelet's `makeEnvironmentVariables` builds it.

`envFrom` first, in order (later sources overwrite earlier ones; `prefix` is prepended), then
`env` in order, overriding. A non-empty `value` has its `$(VAR)` references expanded against the
variables defined before it (`expansion`); an empty one takes `valueFrom` if given, else sets "".
A missing optional ConfigMap, Secret or key is skipped; a missing ConfigMap (or key) that is not
optional is an error naming it. A Secret the files do not hold lives in the cluster: its keys are
mirrored as secrets whose values come from the local secrets file. `fieldRef`/`resourceFieldRef`
get the local value the manifest decides (`k8s_downward`), or are reported as not mirrorable.
Any printable ASCII name but `=` is valid (Kubernetes 1.34, KEP-4369): nothing is dropped.

A value routed through `envFrom`/`configMapKeyRef`/`secretKeyRef` is attributed to the
ConfigMap/Secret line holding it; the referencing line is kept as `via`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from devenv.envvars import yamlnodes as yn
from devenv.envvars.expansion import expand
from devenv.envvars.k8s import Catalog, Container, KeyedObject, string_value
from devenv.envvars.k8s_downward import field_value, resource_value
from devenv.envvars.model import EnvValue, Piece, Unmirrorable, joined
from devenv.errors import ConfigError

CLUSTER_SECRET = "held by the cluster: no [env] prod source has this Secret"


@dataclass
class ContainerEnv:
    values: dict[str, EnvValue] = field(default_factory=dict)  # in definition order
    unmirrorable: dict[str, Unmirrorable] = field(default_factory=dict)
    # env name -> Secret data key, where they differ (secretKeyRef, envFrom prefix): a local
    # value given under the Secret's own key name fills every variable that reads it.
    secret_aliases: dict[str, str] = field(default_factory=dict)

    def put(self, value: EnvValue, secret_key: Optional[str] = None) -> None:
        self.values.pop(value.key, None)  # a redefinition moves to its new place, as in the kubelet
        self.values[value.key] = value
        self.unmirrorable.pop(value.key, None)
        if secret_key is not None and secret_key != value.key:
            self.secret_aliases[value.key] = secret_key
        else:
            self.secret_aliases.pop(value.key, None)

    def put_unmirrorable(self, item: Unmirrorable) -> None:
        self.values.pop(item.key, None)
        self.secret_aliases.pop(item.key, None)
        self.unmirrorable[item.key] = item

    def lookup(self, name: str) -> Optional[Piece]:
        """A `$(NAME)` reference: defined before, with its value; a variable the cluster fills in
        (no local value) is defined too, its text unknown here."""
        found = self.values.get(name)
        if found is not None:
            return Piece(found.value, name, found.secret)
        return Piece("", name) if name in self.unmirrorable else None


def container_env(container: Container, catalog: Catalog, siblings: list[Container]) -> ContainerEnv:
    env = ContainerEnv()
    for item in yn.elements(yn.get(container.node, "envFrom")):
        _env_from(env, item, container, catalog)
    for item in yn.elements(yn.get(container.node, "env")):
        name = yn.text(yn.get(item, "name"))
        if not name:
            raise ConfigError(
                f"{container.label}:{yn.line(item)}: an env entry has no name", "give every entry a name"
            )
        _env_entry(env, name, item, container, catalog, siblings)
    return env


def _env_from(env: ContainerEnv, item: Any, container: Container, catalog: Catalog) -> None:
    via = f"{container.label}:{yn.line(item)}"
    prefix = yn.text(yn.get(item, "prefix")) or ""
    for kind, ref_key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
        ref = yn.get(item, ref_key)
        if ref is None:
            continue
        obj = _referenced(catalog, kind, ref, container, yn.line(item), f"envFrom {ref_key}")
        if obj is None:
            if kind == "Secret" and not _optional(ref):
                raise _unseen_secret_keys(container, ref, yn.line(item))
            continue
        for key, entry in obj.data.items():
            value = EnvValue(prefix + key, entry.value, obj.where(key), secret=obj.secret, via=via)
            env.put(value, key if obj.secret else None)


def _env_entry(
    env: ContainerEnv, name: str, item: Any, container: Container, catalog: Catalog, siblings: list[Container]
) -> None:
    label = container.label
    here = f"{label}:{yn.line(item)}"
    node = yn.get(item, "value")
    raw = "" if node is None else string_value(node, f"env {name} value", label)
    value_from = yn.get(item, "valueFrom")
    if raw or value_from is None:
        pieces = expand(raw, env.lookup)
        derived = tuple(pieces) if any(p.ref is not None for p in pieces) else ()
        where = f"{label}:{yn.line(node)}" if node is not None else here
        secret = any(p.secret for p in derived)
        env.put(EnvValue(name, joined(pieces), where, secret=secret, pieces=derived))
        return
    for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = yn.get(value_from, ref_key)
        if ref is not None:
            _key_ref(env, name, kind, ref_key, ref, container, catalog, here)
            return
    field_ref = yn.get(value_from, "fieldRef")
    resource_ref = yn.get(value_from, "resourceFieldRef")
    if field_ref is None and resource_ref is None:
        raise ConfigError(
            f"{here}: valueFrom for {name} is not configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef",
            "fix the manifest (kubectl apply --dry-run=client shows the same problem)",
        )
    if field_ref is not None:
        path = yn.text(yn.get(field_ref, "fieldPath")) or ""
        what = f"fieldRef {path}"
        local = field_value(path, container, here)
    else:
        what = f"resourceFieldRef {yn.text(yn.get(resource_ref, 'resource')) or ''}"
        local = resource_value(resource_ref, container, siblings, here)
    if local.value is None:
        env.put_unmirrorable(
            Unmirrorable(
                name, here, f"{what} is filled in by Kubernetes ({local.why}); set {name} in a profile"
            )
        )
    else:
        env.put(EnvValue(name, local.value, f"{here} ({what}: {local.why})", runtime=what))


def _key_ref(
    env: ContainerEnv,
    name: str,
    kind: str,
    ref_key: str,
    ref: Any,
    container: Container,
    catalog: Catalog,
    here: str,
) -> None:
    key = yn.text(yn.get(ref, "key")) or ""
    obj = _referenced(catalog, kind, ref, container, yn.line(ref), ref_key)
    if obj is None:
        if kind == "Secret" and not _optional(ref):
            secret_name = yn.text(yn.get(ref, "name")) or ""
            source = f'Secret "{secret_name}" key "{key}", {CLUSTER_SECRET}'
            env.put(EnvValue(name, "", source, secret=True, via=here), key)
        return  # an optional one that is missing: skipped, whatever envFrom gave stays
    if key not in obj.data:
        if _optional(ref):
            return
        raise ConfigError(
            f'{container.label}:{yn.line(ref)}: {ref_key} for {name}: {kind} "{obj.name}" '
            f"({obj.label}:{obj.line}) has no key {key!r}; the container would not start",
            f"add {key} to the {kind} in {obj.label}, or fix the key name",
        )
    value = EnvValue(name, obj.data[key].value, obj.where(key), secret=obj.secret, via=here)
    env.put(value, key if obj.secret else None)


def _optional(ref: Any) -> bool:
    return (yn.text(yn.get(ref, "optional")) or "").lower() == "true"


def _referenced(
    catalog: Catalog, kind: str, ref: Any, container: Container, ref_line: int, what: str
) -> Optional[KeyedObject]:
    """The ConfigMap/Secret a reference names. A ConfigMap no source holds stops the container
    from starting (unless optional); a Secret no source holds is the cluster's (the caller
    mirrors its keys as secrets with local values)."""
    ref_name = yn.text(yn.get(ref, "name")) or ""
    obj = catalog.find(kind, ref_name, container, ref_line)
    if obj is None and kind == "ConfigMap" and not _optional(ref):
        raise ConfigError(
            f'{container.label}:{ref_line}: {container.workload_kind} "{container.workload}" container '
            f'"{container.name}" {what} names ConfigMap "{ref_name}", which no [env] prod source defines; '
            "the container would not start",
            f"add the file holding ConfigMap {ref_name} to [env] prod in devenv.toml",
        )
    return obj


def _unseen_secret_keys(container: Container, ref: Any, line: int) -> ConfigError:
    name = yn.text(yn.get(ref, "name")) or ""
    return ConfigError(
        f'{container.label}:{line}: envFrom secretRef names Secret "{name}", which no [env] prod source '
        "defines, so devenv cannot know its keys",
        f"list them: add a Secret manifest named {name} with those keys (any values; the local ones come "
        "from the secrets file) to [env] prod in devenv.toml",
    )
