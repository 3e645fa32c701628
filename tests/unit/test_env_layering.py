"""Profiles over prod, local secret values, hashes, and a service's own env."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devenv.config.model import EnvSpec, Profile, Project, Service
from devenv.envvars import resolve_env, service_env
from devenv.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "env" / "k8s"
PROD = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#web")
LOCAL = {"DB_PASSWORD": "local-db-pw", "STRIPE_KEY": "sk_test_local", "SESSION_SECRET": "local-session"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "k8s")
    return tmp_path


def spec(*profiles: Profile, secrets: str = ".devenv/secrets.env") -> EnvSpec:
    return EnvSpec(prod=PROD, secrets=secrets, profiles=profiles)


TEST = Profile("test", set=(("DATABASE_URL", "postgres://db/test"), ("POD_NAME", "web-0")))
DEV = Profile("dev", extends="test", set=(("LOG_LEVEL", "debug"),), unset=("NEW_RELIC_LICENSE_KEY",))


def test_prod_profile_is_prod(root):
    env = resolve_env(root, spec(TEST, DEV), "prod", process_env={})
    assert env.values["DB_PASSWORD"].value == "prod-db-password-9f8e7d"
    assert env.values["LOG_LEVEL"].source == "k8s/deployment.yaml:27"
    assert "POD_NAME" in env.unmirrorable


def test_only_keys_named_in_profiles_differ_from_prod(root):
    prod = resolve_env(root, spec(TEST, DEV), "prod", process_env={})
    dev = resolve_env(root, spec(TEST, DEV), "dev", process_env=LOCAL)
    differing = {
        k for k in set(prod.values) | set(dev.values) if prod.as_dict().get(k) != dev.as_dict().get(k)
    }
    secret_keys = {"DB_PASSWORD", "STRIPE_KEY", "SESSION_SECRET", "API_TOKEN"}
    assert differing == {"DATABASE_URL", "POD_NAME", "LOG_LEVEL", "NEW_RELIC_LICENSE_KEY"} | secret_keys
    assert dev.values["DATABASE_URL"].source == "profile test"  # inherited through extends
    assert dev.values["LOG_LEVEL"].source == "profile dev"
    assert "POD_NAME" not in dev.unmirrorable  # a profile may supply what k8s fills in


def test_builtin_profiles_exist_and_change_nothing_but_secrets(root):
    test = resolve_env(root, spec(), "test", process_env=LOCAL)
    prod = resolve_env(root, spec(), "prod", process_env={})
    public = {k for k, v in prod.values.items() if not v.secret}
    assert {k: test.values[k] for k in public} == {k: prod.values[k] for k in public}


def test_default_profile_is_used_when_none_given(root):
    env = resolve_env(
        root, EnvSpec(prod=PROD, profiles=(DEV, TEST), default_profile="dev"), process_env=LOCAL
    )
    assert env.profile == "dev"


def test_unknown_profile_lists_the_known_ones(root):
    with pytest.raises(ConfigError) as err:
        resolve_env(root, spec(TEST, DEV), "staging", process_env=LOCAL)
    assert str(err.value) == 'unknown env profile "staging"; known: dev, prod, test'


def test_extends_cycle_and_declared_prod_are_errors(root):
    a, b = Profile("a", extends="b"), Profile("b", extends="a")
    with pytest.raises(ConfigError, match="extends forms a cycle"):
        resolve_env(root, spec(a, b), "a", process_env=LOCAL)
    with pytest.raises(ConfigError, match="prod is production itself"):
        resolve_env(root, spec(Profile("prod")), "dev", process_env=LOCAL)


def test_set_and_unset_of_the_same_key_is_an_error(root):
    bad = Profile("dev", set=(("A", "1"),), unset=("A",))
    with pytest.raises(ConfigError, match=r"\[env.profiles.dev\]: A is both set and unset"):
        resolve_env(root, spec(bad), "dev", process_env=LOCAL)


def test_secrets_file_then_process_environment(root):
    (root / ".devenv").mkdir()
    (root / ".devenv/secrets.env").write_text("DB_PASSWORD=from-file\nSTRIPE_KEY='sk file'\nUNRELATED=x\n")
    env = resolve_env(root, spec(), "dev", process_env={"DB_PASSWORD": "from-env", "SESSION_SECRET": "env-s"})
    assert (env.values["DB_PASSWORD"].value, env.values["DB_PASSWORD"].source) == (
        "from-file",
        "secrets file .devenv/secrets.env:1",
    )
    assert (env.values["SESSION_SECRET"].value, env.values["SESSION_SECRET"].source) == (
        "env-s",
        "process environment",
    )
    # API_TOKEN reads Secret key STRIPE_KEY: the local value under that name fills it
    assert env.values["API_TOKEN"].value == "sk file"
    assert env.values["API_TOKEN"].source == "secrets file .devenv/secrets.env:2 (as STRIPE_KEY)"
    assert env.warnings == (
        "secrets file .devenv/secrets.env:3: UNRELATED is not a secret key of prod's env; ignored",
    )
    assert all(v.secret for k, v in env.values.items() if k in LOCAL or k == "API_TOKEN")


def test_missing_secrets_error_lists_keys_and_never_values(root):
    with pytest.raises(ConfigError) as err:
        resolve_env(root, spec(), "dev", process_env={"DB_PASSWORD": "x"})
    assert str(err.value) == (
        "profile dev: no local value for secret keys API_TOKEN (or STRIPE_KEY), SESSION_SECRET, STRIPE_KEY"
    )
    assert err.value.hint.startswith("add them to .devenv/secrets.env")
    assert "prod-session-secret" not in str(err.value) + err.value.hint


def test_placeholder_only_when_the_profile_says_so(root):
    dev = Profile("dev", placeholder_secrets=True)
    env = resolve_env(root, spec(dev), "dev", process_env={})
    assert env.values["DB_PASSWORD"].value == "devenv-placeholder-db_password"
    assert env.values["DB_PASSWORD"].source == "placeholder (profile dev)"
    assert env.values["DB_PASSWORD"].secret


def test_profile_set_supplies_a_secret_and_stays_secret(root):
    sets = (("DB_PASSWORD", "app"), ("STRIPE_KEY", "x"), ("SESSION_SECRET", "y"), ("API_TOKEN", "z"))
    dev = Profile("dev", set=sets)
    env = resolve_env(root, spec(dev), "dev", process_env={})
    assert env.values["DB_PASSWORD"].value == "app" and env.values["DB_PASSWORD"].secret


def test_public_hash_ignores_local_secret_values_full_hash_does_not(root):
    one = resolve_env(root, spec(), "dev", process_env=LOCAL)
    two = resolve_env(root, spec(), "dev", process_env={**LOCAL, "DB_PASSWORD": "other"})
    assert one.public_hash() == two.public_hash()
    assert one.full_hash() != two.full_hash()
    three = resolve_env(root, spec(Profile("dev", set=(("LOG_LEVEL", "x"),))), "dev", process_env=LOCAL)
    assert three.public_hash() != one.public_hash()
    assert one.secret_values() == {"local-db-pw", "sk_test_local", "local-session"}


def test_values_are_ordered_by_key(root):
    env = resolve_env(root, spec(), "dev", process_env=LOCAL)
    assert list(env.values) == sorted(env.values)


def project(root: Path, *services: Service) -> Project:
    return Project("shop", root, root / "devenv.toml", services=services, env=spec(TEST, DEV))


def test_service_env_literal_layered_and_overlay(root):
    proj = project(
        root,
        Service("db", environment=(("POSTGRES_PASSWORD", "app"),)),
        Service("web", env="prod"),
        Service("api", env="prod", environment=(("EXTRA", "1"), ("DB_PASSWORD", "pw-literal"))),
        Service("none", env="none"),
    )
    db = service_env(proj, "db", process_env=LOCAL)
    assert [(v.key, v.source) for v in db.values.values()] == [
        ("POSTGRES_PASSWORD", "devenv.toml services.db.environment")
    ]
    assert "PORT" in service_env(proj, "web", process_env=LOCAL).values
    api = service_env(proj, "api", process_env=LOCAL)
    assert api.values["EXTRA"].value == "1" and api.values["DB_PASSWORD"].secret
    assert service_env(proj, "none", process_env=LOCAL).values == {}
    with pytest.raises(
        ConfigError, match=r'no service "nope" in devenv.toml \(services: db, web, api, none\)'
    ):
        service_env(proj, "nope")
