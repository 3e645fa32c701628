"""Derived values on the real engine: production's Kubernetes manifests build DATABASE_URL with
`$(VAR)` from a Secret; in dev the container receives it recomputed from the local secrets and
the profile's DB_HOST, the database container takes the same password through `${DB_PASSWORD}`,
and no output — env show, up, status, export — prints a secret or the URL holding it."""

from __future__ import annotations

import json

import pytest
import yaml

pytestmark = pytest.mark.engine

PROD_PASSWORD = "prod-Pa55-derived-91"
LOCAL_PASSWORD = "local-Pa55-derived-17"
LOCAL_URL = f"postgres://app:{LOCAL_PASSWORD}@db:5432/shop"

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config}
data:
  DB_HOST: db.prod.internal
  DB_NAME: shop
---
apiVersion: v1
kind: Secret
metadata: {name: shop-db}
stringData:
  DB_USER: shop_prod
  DB_PASSWORD: PROD_PASSWORD
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop
          envFrom:
            - configMapRef: {name: shop-config}
          env:
            - name: DB_USER
              valueFrom: {secretKeyRef: {name: shop-db, key: DB_USER}}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: shop-db, key: DB_PASSWORD}}
            - name: DATABASE_URL
              value: postgres://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):5432/$(DB_NAME)
""".replace("PROD_PASSWORD", PROD_PASSWORD)


def container_env(project, service: str) -> dict[str, str]:
    out = project.ok("exec", service, "--", "env").out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_derived_url_and_shared_credentials_reach_the_containers(project, registry, busybox_image):
    (project.root / "k8s").mkdir()
    (project.root / "k8s" / "shop.yaml").write_text(MANIFESTS)
    (project.root / ".devenv").mkdir()
    (project.root / ".devenv" / "secrets.env").write_text(f"DB_USER=app\nDB_PASSWORD={LOCAL_PASSWORD}\n")
    project.write(f"""
[project]
name = "{project.name}"
registry = "{registry}"

[env]
prod = ["k8s/shop.yaml"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = {{ DB_HOST = "db" }}

[services.web]
image = "busybox:test"
command = ["sleep", "100000"]
env = "prod"

[services.db]
image = "busybox:test"
command = ["sleep", "100000"]
environment = {{ POSTGRES_USER = "${{DB_USER}}", POSTGRES_PASSWORD = "${{DB_PASSWORD}}", POSTGRES_DB = "${{DB_NAME}}" }}
""")
    up = project.ok("up", "-d")
    web, db = container_env(project, "web"), container_env(project, "db")
    assert web["DATABASE_URL"] == LOCAL_URL  # recomputed, not demanded as one more secret
    assert (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], db["POSTGRES_DB"]) == (
        "app",
        LOCAL_PASSWORD,
        "shop",
    )

    shown = json.loads(project.ok("env", "show", "web", "--json").out)
    url = next(v for v in shown["variables"] if v["key"] == "DATABASE_URL")
    assert (url["value"], url["secret"]) == ("***", True)
    assert "recomputed from DB_USER, DB_PASSWORD, DB_HOST, DB_NAME" in url["source"]
    db_shown = json.loads(project.ok("env", "show", "db", "--json").out)
    assert {v["key"]: v["value"] for v in db_shown["variables"]} == {
        "POSTGRES_DB": "shop",
        "POSTGRES_PASSWORD": "***",
        "POSTGRES_USER": "***",
    }

    project.ok("lock")
    compose = project.ok("export", "compose").out
    k8s = project.ok("export", "k8s").out
    status = project.ok("status", "--json").out
    table = project.ok("env", "show", "web")
    for text in (up.out, up.err, compose, k8s, status, table.out, table.err, json.dumps(shown)):
        assert LOCAL_PASSWORD not in text and PROD_PASSWORD not in text and LOCAL_URL not in text
    services = yaml.safe_load(compose)["services"]
    assert (
        services["web"]["environment"]["DATABASE_URL"] == "postgres://${DB_USER}:${DB_PASSWORD}@db:5432/shop"
    )
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "${DB_PASSWORD}"
    # a value built from secrets is a Secret key of its own (no engine has to expand $(VAR) in it)
    web_env = next(
        c["env"]
        for doc in yaml.safe_load_all(k8s)
        if doc and doc.get("kind") == "Deployment"
        for c in doc["spec"]["template"]["spec"]["containers"]
        if c["name"] == "web"
    )
    url_entry = next(e for e in web_env if e["name"] == "DATABASE_URL")
    assert "value" not in url_entry and url_entry["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_URL"
    assert "#   DATABASE_URL = postgres://${DB_USER}:${DB_PASSWORD}@db:5432/shop" in k8s
