"""Env parity on the real engine: the container gets exactly the layered env, a changed
ConfigMap value reaches it on the next `up` (and nothing else is touched), and `env check`
catches a source that drifted from devenv.lock."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.engine

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
data:
  FEATURE_X: "on"
  LOG_LEVEL: info
"""
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: shop
stringData:
  DB_PASSWORD: from-prod-manifest
"""


def container_env(project, service: str) -> dict[str, str]:
    out = project.ok("exec", service, "--", "env").out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def shown_env(project, service: str) -> dict[str, str]:
    doc = json.loads(project.ok("env", "show", service, "--json").out)
    return {item["key"]: item["value"] for item in doc["variables"]}


def test_layered_env_reaches_the_container_and_follows_the_configmap(project, busybox_image) -> None:
    deploy = project.root / "deploy"
    deploy.mkdir()
    (deploy / "configmap.yaml").write_text(CONFIGMAP)
    (deploy / "secret.yaml").write_text(SECRET)
    (project.root / ".devenv").mkdir()
    (project.root / ".devenv" / "secrets.env").write_text("DB_PASSWORD=local-only-pw\n")
    project.write(f"""
[env]
prod = ["deploy/configmap.yaml", "deploy/secret.yaml"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = {{ LOG_LEVEL = "debug" }}

[services.web]
image = "{busybox_image}"
command = ["sleep", "100000"]

[services.db]
image = "{busybox_image}"
command = ["sleep", "100000"]
environment = {{ ROLE = "db" }}
env = "none"
""")
    project.ok("up", "-d")
    inside = container_env(project, "web")
    assert inside["FEATURE_X"] == "on" and inside["LOG_LEVEL"] == "debug"  # prod, then the profile
    assert inside["DB_PASSWORD"] == "local-only-pw"  # the secret's local value, inside only
    shown = shown_env(project, "web")
    assert {k: v for k, v in inside.items() if k in shown and k != "DB_PASSWORD"} == {
        k: v for k, v in shown.items() if k != "DB_PASSWORD"
    }
    assert shown["DB_PASSWORD"] == "***"
    assert "FEATURE_X" not in container_env(project, "db")  # env = "none": its own table only
    before = json.loads(project.ok("status", "--json").out)["services"]

    project.ok("lock")
    assert project.run("env", "check").code == 0
    (deploy / "configmap.yaml").write_text(CONFIGMAP.replace('FEATURE_X: "on"', 'FEATURE_X: "off"'))
    drift = project.run("env", "check")
    assert drift.code == 6 and "deploy/configmap.yaml" in (drift.out + drift.err), str(drift)

    changed = project.ok("up", "-d")
    assert "1 change" in changed.err  # web only: db does not receive the layered env
    assert container_env(project, "web")["FEATURE_X"] == "off"
    after = json.loads(project.ok("status", "--json").out)["services"]
    hashes = {s["service"]: s["env_hash"] for s in before}, {s["service"]: s["env_hash"] for s in after}
    assert hashes[0]["web"] != hashes[1]["web"] and hashes[0]["db"] == hashes[1]["db"]
