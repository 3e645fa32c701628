"""The stack as Kubernetes manifests: per service a Deployment, a Service (headless when it has
no ports: its name still resolves, as on the devenv network) and a ConfigMap of its non-secret env; a PersistentVolumeClaim per named volume.

Secret env values become `secretKeyRef`s to the Secret `<project>-secrets`, which is never
written here: its values live in the cluster's secret store. Host-only pieces (the code
mount, data disks, the engine socket, `user = "host"`) have no cluster meaning and are listed
in each file's header instead of being dropped silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

from devenv.config.model import Project, Service
from devenv.errors import ConfigError
from devenv.export.common import EnvLike, Envs, dump_yaml, pinned_image, secret_parts, service_env

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
PVC_SIZE = "1Gi"


def k8s_name(raw: str) -> str:
    """A DNS-1123 label (what Deployments, Services and PVCs are named with)."""
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")[:63].rstrip("-")
    return name or "x"


def escaped(text: str) -> str:
    """A literal for a field the kubelet expands (command, args): only a `$` that starts `$$` or
    `$(` is doubled. Any other `$` (`$HOME`, `${X}`, a last `$`) the kubelet keeps as it is, and
    leaving it single keeps the manifest right for engines that pass args verbatim (`podman kube
    play` does: a doubled `$HOME` would reach the shell as `$$HOME`)."""
    out = []
    for index, char in enumerate(text):
        out.append("$$" if char == "$" and text[index + 1 : index + 2] in ("$", "(") else char)
    return "".join(out)


def secret_name(project: Project) -> str:
    return k8s_name(f"{project.name}-secrets")


def export_k8s(
    project: Project, *, images: Mapping[str, str], envs: Envs, profile: Optional[str] = None
) -> dict[str, str]:
    """filename → YAML text, in the order `kubectl apply -f` should see them."""
    files: dict[str, str] = {}
    volume_users: dict[str, list[str]] = {}
    for svc in project.services:
        for vol in svc.volumes:
            volume_users.setdefault(vol.name, []).append(svc.name)
    external = {v.name for v in project.volumes if v.external}
    for name, users in volume_users.items():
        if name not in external:
            files[f"pvc-{k8s_name(name)}.yaml"] = _pvc(project, name, users)
    for svc in project.services:
        image = pinned_image(project, svc, images)
        if image is None:
            raise ConfigError(
                f"service {svc.name} builds its image and devenv.lock has no pushed digest for it",
                "export with --push: devenv builds its release image from HEAD and pushes it (a cluster cannot build)",
            )
        env = service_env(svc, envs)
        plain = {k: v.value for k, v in env.items() if not v.secret}
        if plain:
            files[f"configmap-{k8s_name(svc.name)}.yaml"] = _configmap(project, svc, plain, profile)
        files[f"deployment-{k8s_name(svc.name)}.yaml"] = _deployment(
            project, svc, image, bool(plain), _secret_env(project, env), external
        )
        files[f"service-{k8s_name(svc.name)}.yaml"] = _service(project, svc)
    return files


def _labels(project: Project, svc_name: Optional[str] = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/part-of": k8s_name(project.name), "app.kubernetes.io/managed-by": "devenv"}
    if svc_name is not None:
        labels = {"app.kubernetes.io/name": k8s_name(svc_name), **labels}
    return labels


def _selector(project: Project, svc: Service) -> dict[str, str]:
    return {"app.kubernetes.io/name": k8s_name(svc.name), "app.kubernetes.io/part-of": k8s_name(project.name)}


def _configmap(project: Project, svc: Service, values: dict[str, str], profile: Optional[str]) -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": _configmap_name(project, svc), "labels": _labels(project, svc.name)},
        "data": values,
    }
    where = f"profile {profile}" if profile else "devenv.toml"
    return dump_yaml(doc, [f"Non-secret env of {svc.name} ({where}), exported by `devenv export k8s`."])


def _configmap_name(project: Project, svc: Service) -> str:
    return k8s_name(f"{project.name}-{svc.name}-env")


class SecretEnv(NamedTuple):
    entries: list[dict[str, Any]]  # the container's `env` entries (secretKeyRefs)
    keys: list[str]  # what the Secret must hold
    built: list[str]  # `KEY = template` of each key whose value is built from other secrets


def _secret_env(project: Project, env: Mapping[str, EnvLike]) -> SecretEnv:
    """The container's secret variables as secretKeyRefs, and the keys the Secret must hold.

    A secret is a secretKeyRef; one that is exactly another secret (`${DB_PASSWORD}`) reads that
    key; one built from secrets (`postgres://app:${DB_PASSWORD}@db`) is a key of its own, whole:
    a `$(VAR)` value would need the kubelet's expansion, which `podman kube play` lacks (it
    would hand the app the text `$(DB_PASSWORD)`), so the Secret holds what the app receives.
    """

    def ref(name: str, key: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name(project), "key": key}}}

    entries: list[dict[str, Any]] = []
    keys: list[str] = []
    built: list[str] = []
    for key, item in env.items():
        if not item.secret:
            continue
        parts = secret_parts(key, item)
        if parts is not None and len(parts) == 1 and parts[0].ref is not None:
            entries.append(ref(key, parts[0].ref))
            keys.append(parts[0].ref)
            continue
        entries.append(ref(key, key))
        keys.append(key)
        if parts is not None:
            built.append(f"{key} = " + "".join(f"${{{p.ref}}}" if p.secret and p.ref else p.text for p in parts))
    return SecretEnv(entries, list(dict.fromkeys(keys)), built)


def _deployment(
    project: Project,
    svc: Service,
    image: str,
    has_config: bool,
    secret_env: SecretEnv,
    external: set[str],
) -> str:
    header = [f"Service {svc.name} of project {project.name}, exported by `devenv export k8s`."]
    container: dict[str, Any] = {"name": k8s_name(svc.name), "image": image}
    # The kubelet expands `$(VAR)` in command and args (and `$$` is a `$`): every `$` doubled
    # runs exactly what devenv runs.
    if svc.entrypoint:
        container["command"] = [escaped(a) for a in svc.entrypoint]  # replaces the image ENTRYPOINT
    if svc.command:
        container["args"] = [escaped(a) for a in svc.command]  # and `args` replaces its CMD
    if svc.workdir:
        container["workingDir"] = svc.workdir
    ports = _unique_ports(svc)
    if ports:
        container["ports"] = [{"name": n, "containerPort": c, "protocol": p} for n, c, p in ports]
    if has_config:
        container["envFrom"] = [{"configMapRef": {"name": _configmap_name(project, svc)}}]
    if secret_env.entries:
        container["env"] = secret_env.entries
    if secret_env.keys:
        header += [f"Needs the Secret {secret_name(project)} with keys: {', '.join(secret_env.keys)}."]
        if secret_env.built:
            header += ["Built from other secrets, each held whole:", *(f"  {b}" for b in secret_env.built)]
        header += [
            "Its values are not exported; create it from your secret store, e.g.",
            f"  kubectl create secret generic {secret_name(project)} --from-env-file=<file with the real values>",
        ]
    if svc.health:
        container["readinessProbe"] = {
            "exec": {"command": list(svc.health.cmd)},
            "periodSeconds": max(1, math.ceil(svc.health.interval_s)),
            "timeoutSeconds": max(1, math.ceil(svc.health.timeout_s)),
            "failureThreshold": svc.health.retries,
            "initialDelaySeconds": int(svc.health.start_period_s),
        }
    mounts: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    for vol in svc.volumes:
        claim = vol.name if vol.name in external else k8s_name(f"{project.name}-{vol.name}")
        vname = k8s_name(f"vol-{vol.name}")
        mount: dict[str, Any] = {"name": vname, "mountPath": vol.target}
        if vol.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
        if all(v["name"] != vname for v in volumes):
            volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": claim}})
    security: dict[str, Any] = {}
    if svc.read_only:
        security["readOnlyRootFilesystem"] = True
        mounts.append({"name": "tmp", "mountPath": "/tmp"})
        volumes.append({"name": "tmp", "emptyDir": {}})
    if svc.privileged:
        security["privileged"] = True
    header += _user(svc, security)
    if security:
        container["securityContext"] = security
    if mounts:
        container["volumeMounts"] = mounts
    header += _host_only(svc)
    pod: dict[str, Any] = {
        "containers": [container],
        "terminationGracePeriodSeconds": math.ceil(svc.stop_timeout_s),
    }
    if volumes:
        pod["volumes"] = volumes
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": k8s_name(svc.name), "labels": _labels(project, svc.name)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": _selector(project, svc)},
            "template": {"metadata": {"labels": _labels(project, svc.name)}, "spec": pod},
        },
    }
    return dump_yaml(doc, header)


def _user(svc: Service, security: dict[str, Any]) -> list[str]:
    if not svc.user:
        return []
    uid, _, gid = svc.user.partition(":")
    if uid.isdigit() and (not gid or gid.isdigit()):
        security["runAsUser"] = int(uid)
        if gid:
            security["runAsGroup"] = int(gid)
        return []
    if svc.user == "host":
        return ['Not exported: user = "host" (your uid:gid) — the image\'s user runs in the cluster.']
    return [
        f'Not exported: user = "{svc.user}" — Kubernetes needs a numeric uid (securityContext.runAsUser).'
    ]


def _host_only(svc: Service) -> list[str]:
    notes = []
    if svc.code:
        notes.append(
            f"Not exported: the code mount at {svc.code} — the cluster runs the code baked into the image."
        )
    for data in svc.data:
        home = " (Kubernetes has no `~`: a hostPath is an absolute path on the node)" if data.home else ""
        notes.append(
            f"Not exported: data {data.home or data.source} at {data.target} — give the cluster a volume "
            f"with that data{home}."
        )
    if svc.docker_socket:
        notes.append("Not exported: the engine socket (docker_socket = true).")
    if svc.depends_on:
        notes.append(
            f"Start order ({', '.join(svc.depends_on)} first) is not a Kubernetes concept; the "
            "readiness probes gate traffic instead."
        )
    return notes


def _unique_ports(svc: Service) -> list[tuple[str, int, str]]:
    seen: list[tuple[str, int, str]] = []
    for port in svc.ports:
        proto = port.protocol.upper()
        if all((c, p) != (port.container, proto) for _, c, p in seen):
            seen.append((f"{port.protocol}-{port.container}", port.container, proto))
    return seen


def _service(project: Project, svc: Service) -> str:
    """Every service is reachable by its name, as on the devenv network (where `db` needs no
    published port): with ports, a Service of them; without, a headless Service (no cluster IP,
    no ports), whose name resolves to the pod's address on any port it listens on."""
    ports = _unique_ports(svc)
    spec: dict[str, Any] = {"selector": _selector(project, svc)}
    if ports:
        spec["ports"] = [{"name": n, "port": c, "targetPort": c, "protocol": p} for n, c, p in ports]
    else:
        spec["clusterIP"] = "None"
    doc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": k8s_name(svc.name), "labels": _labels(project, svc.name)},
        "spec": spec,
    }
    reach = "on its container ports" if ports else "on the ports it listens on (headless: no ports declared)"
    header = [
        f"Service {svc.name} of project {project.name}, exported by `devenv export k8s`.",
        f"In the cluster, {svc.name} answers {reach} under the name {k8s_name(svc.name)}, as on the devenv network.",
    ]
    return dump_yaml(doc, header)


def _pvc(project: Project, name: str, users: list[str]) -> str:
    decl = next((v for v in project.volumes if v.name == name), None)
    shared = len(set(users)) > 1
    doc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": k8s_name(f"{project.name}-{name}"), "labels": _labels(project)},
        "spec": {
            "accessModes": ["ReadWriteMany" if shared else "ReadWriteOnce"],
            "resources": {"requests": {"storage": PVC_SIZE}},
        },
    }
    header = [
        f"Named volume {name} of project {project.name}, exported by `devenv export k8s`.",
        f"Used by {', '.join(users)}. Size {PVC_SIZE}: adjust for the cluster.",
    ]
    if shared:
        header.append("Shared by several services: needs a storage class that supports ReadWriteMany.")
    if decl is not None and (decl.driver != "local" or decl.options):
        header.append(
            f"devenv mounts it with driver {decl.driver} and options "
            f"{dict(decl.options)}; bind it to a matching PersistentVolume."
        )
    return dump_yaml(doc, header)
