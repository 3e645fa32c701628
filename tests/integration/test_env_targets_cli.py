"""Env targets through the real CLI: `env diff --between`, `env check --target`, `env show
--target` (no engine), and `up --target` on the real engine (the container gets staging's env,
`status` says so, and going back to prod recreates it with prod's)."""

from __future__ import annotations

import json

import pytest

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
data:
  LOG_LEVEL: {log_level}
  REGION: eu-west-1
{extra}"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: shop
stringData:
  DB_PASSWORD: {password}
  API_TOKEN: token-same-in-both-31
"""
SECRETS = ("prod-pw-9f8e7d", "staging-pw-4c3b2a", "token-same-in-both-31", "local-pw-77")

TOML = """
[env]
prod = ["deploy/prod/config.yaml", "deploy/prod/secret.yaml"]
secrets = ".devenv/secrets.env"

[env.targets]
staging = ["deploy/staging/config.yaml", "deploy/staging/secret.yaml"]

[env.profiles.dev]
set = {{ LOG_LEVEL = "debug" }}
{dev_extra}
[services.web]
image = "{image}"
command = ["sleep", "100000"]
"""


def write_shop(project, image: str = "busybox", dev_extra: str = "") -> None:
    files = {
        "deploy/prod/config.yaml": CONFIGMAP.format(log_level="info", extra=""),
        "deploy/prod/secret.yaml": SECRET.format(password="prod-pw-9f8e7d"),
        "deploy/staging/config.yaml": CONFIGMAP.format(log_level="warn", extra="  CANARY: 'on'\n"),
        "deploy/staging/secret.yaml": SECRET.format(password="staging-pw-4c3b2a"),
        ".devenv/secrets.env": "DB_PASSWORD=local-pw-77\nAPI_TOKEN=local-token\n",
    }
    for name, text in files.items():
        path = project.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    project.write(TOML.format(image=image, dev_extra=dev_extra))


def assert_no_secrets(result) -> None:
    for raw in SECRETS:
        assert raw not in result.out + result.err, f"secret {raw!r} leaked:\n{result}"


def test_diff_between_targets_shows_both_sources_and_no_secret(offline_project):
    write_shop(offline_project)
    result = offline_project.run("env", "diff", "--between", "staging", "prod")
    assert result.code == 0, str(result)
    assert (
        "service web: staging → prod: 2 differ, 1 only in staging, 0 only in prod, 2 the same" in result.err
    )
    rows = {line.split()[1]: line.split() for line in result.out.splitlines()[1:]}
    assert rows["LOG_LEVEL"] == [
        "~",
        "LOG_LEVEL",
        "warn",
        "deploy/staging/config.yaml:6",
        "info",
        "deploy/prod/config.yaml:6",
    ]
    assert rows["CANARY"][:4] == ["-", "CANARY", "on", "deploy/staging/config.yaml:8"]
    assert rows["DB_PASSWORD"] == [
        "~",
        "DB_PASSWORD",
        "***",
        "deploy/staging/secret.yaml:6",
        "***",
        "(secret;",
        "differs)",
        "deploy/prod/secret.yaml:6",
    ]
    assert "API_TOKEN" not in rows  # the same in both: counted, not listed
    assert_no_secrets(result)


def test_diff_between_json(offline_project):
    write_shop(offline_project)
    result = offline_project.run("env", "diff", "--between", "staging", "prod", "--json")
    assert result.code == 0, str(result)
    doc = json.loads(result.out)
    assert (doc["a"], doc["b"], doc["same"]) == ("staging", "prod", False)
    [web] = doc["services"]
    assert web["service"] == "web" and web["unchanged"] == 2
    assert web["secrets"] == {"API_TOKEN": "same", "DB_PASSWORD": "differs"}
    differ = {d["key"]: d for d in web["differ"]}
    assert differ["LOG_LEVEL"]["a"]["value"] == "warn" and differ["LOG_LEVEL"]["b"]["value"] == "info"
    assert differ["DB_PASSWORD"]["a"]["value"] == "***" and differ["DB_PASSWORD"]["secret"]
    assert [v["key"] for v in web["only_in_a"]] == ["CANARY"]
    assert_no_secrets(result)


def test_diff_of_two_profiles_keeps_its_meaning(offline_project):
    write_shop(offline_project)
    result = offline_project.run("env", "diff", "prod", "dev")
    assert result.code == 0, str(result)
    assert "prod → dev:" in result.err
    neither = offline_project.run("env", "diff")
    assert neither.code == 2 and "--between" in neither.err


def test_unknown_target_is_one_line(offline_project):
    write_shop(offline_project)
    for args in (
        ("env", "diff", "--between", "qa", "prod"),
        ("env", "check", "--target", "qa"),
        ("env", "show", "--target", "qa"),
    ):
        result = offline_project.run(*args)
        assert result.code != 0, str(result)
        assert 'unknown env target "qa"; declared: prod, staging' in result.err
        assert "Traceback" not in result.err


def test_check_against_staging_is_its_own_gate(offline_project):
    # dev sets CANARY: staging has it, prod does not
    write_shop(offline_project)
    toml = (offline_project.root / "devenv.toml").read_text()
    (offline_project.root / "devenv.toml").write_text(
        toml.replace('set = { LOG_LEVEL = "debug" }', 'set = { LOG_LEVEL = "debug", CANARY = "off" }').split(
            "[services.web]"
        )[0]
    )
    offline_project.ok("lock")  # env-only lock: no service, no image needed
    staging = offline_project.run("env", "check", "--target", "staging", "--profile", "dev")
    assert staging.code == 0, str(staging)
    assert "no drift against staging" in staging.err
    prod = offline_project.run("env", "check", "--profile", "dev")
    assert prod.code == 6, str(prod)
    assert "profile dev sets CANARY, which prod does not have" in prod.out
    doc = json.loads(offline_project.run("env", "check", "--target", "staging", "--json").out)
    assert doc["target"] == "staging"
    # the lock records every target's sources: a staging file that changed is drift on any target
    (offline_project.root / "deploy/staging/config.yaml").write_text(
        CONFIGMAP.format(log_level="error", extra="")
    )
    changed = offline_project.run("env", "check", "--target", "staging", "--profile", "dev")
    assert changed.code == 6 and "deploy/staging/config.yaml: changed since devenv.lock" in changed.out


def test_show_says_which_target_it_mirrors(offline_project):
    write_shop(offline_project)
    prod = offline_project.run("env", "show", "--profile", "prod")
    assert prod.code == 0 and "mirroring prod" in prod.err, str(prod)
    staging = offline_project.run("env", "show", "--target", "staging", "--json")
    doc = json.loads(staging.out)
    assert doc["target"] == "staging"
    values = {v["key"]: v for v in doc["variables"]}
    assert values["LOG_LEVEL"]["value"] == "debug"  # the dev profile on top of staging
    assert values["CANARY"]["source"] == "deploy/staging/config.yaml:8"


def container_env(project, service: str) -> dict[str, str]:
    out = project.ok("exec", service, "--", "env").out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.mark.engine
def test_up_target_staging_mirrors_staging(project, busybox_image) -> None:
    write_shop(project, image=busybox_image)
    project.ok("up", "-d", "--target", "staging")
    inside = container_env(project, "web")
    assert inside["CANARY"] == "on" and inside["LOG_LEVEL"] == "debug"  # staging, then the profile
    assert inside["DB_PASSWORD"] == "local-pw-77"
    shown = json.loads(project.ok("env", "show", "web", "--target", "staging", "--json").out)
    expected = {
        v["key"]: v["value"] for v in shown["variables"] if v["key"] not in ("DB_PASSWORD", "API_TOKEN")
    }
    assert {k: inside[k] for k in expected} == expected
    status = json.loads(project.ok("status", "--json").out)["services"]
    assert [(s["service"], s["target"]) for s in status] == [("web", "staging")]
    assert "(staging)" in project.ok("status").out
    again = project.ok("up", "-d", "--target", "staging")
    assert "up to date" in again.err, str(again)

    project.ok("up", "-d")  # back to prod: recreated with prod's env
    inside = container_env(project, "web")
    assert "CANARY" not in inside and inside["REGION"] == "eu-west-1"
    status = json.loads(project.ok("status", "--json").out)["services"]
    assert [(s["service"], s["target"]) for s in status] == [("web", "prod")]


def test_up_target_recreates_only_the_services_that_mirror_it(project, busybox_image) -> None:
    write_shop(project, image=busybox_image)
    with open(project.root / "devenv.toml", "a") as toml:
        toml.write(
            f'\n[services.cache]\nimage = "{busybox_image}"\ncommand = ["sleep", "100000"]\n'
            'environment = { MODE = "memory" }\n'
        )
    project.ok("up", "-d")
    before = {s["service"]: s["container"] for s in json.loads(project.ok("status", "--json").out)["services"]}
    project.ok("up", "-d", "--target", "staging")
    after = {s["service"]: s["container"] for s in json.loads(project.ok("status", "--json").out)["services"]}
    assert after["web"] != before["web"]  # staging's env
    assert after["cache"] == before["cache"]  # its own env: nothing of staging's reaches it
