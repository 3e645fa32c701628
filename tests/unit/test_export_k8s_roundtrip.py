"""The round trip: the env `devenv export k8s` gives each container, read back by devenv's own
Kubernetes reader (the kubelet's rules: envFrom, secretKeyRef, `$(VAR)` expansion), with the
Secret the cluster would hold, equals the env devenv gives that service's container.

The projects are examples/shop (production's env from Kubernetes manifests, a value built from
secrets, a database taking the app's credentials under other names) and a dotenv project with
the awkward cases (`$` and `$(` in values, a profile that unsets, a literal `environment`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from devenv.config.load import load_project
from devenv.envvars import resolve_env, service_env
from devenv.envvars.sources import load_prod
from devenv.export import export_k8s
from devenv.export.k8s import k8s_name, secret_name

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
IMAGE = "127.0.0.1:5555/busybox@sha256:" + "e" * 64
SECRETS = {"DB_USER": "shop_app", "DB_PASSWORD": 'pa$$ w"o rd $(HOME) `id`'}

DOTENV_PROJECT = """\
[project]
name = "dollars"

[env]
prod = ["prod.env", "secret.yaml"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = { LOG_LEVEL = "debug", PRICE = "$5 and $(not a ref)" }
unset = ["TRACE_URL"]

[services.api]
image = "busybox:test"
env = "prod"
environment = { API_URL = "https://${API_USER}:${API_TOKEN}@api.example.com/v1?cost=$5&q=$(LOG_LEVEL)", MODE = "literal" }

[services.worker]
image = "busybox:test"
env = "prod"
"""


def shop_copy(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".devenv", "devenv.lock", "__pycache__"))
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").write_text("".join(f"{k}='{v}'\n" for k, v in SECRETS.items()))
    return root


def dotenv_project(tmp_path: Path) -> Path:
    root = tmp_path / "dollars"
    root.mkdir()
    (root / "devenv.toml").write_text(DOTENV_PROJECT)
    (root / "prod.env").write_text(
        "LOG_LEVEL=info\nPRICE=4\nTRACE_URL=http://trace:4317\nAPI_USER=svc\nEMPTY=\n"
    )
    (root / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: api}\nstringData:\n  API_TOKEN: from-the-cluster\n"
    )
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").write_text("API_TOKEN='tok$en'\n")
    return root


def layered(project, profile: str):
    return {s.name: service_env(project, s.name, profile, process_env={}).values for s in project.services}


def devenv_envs(project, profile: str) -> dict[str, dict[str, str]]:
    return {name: {k: v.value for k, v in env.items()} for name, env in layered(project, profile).items()}


def secret_store(project, profile: str) -> dict[str, str]:
    """Every secret value devenv knows for the project: what the team's secret store holds."""
    values = {
        k: v.value
        for k, v in resolve_env(project.root, project.env, profile, process_env={}).values.items()
        if v.secret
    }
    for env in layered(project, profile).values():
        values.update((k, v.value) for k, v in env.items() if v.secret)
    return values


def exported_envs(project, profile: str, out: Path) -> dict[str, dict[str, str]]:
    """Export, add the Secret a cluster would hold (the keys the manifests refer to), read back."""
    files = export_k8s(
        project, images={s.name: IMAGE for s in project.services}, envs=layered(project, profile)
    )
    out.mkdir()
    store = secret_store(project, profile)
    keys: set[str] = set()
    for name, text in files.items():
        (out / name).write_text(text)
        doc = yaml.safe_load(text)
        for container in doc["spec"]["template"]["spec"]["containers"] if doc["kind"] == "Deployment" else []:
            for entry in container.get("env") or []:
                ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret_name(project)
                    keys.add(ref["key"])
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret_name(project)}}
    secret["stringData"] = {k: store[k] for k in sorted(keys)}
    (out / "cluster-secret.yaml").write_text(yaml.safe_dump(secret))
    back: dict[str, dict[str, str]] = {}
    for svc in project.services:
        sources = [f"deployment-{k8s_name(svc.name)}.yaml", "cluster-secret.yaml"]
        if (out / f"configmap-{k8s_name(svc.name)}.yaml").is_file():
            sources.insert(0, f"configmap-{k8s_name(svc.name)}.yaml")
        prod = load_prod(out, tuple(sources), service=svc.name)
        assert not prod.unmirrorable, prod.unmirrorable
        back[svc.name] = {k: v.value for k, v in prod.values.items()}
    return back


@pytest.mark.parametrize("profile", ["dev", "test", "prod"])
def test_shop(tmp_path, profile):
    project = load_project(shop_copy(tmp_path))
    expected = devenv_envs(project, profile)
    if profile != "prod":  # prod: the values the manifests hold (placeholders the cluster replaces)
        assert (
            expected["web"]["DATABASE_URL"] == f"postgresql://shop_app:{SECRETS['DB_PASSWORD']}@db:5432/shop"
        )
        assert expected["db"]["POSTGRES_PASSWORD"] == SECRETS["DB_PASSWORD"]
    assert exported_envs(project, profile, tmp_path / "k8s") == expected


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_dollars_unsets_and_literals(tmp_path, profile):
    project = load_project(dotenv_project(tmp_path))
    expected = devenv_envs(project, profile)
    if profile == "dev":
        assert expected["api"]["PRICE"] == "$5 and $(not a ref)" and "TRACE_URL" not in expected["api"]
        assert expected["api"]["API_URL"] == "https://svc:tok$en@api.example.com/v1?cost=$5&q=$(LOG_LEVEL)"
    assert exported_envs(project, profile, tmp_path / "k8s") == expected
