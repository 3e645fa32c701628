"""Kubernetes' own rules, exactly: the kubelet's TestMakeEnvironmentVariables cases, the corpus
oracle (../shared/corpus/k8s/cases.json, 52 real manifests), the downward API's local values,
every pod-template kind, and the defects found on real files (each with its regression test)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from devenv import reads
from devenv.config.loader import parse_project
from devenv.config.model import EnvSpec, Profile
from devenv.envvars import resolve_env, service_env
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError
from tests.unit.vectors.k8s_kubelet_env import CASES, SECRET_KEYS, Case


def write(root: Path, name: str, text: str) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return name


# --- the kubelet's own cases ---


def kubelet_pod(case: Case) -> str:
    container: dict[str, Any] = {"name": "test", "image": "busybox"}
    if case.env_from:
        container["envFrom"] = case.env_from
    if case.env:
        container["env"] = case.env
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "dapi-test-pod-name", "namespace": case.ns},
            "spec": {"serviceAccountName": "special", "nodeName": "node-name", "containers": [container]},
        }
    ]
    if case.config_map is not None:
        docs.append({"kind": "ConfigMap", "metadata": {"name": "test-config-map"}, "data": case.config_map})
    if case.secret is not None:
        docs.append({"kind": "Secret", "metadata": {"name": "test-secret"}, "stringData": case.secret})
    return yaml.safe_dump_all(docs, sort_keys=False)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_make_environment_variables(case: Case, tmp_path: Path) -> None:
    write(tmp_path, "pod.yaml", kubelet_pod(case))
    if case.error:
        with pytest.raises(ConfigError):
            load_prod(tmp_path, ("pod.yaml",))
        return
    prod = load_prod(tmp_path, ("pod.yaml",))
    assert {k: v.value for k, v in prod.values.items()} == case.expected
    assert set(prod.unmirrorable) == set(case.cluster_only)
    assert {k for k, v in prod.values.items() if v.secret} == SECRET_KEYS.get(case.name, set())


def test_every_transcribed_case_is_there() -> None:
    assert len(CASES) == 28


# --- the corpus oracle ---

# What each expected error of the oracle must name (its text is the kubelet's, not devenv's).
ERROR_NAMES = {
    "md-cartservice-nosel": ["2 candidate containers", "cartservice/server", "redis-cart/redis"],
    "md-release-ambiguous": ['selector "server" is ambiguous', "10 candidate containers"],
    "web-missing-cm-keyref": ['ConfigMap "game-demo"', "the container would not start"],
    "web-missing-cm-envFrom": ['ConfigMap "myconfigmap"', "the container would not start"],
    "web-invalid-yaml-tab": ["pods-inject-pod-multiple-secret-env-variable.yaml:15: not valid YAML"],
}


def oracle_cases(corpus: Optional[Path]) -> list[dict[str, Any]]:
    return json.loads((corpus / "k8s" / "cases.json").read_text())["cases"] if corpus else []


def mirrored(value: Any) -> list[Optional[str]]:
    if value.secret and value.source.endswith("held by the cluster: no [env] prod source has this Secret"):
        return ["secret-missing-object", None]
    return ["secret" if value.secret else "plain", value.value]


def test_the_kubernetes_oracle_52_of_52(corpus: Path) -> None:
    cases = oracle_cases(corpus)
    assert len(cases) == 52
    wrong = []
    for case in cases:
        spec = EnvSpec(prod=tuple(case["prod"]))
        try:
            env = resolve_env(corpus / "k8s", spec, "prod", service=case["show_service"])
        except ConfigError as err:
            names = ERROR_NAMES.get(case["case"], ["(an env was expected)"])
            if case["expected_error"] is None or not all(n in str(err) for n in names):
                wrong.append((case["case"], str(err)))
            continue
        got = {k: mirrored(v) for k, v in env.values.items()}
        got.update({k: ["UNMIRRORABLE", None] for k in env.unmirrorable})
        if got != case["expected_env"]:
            wrong.append((case["case"], got))
    assert wrong == []


# --- the downward API: local values the manifest decides, with where they came from ---


DOWNWARD = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger-db, namespace: bank}
spec:
  template:
    metadata:
      labels: {app: ledger, tier: db}
      annotations: {team: payments}
    spec:
      serviceAccountName: ledger
      containers:
        - name: postgres
          image: postgres
          resources:
            requests: {cpu: 125m, memory: 32Mi}
            limits: {cpu: "1.5", memory: 64Mi}
          env:
            - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
            - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
            - {name: NOPE, valueFrom: {fieldRef: {fieldPath: "metadata.labels['nope']"}}}
            - {name: TEAM, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['team']"}}}
            - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
            - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
            - {name: CPU_REQ, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
            - {name: CPU_REQ_M, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
            - {name: CPU_LIM, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
            - {name: MEM_LIM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
            - {name: MEM_REQ, valueFrom: {resourceFieldRef: {resource: requests.memory}}}
            - {name: SIDE_CPU, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.cpu}}}
            - {name: SIDE_REQ, valueFrom: {resourceFieldRef: {containerName: side, resource: requests.memory}}}
            - {name: URL, value: "http://$(IP):5432/$(NAME)"}
            - {name: GREETING, value: "$(NAME) in $(NS)"}
        - name: side
          image: busybox
          resources: {limits: {memory: 1G}}
"""


def test_field_and_resource_refs_get_the_manifests_values(tmp_path: Path) -> None:
    write(tmp_path, "db.yaml", DOWNWARD)
    prod = load_prod(tmp_path, ("db.yaml#postgres",))
    values = {k: v.value for k, v in prod.values.items()}
    assert values == {
        "NAME": "ledger-db-0",  # a StatefulSet's first pod
        "NS": "bank",
        "APP": "ledger",
        "NOPE": "",  # a label the template lacks: Kubernetes gives ""
        "TEAM": "payments",
        "SA": "ledger",
        "CPU_REQ": "1",  # ceil(0.125 / 1)
        "CPU_REQ_M": "125",
        "CPU_LIM": "2",  # ceil(1.5)
        "MEM_LIM_MI": "64",
        "MEM_REQ": str(32 * 2**20),
        "SIDE_REQ": "1000000000",  # a request defaults to the limit
        "GREETING": "ledger-db-0 in bank",
        "URL": "http://:5432/ledger-db-0",  # IP has no local value: layering reports URL (below)
    }
    assert prod.values["URL"].refs == ("IP", "NAME")
    assert prod.values["CPU_REQ_M"].source.endswith(
        "(resourceFieldRef requests.cpu: requests.cpu of container postgres in the manifest: 125m / 1m, rounded up)"
    )
    assert prod.unmirrorable["IP"].reason.startswith("fieldRef status.podIP is filled in by Kubernetes")
    assert "sets no limits.cpu" in prod.unmirrorable["SIDE_CPU"].reason
    dev = resolve_env(tmp_path, EnvSpec(prod=("db.yaml#postgres",)), "dev", process_env={})
    assert (
        dev.unmirrorable["URL"].reason == "built from IP, which has no value here; set IP or URL in a profile"
    )


def test_prod_lists_what_kubernetes_fills_in_and_dev_uses_the_local_values(tmp_path: Path) -> None:
    write(tmp_path, "db.yaml", DOWNWARD)
    spec = EnvSpec(prod=("db.yaml#postgres",), profiles=(Profile("dev", set=(("IP", "10.0.0.7"),)),))
    prod = resolve_env(tmp_path, spec, "prod", process_env={})
    assert set(prod.values) == set()  # every one is a downward value or built from one
    assert prod.unmirrorable["GREETING"].reason.startswith("built from NAME, NS")
    dev = resolve_env(tmp_path, spec, "dev", process_env={})
    assert dev.values["GREETING"].value == "ledger-db-0 in bank"
    assert dev.values["URL"].value == "http://10.0.0.7:5432/ledger-db-0"  # the profile gives the IP
    assert "URL" not in dev.unmirrorable and "SIDE_CPU" in dev.unmirrorable


def test_an_unknown_field_path_is_an_error_naming_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pod.yaml",
        """\
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: c
              env:
                - {name: X, valueFrom: {fieldRef: {fieldPath: status.phase}}}
        """,
    )
    with pytest.raises(
        ConfigError, match=r"pod.yaml:7: fieldRef 'status.phase' is not a field Kubernetes gives"
    ):
        load_prod(tmp_path, ("pod.yaml",))


# --- pod-template kinds, and everything else named as ignored ---


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("Pod", ["spec"]),
        ("Deployment", ["spec", "template", "spec"]),
        ("StatefulSet", ["spec", "template", "spec"]),
        ("DaemonSet", ["spec", "template", "spec"]),
        ("ReplicaSet", ["spec", "template", "spec"]),
        ("ReplicationController", ["spec", "template", "spec"]),
        ("Job", ["spec", "template", "spec"]),
        ("CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]),
    ],
)
def test_every_pod_template_kind_is_read(kind: str, path: list[str], tmp_path: Path) -> None:
    doc: dict[str, Any] = {"containers": [{"name": "c", "env": [{"name": "FROM", "value": kind}]}]}
    for key in reversed(path):
        doc = {key: doc}
    write(tmp_path, "w.yaml", yaml.safe_dump({"kind": kind, "metadata": {"name": "w"}, **doc}))
    assert load_prod(tmp_path, ("w.yaml",)).values["FROM"].value == kind


def test_replication_controller_regression(corpus: Path) -> None:
    """Defect 3: rc.yaml gave no variables and no warning."""
    prod = load_prod(corpus / "k8s", ("kubernetes-examples/_archived/storage/rethinkdb/rc.yaml",))
    assert (
        "POD_NAMESPACE" in prod.values
        and prod.values["POD_NAMESPACE"].runtime == "fieldRef metadata.namespace"
    )


def test_other_kinds_are_named_as_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        "all.yaml",
        """\
        kind: Service
        metadata: {name: web}
        ---
        kind: Ingress
        metadata: {name: web}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        ---
        kind: Pod
        metadata: {name: web}
        spec: {containers: [{name: web, env: [{name: A, value: "1"}]}]}
        """,
    )
    prod = load_prod(tmp_path, ("all.yaml",))
    # A Service and an Ingress never hold containers: no warning; a kind devenv does not know may.
    assert prod.warnings == ["all.yaml: not read (not a kind devenv mirrors env from): Rollout web"]


# --- defect 1: env leaks across workloads ---

DB = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template:
    spec:
      containers:
        - name: postgres
          env: [{name: POSTGRES_DB, value: ledger}, {name: PGDATA, value: /var/lib/pg}]
"""
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          env: [{name: PORT, value: "8000"}]
"""


def test_one_workloads_env_never_leaks_into_anothers(tmp_path: Path) -> None:
    write(tmp_path, "k8s/db.yaml", DB)
    write(tmp_path, "k8s/web.yaml", WEB)
    toml = '[project]\nname = "x"\n[env]\nprod = ["k8s/db.yaml", "k8s/web.yaml#web"]\n'
    toml += '[services.web]\nimage = "busybox"\nenv = "prod"\n'
    project = parse_project(toml, tmp_path / "devenv.toml")
    assert service_env(project, "web", "prod").as_dict() == {"PORT": "8000"}
    # without any selector, the last workload listed is the container (earlier ones give only
    # their ConfigMaps and Secrets); a service named like a container picks that one
    assert load_prod(tmp_path, ("k8s/db.yaml", "k8s/web.yaml")).values.keys() == {"PORT"}
    assert load_prod(tmp_path, ("k8s/web.yaml", "k8s/db.yaml"), service="web").values.keys() == {"PORT"}


def test_the_bank_of_anthos_ledgerwriter_gets_only_its_own_env(corpus: Path) -> None:
    root = corpus / "k8s" / "bank-of-anthos" / "kubernetes-manifests"
    files = ("config.yaml", "accounts-db.yaml", "ledger-db.yaml", "ledger-writer.yaml", "userservice.yaml")
    env = load_prod(root, files, service="ledgerwriter").values
    assert not {"DEMO_LOGIN_USERNAME", "ACCOUNTS_DB_URI", "TOKEN_EXPIRY_SECONDS"} & set(env)
    assert env["POSTGRES_DB"].value == "postgresdb"  # its own envFrom of ledger-db-config


def test_a_file_with_several_workloads_and_no_selector_lists_them(tmp_path: Path) -> None:
    write(tmp_path, "both.yaml", DB + "---\n" + WEB)
    with pytest.raises(ConfigError) as err:
        load_prod(tmp_path, ("both.yaml",))
    assert str(err.value) == (
        "both.yaml:18: 2 candidate containers (db/postgres, web/web); devenv cannot tell which one's env to mirror"
    )


def test_two_selectors_pick_per_service(tmp_path: Path) -> None:
    write(tmp_path, "k8s/db.yaml", DB)
    write(tmp_path, "k8s/web.yaml", WEB)
    entries = ("k8s/db.yaml#postgres", "k8s/web.yaml#web")
    assert load_prod(tmp_path, entries, service="postgres").values.keys() == {"POSTGRES_DB", "PGDATA"}
    with pytest.raises(ConfigError, match=r"\[env\] prod selects 2 containers \(db/postgres, web/web\)"):
        load_prod(tmp_path, entries)


# --- defect 2: a Secret the files do not hold lives in the cluster ---

ARGO = "argo-cd/argocd-redis-deployment.yaml"


def test_a_secret_only_the_cluster_holds_is_mirrored_as_a_local_secret(corpus: Path, tmp_path: Path) -> None:
    root = corpus / "k8s"
    prod = resolve_env(root, EnvSpec(prod=(ARGO,)), "prod", process_env={})
    password = prod.values["REDIS_PASSWORD"]
    assert password.secret and password.source == (
        'Secret "argocd-redis" key "auth", held by the cluster: no [env] prod source has this Secret'
    )
    with pytest.raises(ConfigError) as err:
        resolve_env(root, EnvSpec(prod=(ARGO,), secrets="../local.env"), "dev", process_env={})
    assert str(err.value) == "profile dev: no local value for secret key REDIS_PASSWORD (or auth)"
    assert err.value.hint.startswith("add it to ../local.env")
    assert "optional" not in err.value.hint  # never advice to edit production's manifests
    (tmp_path / "local.env").write_text("auth=local-redis-pw\n")
    reads.allow([str((tmp_path / "local.env").resolve())])  # outside the project: as once trusted
    dev = resolve_env(root, EnvSpec(prod=(ARGO,), secrets=str(tmp_path / "local.env")), "dev", process_env={})
    assert dev.values["REDIS_PASSWORD"].value == "local-redis-pw"


# --- KEP-4369: any printable ASCII but '=' is a valid name ---


def test_relaxed_names_are_kept_everywhere(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pod.yaml",
        """\
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: c
              envFrom: [{prefix: "1-", configMapRef: {name: cm}}]
              env:
                - {name: "my var.with:odd~chars", value: x}
                - {name: "2FA", value: "$(my var.with:odd~chars)-y"}
        ---
        kind: ConfigMap
        metadata: {name: cm}
        data: {"a.b": "1"}
        """,
    )
    toml = '[project]\nname = "x"\n[env]\nprod = ["pod.yaml"]\n'
    toml += '[env.profiles.dev]\nset = { "2FA" = "off", "my var.with:odd~chars" = "z" }\n'
    toml += '[services.c]\nimage = "busybox"\nenv = "prod"\n'
    project = parse_project(toml, tmp_path / "devenv.toml")
    assert service_env(project, "c", "prod").as_dict() == {
        "1-a.b": "1",
        "my var.with:odd~chars": "x",
        "2FA": "x-y",
    }
    assert service_env(project, "c", "dev").as_dict() == {
        "1-a.b": "1",
        "my var.with:odd~chars": "z",
        "2FA": "off",
    }
