"""The services' envs are resolved once per command: `up` creates from them, the CLI redacts
with their secret values (not resolving again), and a service whose env fails keeps its error
for the moment that env is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.errors import DevenvError
from devenv.ops import secrets as ops_secrets
from devenv.reconcile.resolve import resolve_envs

SECRET = "Zq-local-only-pw"


def project_at(root: Path, prod: str = '["deploy/secret.yaml"]'):
    (root / "deploy").mkdir(exist_ok=True)
    (root / "deploy" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop\nstringData:\n  DB_PASSWORD: from-prod\n"
    )
    (root / ".devenv").mkdir(exist_ok=True)
    (root / ".devenv" / "secrets.env").write_text(f"DB_PASSWORD={SECRET}\n")
    (root / "devenv.toml").write_text(f"""
[project]
name = "shop"

[env]
prod = {prod}
secrets = ".devenv/secrets.env"

[env.profiles.staging]
set = {{ GREETING = "from-staging" }}

[services.web]
image = "busybox"
""")
    return load_project(root)


def test_one_resolution_serves_the_containers_and_the_redaction(tmp_path: Path, monkeypatch) -> None:
    project = project_at(tmp_path)
    envs = resolve_envs(project, project.services, "staging")
    web = envs.of("web")
    assert web.environment["GREETING"] == "from-staging" and web.environment["DB_PASSWORD"] == SECRET
    assert SECRET in web.secret_values and envs.profile == "staging"

    def again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the env was resolved a second time")

    monkeypatch.setattr(ops_secrets, "service_env", again)
    assert SECRET in ops_secrets.known_secret_values(project, "staging", envs=envs)


def test_a_service_env_that_fails_keeps_its_error_until_used(tmp_path: Path) -> None:
    project = project_at(tmp_path, prod='["deploy/secret.yaml", "deploy/gone.yaml"]')
    envs = resolve_envs(project, project.services, None)  # does not raise: redaction is best effort
    assert envs.has("web") and not envs.has("db")
    with pytest.raises(DevenvError, match=r"gone\.yaml"):
        envs.of("web")
