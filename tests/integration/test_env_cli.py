"""`devenv env show|diff|check` through the real CLI (no engine needed): provenance, exit codes,
and no secret value anywhere in stdout or stderr."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "unit" / "fixtures" / "env" / "k8s"

# Every raw secret value this project holds: prod's (in the Secret manifest) and the local ones.
PROD_SECRETS = ("prod-db-password-9f8e7d", "sk_live_prodtoken_123456", "prod-session-secret-abcdef")
LOCAL_SECRETS = ("local-db-pass-77", 'sk_test "quoted"', "multi-line-secret\nsecond-line-xyz")
# SESSION_SECRET is in both the secrets file (which wins) and the environment.
ENV_SECRET = "session-from-environment-42"

TOML = """\
[env]
prod = ["deploy/k8s/configmap.yaml", "deploy/k8s/secret.yaml", "deploy/k8s/deployment.yaml#web"]
secrets = ".devenv/secrets.env"

[env.profiles.test]
set = { DATABASE_URL = "postgres://app:local-db-pass-77@db:5432/shop_test", POD_NAME = "web-0" }

[env.profiles.dev]
extends = "test"
set = { LOG_LEVEL = "debug" }
unset = ["NEW_RELIC_LICENSE_KEY"]

[services.web]
image = "python:3.12"

[services.db]
image = "postgres:16"
environment = { POSTGRES_PASSWORD = "app" }
"""


@pytest.fixture
def shop(offline_project):
    shutil.copytree(FIXTURES, offline_project.root / "deploy" / "k8s")
    offline_project.write(TOML)
    offline_project.write(
        "DB_PASSWORD=local-db-pass-77\n"
        "STRIPE_KEY='sk_test \"quoted\"'\n"
        'SESSION_SECRET="multi-line-secret\nsecond-line-xyz"\n',
        name=".devenv/secrets.env",
    )
    return offline_project


def run(project, *args: str, **env: str):
    return project.run(*args, SESSION_SECRET=ENV_SECRET, **env)


def assert_no_secrets(result) -> None:
    text = result.out + result.err
    for raw in (*PROD_SECRETS, *LOCAL_SECRETS, ENV_SECRET):
        for piece in [raw, json.dumps(raw)[1:-1], *raw.splitlines()]:
            assert piece not in text, f"secret {piece!r} leaked:\n{result}"


def test_show_table_has_provenance_and_masks_secrets(shop):
    result = run(shop, "env", "show")
    assert result.code == 0, str(result)
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert rows["LOG_LEVEL"].split()[1:] == ["debug", "profile", "dev"]
    assert rows["URL_REDIS_URL"].endswith("deploy/k8s/configmap.yaml:19 (via deploy/k8s/deployment.yaml:18)")
    assert rows["REDIS_URL"].split()[2:] == [
        "deploy/k8s/configmap.yaml:19",
        "(via",
        "deploy/k8s/deployment.yaml:30)",
    ]
    assert rows["DB_PASSWORD"].split()[1:] == ["***", "secrets", "file", ".devenv/secrets.env:1"]
    assert rows["SESSION_SECRET"].split()[1:] == ["***", "secrets", "file", ".devenv/secrets.env:3"]
    # a non-secret value that embeds a secret value is still masked (the redactor's safety net)
    assert rows["DATABASE_URL"].split()[1] == "postgres://app:***@db:5432/shop_test"
    assert "NEW_RELIC_LICENSE_KEY" not in rows
    assert "profile dev:" in result.err
    assert_no_secrets(result)


def test_show_json_for_each_profile(shop):
    for profile in ("prod", "dev", "test"):
        result = run(shop, "env", "show", "--profile", profile, "--json")
        assert result.code == 0, str(result)
        doc = json.loads(result.out)
        assert doc["schema"] == "devenv.env/v1" and doc["profile"] == profile
        by_key = {v["key"]: v for v in doc["variables"]}
        assert by_key["STRIPE_KEY"] == {
            "key": "STRIPE_KEY",
            "value": "***",
            "secret": True,
            "source": "deploy/k8s/secret.yaml:10"
            if profile == "prod"
            else "secrets file .devenv/secrets.env:2",
            "via": "deploy/k8s/deployment.yaml:21" if profile == "prod" else None,
        }
        assert len(doc["public_hash"]) == 64
        assert_no_secrets(result)
    prod = json.loads(run(shop, "env", "show", "--profile", "prod", "--json").out)
    assert prod["unmirrorable"][0]["key"] == "POD_NAME"


def test_show_service_with_literal_environment(shop):
    result = run(shop, "env", "show", "db", "--json")
    assert result.code == 0, str(result)
    assert json.loads(result.out)["variables"] == [
        {
            "key": "POSTGRES_PASSWORD",
            "value": "app",
            "secret": False,
            "source": "devenv.toml services.db.environment",
            "via": None,
        }
    ]


def test_diff_compares_secrets_by_hash_only(shop):
    result = run(shop, "env", "diff", "prod", "dev", "--json")
    assert result.code == 0, str(result)
    doc = json.loads(result.out)
    changed = {c["key"]: c for c in doc["changed"]}
    assert changed["DATABASE_URL"]["b"]["value"] == "postgres://app:***@db:5432/shop_test"
    assert changed["LOG_LEVEL"]["a"]["value"] == "warning" and changed["LOG_LEVEL"]["b"]["value"] == "debug"
    assert changed["DB_PASSWORD"]["secret"] and changed["DB_PASSWORD"]["b"]["value"] == "***"
    assert [v["key"] for v in doc["removed"]] == ["NEW_RELIC_LICENSE_KEY"]
    assert [v["key"] for v in doc["added"]] == ["POD_NAME"]
    assert_no_secrets(result)
    human = run(shop, "env", "diff", "prod", "dev")
    assert human.code == 0 and "*** (secret; differs)" in human.out
    assert_no_secrets(human)


def test_missing_secret_is_a_clear_error(shop):
    shop.write("DB_PASSWORD=local-db-pass-77\n", name=".devenv/secrets.env")
    result = run(shop, "env", "show")
    assert result.code == 1
    assert (
        "error: profile dev: no local value for secret keys API_TOKEN (or STRIPE_KEY), STRIPE_KEY"
        in result.err
    )
    assert_no_secrets(result)


def test_unknown_profile(shop):
    result = run(shop, "env", "show", "--profile", "staging")
    assert result.code == 1
    assert 'unknown env profile "staging"; known: dev, prod, test' in result.err


def test_check_passes_then_fails_on_drift_with_exit_6(shop):
    ok = shop.run("env", "check", "--json")  # no secrets needed
    assert ok.code == 0, str(ok)
    assert json.loads(ok.out)["ok"] is True
    toml = TOML.replace('LOG_LEVEL = "debug"', 'LOG_LEVL = "debug"')
    shop.write(toml)
    bad = shop.run("env", "check")
    assert bad.code == 6, str(bad)
    assert "drift: profile dev sets LOG_LEVL, which prod does not have" in bad.out
    assert "error: env check: 1 drift problem" in bad.err
    doc = json.loads(shop.run("env", "check", "--json").out)
    assert [p["kind"] for p in doc["problems"]] == ["unknown-key"]
    assert_no_secrets(bad)


def test_check_against_devenv_lock(shop):
    hashes = json.loads(shop.run("env", "check", "--json").out)["sources"]
    lock = "[env.sources]\n" + "".join(f'"{p}" = "sha256:{h}"\n' for p, h in hashes.items())
    shop.write(lock, name="devenv.lock")
    assert shop.run("env", "check").code == 0
    configmap = shop.root / "deploy/k8s/configmap.yaml"
    configmap.write_text(configmap.read_text().replace("LOG_LEVEL: info", "LOG_LEVEL: error"))
    result = shop.run("env", "check", "--json")
    assert result.code == 6
    problems = json.loads(result.out)["problems"]
    assert [(p["kind"], p["file"]) for p in problems] == [("source-changed", "deploy/k8s/configmap.yaml")]


def test_source_errors_name_file_and_line(shop):
    secret = shop.root / "deploy/k8s/secret.yaml"
    secret.write_text(secret.read_text().replace("cHJvZC1kYi1wYXNzd29yZC05ZjhlN2Q=", "not*base64"))
    result = run(shop, "env", "show")
    assert result.code == 1
    assert (
        'error: deploy/k8s/secret.yaml:8: Secret "shop-secrets" data.DB_PASSWORD is not valid base64'
        in result.err
    )
    assert "hint: " in result.err


def test_yaml_syntax_error_names_file_and_line(shop):
    secret = shop.root / "deploy/k8s/secret.yaml"
    secret.write_text(secret.read_text().replace("cHJvZC1kYi1wYXNzd29yZC05ZjhlN2Q=", "%%%"))
    result = run(shop, "env", "show")
    assert result.code == 1
    assert "error: deploy/k8s/secret.yaml:8: not valid YAML: found character '%'" in result.err
