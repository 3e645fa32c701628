"""env diff (secrets by hash) and env check (profile drift, lock drift)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devenv.config.model import EnvSpec, Profile
from devenv.envvars import EnvValue, LayeredEnv, check_drift, diff_envs, resolve_env, source_hashes

FIXTURES = Path(__file__).parent / "fixtures" / "env" / "k8s"
PROD = ("k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml#web")
LOCAL = {"DB_PASSWORD": "local-db-pw", "STRIPE_KEY": "sk_test_local", "SESSION_SECRET": "local-session"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "k8s")
    return tmp_path


def env(profile: str, **values: tuple[str, bool]) -> LayeredEnv:
    return LayeredEnv(profile, {k: EnvValue(k, v, "x:1", secret=s) for k, (v, s) in sorted(values.items())})


def test_diff_added_removed_changed():
    a = env("prod", A=("1", False), B=("2", False), S=("same", True), T=("old", True))
    b = env("dev", A=("1", False), B=("3", False), C=("new", False), S=("same", True), T=("new", True))
    result = diff_envs(a, b)
    assert [v.key for v in result.added] == ["C"]
    assert result.removed == ()
    assert [(c.key, c.secret) for c in result.changed] == [("B", False), ("T", True)]
    assert result.unchanged == 2 and not result.same


def test_diff_of_real_profiles(root):
    spec = EnvSpec(prod=PROD, profiles=(Profile("dev", set=(("LOG_LEVEL", "debug"),), unset=("CDN_URL",)),))
    result = diff_envs(resolve_env(root, spec, "prod"), resolve_env(root, spec, "dev", process_env=LOCAL))
    assert [c.key for c in result.changed if not c.secret] == ["LOG_LEVEL"]
    assert {c.key for c in result.changed if c.secret} == {
        "API_TOKEN",
        "DB_PASSWORD",
        "SESSION_SECRET",
        "STRIPE_KEY",
    }
    assert result.removed == ()  # CDN_URL is URL_CDN_URL in the container
    # prod says Kubernetes fills POD_NAME in (fieldRef); dev has the manifest's stand-in
    assert [v.key for v in result.added] == ["POD_NAME"]


def kinds(report) -> list[tuple[str, str]]:
    return [(p.kind, p.key or p.file) for p in report.problems]


def test_clean_profiles_have_no_drift(root):
    spec = EnvSpec(prod=PROD, profiles=(Profile("dev", set=(("LOG_LEVEL", "debug"),)),))
    report = check_drift(root, spec, None, source_hashes(root, spec))
    assert report.ok and report.problems == ()
    assert report.profiles == ("dev", "test")


def test_typo_in_set_is_drift_unless_dev_only(root):
    dev = Profile("dev", set=(("LOG_LEVL", "debug"), ("DEBUG_TOOLBAR", "1")), dev_only=("DEBUG_TOOLBAR",))
    report = check_drift(root, EnvSpec(prod=PROD, profiles=(dev,)), "dev", None)
    assert kinds(report) == [("unknown-key", "LOG_LEVL")]
    assert report.problems[0].message == "profile dev sets LOG_LEVL, which prod does not have"
    assert 'dev_only = ["LOG_LEVL"]' in report.problems[0].hint
    assert any("no devenv.lock" in n for n in report.notes)


def test_unset_on_purpose_is_declared_and_unset_typo_is_drift(root):
    dev = Profile("dev", unset=("NEW_RELIC_LICENSE_KEY", "NEW_RELIC_KEY"))
    report = check_drift(root, EnvSpec(prod=PROD, profiles=(dev,)), "dev", None)
    assert kinds(report) == [("unknown-unset", "NEW_RELIC_KEY")]


def test_setting_an_unmirrorable_key_is_not_a_typo(root):
    dev = Profile("dev", set=(("POD_NAME", "web-0"),))
    assert check_drift(root, EnvSpec(prod=PROD, profiles=(dev,)), "dev", None).ok


def test_base_profile_problems_reported_once(root):
    base = Profile("test", set=(("TYPO", "1"),))
    dev = Profile("dev", extends="test")
    report = check_drift(root, EnvSpec(prod=PROD, profiles=(base, dev)), None, None)
    assert kinds(report) == [("unknown-key", "TYPO")]


def test_check_needs_no_secret_values(root):
    # no secrets file, no process env: resolve_env would refuse, check does not
    assert check_drift(root, EnvSpec(prod=PROD, secrets=".devenv/secrets.env"), "dev", None).ok


def test_source_changed_unlocked_and_removed(root):
    spec = EnvSpec(prod=PROD)
    locked = source_hashes(root, spec)
    assert set(locked) == {"k8s/configmap.yaml", "k8s/secret.yaml", "k8s/deployment.yaml"}
    with (root / "k8s/configmap.yaml").open("a") as handle:
        handle.write("  NEW_KEY: x\n")
    stale = {**{k: f"sha256:{v}" for k, v in locked.items() if k != "k8s/secret.yaml"}, "old.env": "abc"}
    report = check_drift(root, spec, "dev", stale)
    assert kinds(report) == [
        ("source-changed", "k8s/configmap.yaml"),
        ("source-unlocked", "k8s/secret.yaml"),
        ("source-removed", "old.env"),
    ]
    assert report.problems[0].message == "k8s/configmap.yaml: changed since devenv.lock recorded it"


def test_a_declared_secret_key_is_a_prod_key_for_drift(tmp_path):
    (tmp_path / "prod.env").write_text("A=1\n")
    spec = EnvSpec(
        prod=("prod.env",), secret_keys=("TOKEN",), profiles=(Profile("dev", set=(("TOKEN", "local"),)),)
    )
    report = check_drift(tmp_path, spec, "dev", source_hashes(tmp_path, spec))
    assert report.problems == ()
    env = resolve_env(tmp_path, spec, "dev", process_env={})
    assert env.values["TOKEN"].secret and env.values["TOKEN"].value == "local"
