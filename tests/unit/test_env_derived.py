"""Derived values: a Kubernetes `$(VAR)` value built from secrets is secret and, in dev/test,
recomputed from the local secrets and the profile's overrides; a service's `environment` may
refer to the layered env (`${DB_PASSWORD}`) and stays secret where its source is. Exports
write references, never the values; redaction masks the derived text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devenv.config.loader import parse_project
from devenv.config.model import EnvSpec, Profile, Project
from devenv.envvars import Redactor, resolve_env, service_env
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError
from devenv.export import export_compose, export_k8s

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config}
data:
  DB_HOST: db.prod.internal
  DB_NAME: shop
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: shop-db}
stringData:
  username: prod-user
  password: prod-password-never-local
"""
DEPLOYMENT = """\
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
              valueFrom: {secretKeyRef: {name: shop-db, key: username}}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: shop-db, key: password}}
            - name: DATABASE_URL
              value: postgres://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):5432/$(DB_NAME)
            - name: PRICE_NOTE
              value: costs $$5 at $(DB_HOST)
"""
PROD = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml")
LOCAL_PASSWORD = "local-pw-4711"
DEV = Profile("dev", set=(("DB_HOST", "db"),))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s/configmap.yaml").write_text(CONFIGMAP)
    (tmp_path / "k8s/secret.yaml").write_text(SECRET)
    (tmp_path / "k8s/deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / ".devenv").mkdir()
    (tmp_path / ".devenv/secrets.env").write_text(f"username=app\npassword={LOCAL_PASSWORD}\n")
    return tmp_path


def spec(*profiles: Profile) -> EnvSpec:
    return EnvSpec(prod=PROD, secrets=".devenv/secrets.env", profiles=profiles or (DEV,))


def test_prod_computes_the_value_as_the_kubelet_does_and_marks_it_secret(root):
    env = resolve_env(root, spec(), "prod", process_env={})
    url = env.values["DATABASE_URL"]
    assert url.value == "postgres://prod-user:prod-password-never-local@db.prod.internal:5432/shop"
    assert url.secret and url.source == "k8s/deployment.yaml:18"
    assert url.refs == ("DB_USER", "DB_PASSWORD", "DB_HOST", "DB_NAME")
    note = env.values["PRICE_NOTE"]
    assert (note.value, note.secret) == ("costs $5 at db.prod.internal", False)


def test_dev_recomputes_it_from_local_secrets_and_the_profile(root):
    env = resolve_env(root, spec(), "dev", process_env={})
    url = env.values["DATABASE_URL"]
    assert url.value == f"postgres://app:{LOCAL_PASSWORD}@db:5432/shop"
    assert url.secret
    assert url.source == "k8s/deployment.yaml:18, recomputed from DB_USER, DB_PASSWORD, DB_HOST, DB_NAME"
    assert env.values["PRICE_NOTE"].value == "costs $5 at db"  # plain derived values follow too
    assert env.values["DB_NAME"].source == "k8s/configmap.yaml:6"  # parts keep their own provenance


def test_the_derived_value_is_not_demanded_as_a_local_secret(root):
    (root / ".devenv/secrets.env").write_text("username=app\n")
    with pytest.raises(ConfigError) as err:
        resolve_env(root, spec(), "dev", process_env={})
    assert str(err.value) == "profile dev: no local value for secret key DB_PASSWORD (or password)"


def test_a_profile_set_or_a_local_value_of_the_whole_key_wins(root):
    pinned = Profile("dev", set=(("DB_HOST", "db"), ("DATABASE_URL", "sqlite:///tmp/x")))
    assert resolve_env(root, spec(pinned), "dev", process_env={}).values["DATABASE_URL"].value == (
        "sqlite:///tmp/x"
    )
    (root / ".devenv/secrets.env").write_text("username=a\npassword=b\nDATABASE_URL=postgres://mine\n")
    env = resolve_env(root, spec(), "dev", process_env={})
    assert env.values["DATABASE_URL"].value == "postgres://mine"
    assert env.values["DATABASE_URL"].source == "secrets file .devenv/secrets.env:3"


def test_the_process_environment_does_not_replace_a_derived_value(root):
    env = resolve_env(root, spec(), "dev", process_env={"DATABASE_URL": "from-some-shell"})
    assert env.values["DATABASE_URL"].value == f"postgres://app:{LOCAL_PASSWORD}@db:5432/shop"


def test_placeholders_feed_the_recomputed_value(root):
    (root / ".devenv/secrets.env").write_text("")
    loose = Profile("dev", set=(("DB_HOST", "db"),), placeholder_secrets=True)
    env = resolve_env(root, spec(loose), "dev", process_env={})
    assert env.values["DATABASE_URL"].value == (
        "postgres://devenv-placeholder-db_user:devenv-placeholder-db_password@db:5432/shop"
    )


def test_an_unset_part_stays_a_reference_as_kubernetes_leaves_an_undefined_one(root):
    cut = Profile("dev", unset=("DB_HOST",))
    env = resolve_env(root, spec(cut), "dev", process_env={})
    assert env.values["DATABASE_URL"].value == f"postgres://app:{LOCAL_PASSWORD}@$(DB_HOST):5432/shop"


def test_chains_are_recomputed_in_order(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      env:\n"
        "        - {name: FOO, value: bar}\n        - {name: ZOO, value: $(FOO)-1}\n"
        "        - {name: BLU, value: $(ZOO)-2}\n"
    )
    env = resolve_env(
        tmp_path, EnvSpec(prod=("pod.yaml",), profiles=(Profile("dev", set=(("FOO", "x"),)),)), "dev"
    )
    assert env.as_dict() == {"FOO": "x", "ZOO": "x-1", "BLU": "x-1-2"}


def test_redaction_masks_the_derived_value_and_its_parts(root):
    env = resolve_env(root, spec(), "dev", process_env={})
    redact = Redactor(env.secret_values()).redact
    line = f"connecting to {env.values['DATABASE_URL'].value}"
    assert LOCAL_PASSWORD not in redact(line) and "***" in redact(line)


# --- a service's own environment refers to the layered env ---

PROJECT = """\
[project]
name = "shop"

[env]
prod = ["k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = {{ DB_HOST = "db" }}

[services.web]
image = "busybox:test"
env = "prod"
environment = {{ APP_DB = "${{DB_NAME}}_app" }}

[services.db]
image = "busybox:test"
environment = {{ POSTGRES_PASSWORD = "${{DB_PASSWORD}}", POSTGRES_USER = "${{DB_USER}}", POSTGRES_DB = "${{DB_NAME}}", NOTE = "a$$b $c" }}
{extra}
"""


def project(root: Path, extra: str = "") -> Project:
    path = root / "devenv.toml"
    path.write_text(PROJECT.format(extra=extra))
    return parse_project(path.read_text(), path)


def test_a_service_takes_the_same_credentials_without_a_second_copy(root):
    db = service_env(project(root), "db", "dev", process_env={})
    assert set(db.values) == {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "NOTE"}  # only its own
    password = db.values["POSTGRES_PASSWORD"]
    assert (password.value, password.secret) == (LOCAL_PASSWORD, True)
    assert password.source == (
        "devenv.toml services.db.environment (from DB_PASSWORD: secrets file .devenv/secrets.env:2 (as password))"
    )
    assert (db.values["POSTGRES_DB"].value, db.values["POSTGRES_DB"].secret) == ("shop", False)
    assert db.values["NOTE"].value == "a$b $c"  # $$ is a literal $, a lone $ stays
    assert LOCAL_PASSWORD in db.secret_values()


def test_a_receiving_service_refers_to_its_own_layered_env(root):
    web = service_env(project(root), "web", "dev", process_env={})
    assert web.values["APP_DB"].value == "shop_app"
    assert web.values["DATABASE_URL"].value == f"postgres://app:{LOCAL_PASSWORD}@db:5432/shop"


def test_an_unknown_or_malformed_reference_is_an_error_naming_the_key(root):
    proj = project(
        root, '\n[services.cache]\nimage = "busybox:test"\nenvironment = { X = "${DB_PASWORD}" }\n'
    )
    with pytest.raises(ConfigError) as err:
        service_env(proj, "cache", "dev", process_env={})
    assert str(err.value) == (
        "devenv.toml services.cache.environment.X: ${DB_PASWORD} is not a variable of the layered env (profile dev)"
    )
    proj = project(root, '\n[services.cache]\nimage = "busybox:test"\nenvironment = { X = "${DB_HOST" }\n')
    with pytest.raises(ConfigError, match=r"services.cache.environment.X: '\$\{DB_HOST' is not a reference"):
        service_env(proj, "cache", "dev", process_env={})


def test_a_table_without_references_does_not_need_the_layered_env(root):
    (root / "k8s/secret.yaml").unlink()  # prod would fail to load now
    proj = project(root, '\n[services.cache]\nimage = "busybox:test"\nenvironment = { PRICE = "$5" }\n')
    assert service_env(proj, "cache", "dev", process_env={}).as_dict() == {"PRICE": "$5"}


# --- exports refer to the secret parts, never write them ---


class Export:
    def __init__(self, root: Path):
        self.project = project(root)
        self.envs = {
            s.name: service_env(self.project, s.name, "dev", process_env={}).values
            for s in self.project.services
        }
        self.images = {s.name: "127.0.0.1:5555/busybox@sha256:" + "a" * 64 for s in self.project.services}


def test_export_compose_writes_references_to_the_parts(root):
    exp = Export(root)
    text = export_compose(exp.project, images=exp.images, envs=exp.envs, profile="dev")
    assert LOCAL_PASSWORD not in text and "prod-password" not in text
    services = yaml.safe_load(text)["services"]
    assert (
        services["web"]["environment"]["DATABASE_URL"] == "postgres://${DB_USER}:${DB_PASSWORD}@db:5432/shop"
    )
    assert services["web"]["environment"]["PRICE_NOTE"] == "costs $$5 at db"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "${DB_PASSWORD}"
    assert services["db"]["environment"]["NOTE"] == "a$$b $$c"
    assert "#   DB_PASSWORD, DB_USER" in text  # what to provide, once each


def test_export_compose_read_back_gives_the_dev_env(root, tmp_path):
    """What compose makes of the export (devenv's compose reader, a .env with the secrets) is dev's env."""
    exp = Export(root)
    out = tmp_path / "out"
    out.mkdir()
    (out / "docker-compose.yml").write_text(
        export_compose(exp.project, images=exp.images, envs=exp.envs, profile="dev")
    )
    (out / ".env").write_text(f"DB_USER=app\nDB_PASSWORD={LOCAL_PASSWORD}\n")
    for name in ("web", "db"):
        mirrored = load_prod(out, (f"docker-compose.yml#{name}",))
        dev = service_env(exp.project, name, "dev", process_env={}).as_dict()
        assert {k: v.value for k, v in mirrored.values.items()} == dev


def test_export_k8s_holds_a_value_built_from_secrets_whole(root):
    """`podman kube play` has no `$(VAR)` expansion: a value built from secrets is a Secret key
    of its own (the header says how it is built), so every engine gives the app the same text."""
    exp = Export(root)
    files = export_k8s(exp.project, images=exp.images, envs=exp.envs, profile="dev")
    assert not any(LOCAL_PASSWORD in t for t in files.values())
    web = yaml.safe_load(files["deployment-web.yaml"])["spec"]["template"]["spec"]["containers"][0]
    entries = {e["name"]: e for e in web["env"]}
    assert entries["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "shop-secrets", "key": "DATABASE_URL"}
    assert "value" not in entries["DATABASE_URL"]
    assert entries["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "shop-secrets",
        "key": "DB_PASSWORD",
    }
    assert "#   DATABASE_URL = postgres://${DB_USER}:${DB_PASSWORD}@db:5432/shop" in files["deployment-web.yaml"]
    db = yaml.safe_load(files["deployment-db.yaml"])["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in db["env"]} == {
        "POSTGRES_PASSWORD": "DB_PASSWORD",
        "POSTGRES_USER": "DB_USER",
    }


def test_export_k8s_read_back_gives_the_dev_env(root, tmp_path):
    """The exported manifests, with a Secret holding the local values, read by devenv's k8s
    reader (the kubelet's rules), give each container exactly dev's env."""
    exp = Export(root)
    out = tmp_path / "out"
    out.mkdir()
    for name, text in export_k8s(exp.project, images=exp.images, envs=exp.envs, profile="dev").items():
        (out / name).write_text(text)
    (out / "secret.yaml").write_text(
        "kind: Secret\nmetadata: {name: shop-secrets}\nstringData:\n"
        f"  DB_USER: app\n  DB_PASSWORD: {LOCAL_PASSWORD}\n"
        f"  DATABASE_URL: postgres://app:{LOCAL_PASSWORD}@db:5432/shop\n"
    )
    for name in ("web", "db"):
        sources = ["secret.yaml", f"deployment-{name}.yaml"]
        sources += [f"configmap-{name}.yaml"] if (out / f"configmap-{name}.yaml").exists() else []
        mirrored = load_prod(out, tuple(sorted(sources)))
        dev = service_env(exp.project, name, "dev", process_env={}).as_dict()
        assert {k: v.value for k, v in mirrored.values.items()} == dev, name
