"""`export_k8s`: Deployments/Services/ConfigMaps/PVCs that the Kubernetes schemas accept (strict),
with secrets only as secretKeyRefs to `<project>-secrets`, never as values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from devenv.config.loader import parse_project
from devenv.errors import ConfigError
from devenv.export import export_k8s

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="pip install kubernetes-validate (ships the schemas, works offline)"
)
K8S_VERSION = "1.30"
SECRET = "s3cr3t-value-never-written"
DIGEST = "127.0.0.1:5555/busybox@sha256:" + "c" * 64

PROJECT = """\
[project]
name = "shop_app"

[services.web_api]
image = "busybox:test"
entrypoint = ["/bin/sh", "-c"]
command = ["httpd -f -p 8000"]
workdir = "/srv"
ports = ["8000:8000", "8001:8000", "53:53/udp"]
code = "/srv"
data = [{ source = "data", target = "/data" }]
volumes = ["uploads:/srv/uploads", "shared:/shared:ro"]
read_only = true
privileged = true
user = "1000:1000"
depends_on = ["db"]

[services.db]
image = "busybox:test"
environment = { POSTGRES_PASSWORD = "app" }
volumes = ["shared:/shared", "legacy:/legacy"]
health = { cmd = ["pg_isready"], interval = "500ms", timeout = "2.5s", retries = 60, start_period = "3s" }
user = "postgres"

[volumes.legacy]
external = true
"""


@dataclass(frozen=True)
class Value:
    value: str
    secret: bool = False
    pieces: tuple = ()


ENVS = {"web_api": {"LOG_LEVEL": Value("info"), "PORT": Value("8000"), "API_KEY": Value(SECRET, True)}}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "data").mkdir()
    project = parse_project(PROJECT, tmp_path / "devenv.toml")
    images = {"web_api": DIGEST, "db": DIGEST}
    return export_k8s(project, images=images, envs=ENVS, profile="dev")


def docs(files: dict[str, str]) -> dict[tuple[str, str], dict]:
    out = {}
    for text in files.values():
        doc = yaml.safe_load(text)
        out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def test_every_manifest_passes_the_strict_schema(files):
    assert list(files) == [
        "pvc-uploads.yaml",
        "pvc-shared.yaml",
        "configmap-web-api.yaml",
        "deployment-web-api.yaml",
        "service-web-api.yaml",
        "configmap-db.yaml",
        "deployment-db.yaml",
        "service-db.yaml",
    ]
    for name, text in files.items():
        doc = yaml.safe_load(text)
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises ValidationError
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shop-app", name


def test_the_validator_is_real(files):
    """A manifest with a wrong field fails the same validator (so the test above can fail)."""
    doc = yaml.safe_load(files["deployment-web-api.yaml"])
    doc["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eight thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_secrets_are_references_only(files):
    everything = "".join(files.values())
    assert SECRET not in everything
    assert not any(yaml.safe_load(t)["kind"] == "Secret" for t in files.values())
    container = docs(files)[("Deployment", "web-api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "shop-app-secrets", "key": "API_KEY"}}}
    ]
    assert container["envFrom"] == [{"configMapRef": {"name": "shop-app-web-api-env"}}]
    assert "Needs the Secret shop-app-secrets with keys: API_KEY." in files["deployment-web-api.yaml"]


def test_deployment_service_configmap_pvc(files):
    found = docs(files)
    assert found[("ConfigMap", "shop-app-web-api-env")]["data"] == {"LOG_LEVEL": "info", "PORT": "8000"}
    assert found[("ConfigMap", "shop-app-db-env")]["data"] == {"POSTGRES_PASSWORD": "app"}
    deploy = found[("Deployment", "web-api")]
    pod = deploy["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == DIGEST
    assert (
        c["command"] == ["/bin/sh", "-c"] and c["args"] == ["httpd -f -p 8000"] and c["workingDir"] == "/srv"
    )
    assert c["ports"] == [
        {"name": "tcp-8000", "containerPort": 8000, "protocol": "TCP"},
        {"name": "udp-53", "containerPort": 53, "protocol": "UDP"},
    ]
    assert c["securityContext"] == {
        "readOnlyRootFilesystem": True,
        "privileged": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
    }
    assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
    assert {"name": "vol-shared", "persistentVolumeClaim": {"claimName": "shop-app-shared"}} in pod["volumes"]
    selector = deploy["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deploy["spec"]["template"]["metadata"]["labels"].items()
    service = found[("Service", "web-api")]
    assert service["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [8000, 53]
    assert found[("PersistentVolumeClaim", "shop-app-shared")]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert found[("PersistentVolumeClaim", "shop-app-uploads")]["spec"]["accessModes"] == ["ReadWriteOnce"]
    db = found[("Deployment", "db")]["spec"]["template"]["spec"]
    assert db["containers"][0]["readinessProbe"] == {
        "exec": {"command": ["pg_isready"]},
        "periodSeconds": 1,
        "timeoutSeconds": 3,
        "failureThreshold": 60,
        "initialDelaySeconds": 3,
    }
    assert {"name": "vol-legacy", "persistentVolumeClaim": {"claimName": "legacy"}} in db["volumes"]
    # No ports: a headless Service, so `db` resolves in the cluster as on the devenv network.
    assert found[("Service", "db")]["spec"] == {"selector": found[("Deployment", "db")]["spec"]["selector"]["matchLabels"], "clusterIP": "None"}


def test_host_only_pieces_are_listed_not_dropped(files):
    header = files["deployment-web-api.yaml"]
    assert "Not exported: the code mount at /srv" in header
    assert "Not exported: data " in header and " at /data" in header
    assert 'Not exported: user = "postgres"' in files["deployment-db.yaml"]


def test_a_build_without_a_pushed_digest_is_an_error(tmp_path):
    (tmp_path / "api").mkdir()
    project = parse_project('[services.api]\nbuild = "api"\n', tmp_path / "devenv.toml")
    with pytest.raises(
        ConfigError, match=r"service api builds its image and devenv\.lock has no pushed digest"
    ):
        export_k8s(project, images={}, envs={})
