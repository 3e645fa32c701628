"""Env targets: `[env.targets]` in devenv.toml, picking one, diffing two per service, and the
drift check against one."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.envvars import check_drift, source_hashes
from devenv.envvars.diff import diff_targets
from devenv.envvars.targets import all_sources, declared, for_target, with_target
from devenv.errors import ConfigError

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-config
data:
  LOG_LEVEL: {log_level}
  REGION: eu-west-1
{extra}"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: shop-secrets
stringData:
  DB_PASSWORD: {password}
  API_TOKEN: same-token-everywhere
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: web
          envFrom:
            - configMapRef: {name: shop-config}
            - secretRef: {name: shop-secrets}
          env:
            - name: PORT
              value: "8000"
"""

TOML = """\
[env{prod_table}]
{prod}

[env.targets]
staging = ["deploy/staging/config.yaml", "deploy/staging/secret.yaml", "deploy/deployment.yaml#web"]

[env.profiles.dev]
set = {{ LOG_LEVEL = "debug" }}

[services.web]
image = "python:3.12"
"""

PROD_SOURCES = '["deploy/prod/config.yaml", "deploy/prod/secret.yaml", "deploy/deployment.yaml#web"]'


def write_shop(root: Path, *, prod_in_targets: bool = False) -> Path:
    files = {
        "deploy/deployment.yaml": DEPLOYMENT,
        "deploy/prod/config.yaml": CONFIGMAP.format(log_level="info", extra=""),
        "deploy/prod/secret.yaml": SECRET.format(password="prod-pw-1"),
        "deploy/staging/config.yaml": CONFIGMAP.format(log_level="debug", extra="  CANARY: 'on'\n"),
        "deploy/staging/secret.yaml": SECRET.format(password="staging-pw-2"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if prod_in_targets:
        text = TOML.format(prod_table="", prod="").replace(
            "[env.targets]\n", f"[env.targets]\nprod = {PROD_SOURCES}\n"
        )
    else:
        text = TOML.format(prod_table="", prod=f"prod = {PROD_SOURCES}")
    (root / "devenv.toml").write_text(text)
    return root / "devenv.toml"


def load(root: Path, **kwargs: bool):
    path = write_shop(root, **kwargs)
    return parse_project(path.read_text(), path)


def test_targets_are_read_and_prod_stays_the_default(tmp_path):
    project = load(tmp_path)
    spec = project.env
    assert spec.target == "prod"
    assert spec.prod[0] == "deploy/prod/config.yaml"
    assert list(declared(spec)) == ["prod", "staging"]
    staging = for_target(spec, "staging")
    assert staging.target == "staging" and staging.prod[0] == "deploy/staging/config.yaml"
    # picking a target keeps every target known: back to prod gives prod's sources again
    assert for_target(staging, "prod").prod == spec.prod


def test_prod_in_targets_is_the_same_as_env_prod(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = load(tmp_path / "a"), load(tmp_path / "b", prod_in_targets=True)
    assert one.env.prod == two.env.prod
    assert declared(one.env) == declared(two.env)


def test_prod_declared_twice_is_an_error_naming_both(tmp_path):
    path = write_shop(tmp_path)
    text = path.read_text().replace("[env.targets]\n", f"[env.targets]\nprod = {PROD_SOURCES}\n")
    with pytest.raises(ConfigError) as err:
        parse_project(text, path)
    message = str(err.value)
    assert "[env] prod" in message and "[env.targets] prod" in message


def test_a_target_name_must_be_a_name(tmp_path):
    path = write_shop(tmp_path)
    text = path.read_text().replace("staging =", '"Staging Env" =')
    with pytest.raises(ConfigError) as err:
        parse_project(text, path)
    assert "Staging Env" in str(err.value) and "target name" in str(err.value)


def test_unknown_target_is_one_line_listing_the_declared(tmp_path):
    spec = load(tmp_path).env
    with pytest.raises(ConfigError) as err:
        for_target(spec, "qa")
    assert str(err.value) == 'unknown env target "qa"; declared: prod, staging'
    assert "\n" not in str(err.value)


def test_a_spec_without_targets_has_prod_alone():
    from devenv.config.model import EnvSpec

    spec = EnvSpec(prod=("a.env",))
    assert declared(spec) == {"prod": ("a.env",)}
    assert for_target(spec, "prod") == spec


def test_lock_and_trust_cover_every_targets_sources(tmp_path):
    spec = load(tmp_path).env
    assert all_sources(spec) == (
        "deploy/prod/config.yaml",
        "deploy/prod/secret.yaml",
        "deploy/deployment.yaml#web",
        "deploy/staging/config.yaml",
        "deploy/staging/secret.yaml",
    )
    hashed = source_hashes(tmp_path, spec)
    assert "deploy/staging/config.yaml" in hashed and "deploy/prod/config.yaml" in hashed
    # the same record whichever target is mirrored: one devenv.lock for all
    assert source_hashes(tmp_path, for_target(spec, "staging")) == hashed


def test_diff_between_targets_per_service_secrets_by_hash(tmp_path):
    project = load(tmp_path)
    [web] = diff_targets(project, "staging", "prod")
    assert web.service == "web"
    d = web.diff
    assert (d.a, d.b) == ("staging", "prod")
    assert [v.key for v in d.removed] == ["CANARY"]  # only in staging
    assert d.added == ()
    changed = {c.key: c for c in d.changed}
    assert set(changed) == {"LOG_LEVEL", "DB_PASSWORD"}
    assert changed["LOG_LEVEL"].a.source.startswith("deploy/staging/config.yaml:6")
    assert changed["LOG_LEVEL"].b.source.startswith("deploy/prod/config.yaml:6")
    assert changed["DB_PASSWORD"].secret
    assert dict(web.secrets) == {"API_TOKEN": False, "DB_PASSWORD": True}
    assert d.unchanged == 3  # REGION, PORT, API_TOKEN


def test_diff_between_a_target_and_itself_is_the_same(tmp_path):
    [web] = diff_targets(load(tmp_path), "prod", "prod")
    assert web.same and web.diff.unchanged == 5


def test_check_against_staging_names_staging(tmp_path):
    project = load(tmp_path)
    spec = project.env._replace(
        profiles=tuple(p._replace(set=(*p.set, ("CANARY", "off"))) for p in project.env.profiles)
    )
    # prod has no CANARY: setting it is drift against prod, not against staging
    against_prod = check_drift(tmp_path, spec, "dev", source_hashes(tmp_path, spec))
    assert [(p.kind, p.key) for p in against_prod.problems] == [("unknown-key", "CANARY")]
    assert "which prod does not have" in against_prod.problems[0].message
    staging = for_target(spec, "staging")
    assert check_drift(tmp_path, staging, "dev", source_hashes(tmp_path, spec)).ok


def test_check_against_staging_sees_a_key_only_staging_has(tmp_path):
    project = load(tmp_path)
    spec = for_target(project.env, "staging")._replace(
        profiles=tuple(p._replace(unset=("CANARY",)) for p in project.env.profiles)
    )
    assert check_drift(tmp_path, spec, "dev", source_hashes(tmp_path, spec)).ok
    prod = for_target(spec, "prod")
    report = check_drift(tmp_path, prod, "dev", source_hashes(tmp_path, spec))
    assert [(p.kind, p.key) for p in report.problems] == [("unknown-unset", "CANARY")]
    assert "which prod does not have" in report.problems[0].message


def test_with_target_replaces_only_the_env(tmp_path):
    project = load(tmp_path)
    staging = with_target(project, "staging")
    assert staging.services == project.services and staging.env.target == "staging"
