"""No secret value — production's, from the Secret manifest, or the local one a profile
injects — appears in any command's output, error, log line, lock or export. Only `exec` and
`shell` pass a command's own output through untouched: there the user asked for it."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.engine

PROD_PASSWORD = "prod-Pa55-wordQ7"
PROD_TOKEN = "prod-tok-9f8e7d"
LOCAL_PASSWORD = "local-Pa55-Zx81"
LOCAL_TOKEN = "local-tok-4b3a2c"
RAW = (PROD_PASSWORD, PROD_TOKEN, LOCAL_PASSWORD, LOCAL_TOKEN)


def write_stack(project, image: str) -> None:
    deploy = project.root / "deploy"
    deploy.mkdir()
    (deploy / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG_LEVEL: info\n"
    )
    encoded = base64.b64encode(PROD_PASSWORD.encode()).decode()
    (deploy / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n"
        f"data:\n  DB_PASSWORD: {encoded}\nstringData:\n  API_TOKEN: {PROD_TOKEN}\n"
    )
    (project.root / ".devenv").mkdir()
    (project.root / ".devenv" / "secrets.env").write_text(
        f"DB_PASSWORD={LOCAL_PASSWORD}\nAPI_TOKEN={LOCAL_TOKEN}\n"
    )
    project.write(f"""
[env]
prod = ["deploy/configmap.yaml", "deploy/secret.yaml"]
secrets = ".devenv/secrets.env"

[env.profiles.dev]
set = {{ LOG_LEVEL = "debug" }}

[services.web]
image = "{image}"
# the app logs its secrets, as apps sometimes do
command = ["sh", "-c", "echo \\"connecting with $DB_PASSWORD and $API_TOKEN\\"; exec sleep 100000"]

[services.bad]
image = "{image}"
command = ["sh", "-c", "echo \\"token $API_TOKEN rejected\\"; exit 1"]
supervise = false
health = {{ cmd = ["true"], interval = "200ms", retries = 1000 }}
""")


def assert_clean(text: str, what: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{what} shows a secret value:\n{text}"


def test_no_command_shows_a_secret_value(project, busybox_image, tmp_path) -> None:
    write_stack(project, busybox_image)
    outputs: list[tuple[str, str]] = []

    def run(*args: str, expect: int = 0):
        result = project.run(*args)
        assert result.code == expect, str(result)
        outputs.append((" ".join(args), result.out + result.err))
        return result

    failed = run("up", "-d", expect=5)  # `bad` dies on start: its log line is quoted in the error
    assert "rejected" in failed.err and "***" in failed.err
    run("up", "-d", "web")
    inside = project.ok("exec", "web", "--", "env").out  # exec: the real values, inside the container
    assert f"DB_PASSWORD={LOCAL_PASSWORD}" in inside and f"API_TOKEN={LOCAL_TOKEN}" in inside
    logs = run("logs", "web")
    assert "connecting with *** and ***" in logs.out
    run("status")
    run("status", "--json")
    run("env", "show")
    run("env", "show", "web", "--json")
    run("env", "show", "--profile", "prod")
    run("env", "diff", "prod", "dev")
    run("env", "check", "--json")  # no devenv.lock yet: a note, not drift
    run("config", "validate")
    doctor = project.run("doctor")
    outputs.append(("doctor", doctor.out + doctor.err))
    run("lock")
    run("env", "check")
    out_dir = tmp_path / "exported"
    run("export", "compose", "-o", str(out_dir / "compose"))
    run("export", "k8s", "-o", str(out_dir / "k8s"))
    run("test", "--", "sh", "-c", "exit 0", expect=5)  # `bad` fails the fresh stack too, redacted
    run("down", "--volumes")
    for what, text in outputs:
        assert_clean(text, what)
    assert_clean((project.root / "devenv.lock").read_text(), "devenv.lock")
    for exported in out_dir.rglob("*"):
        if exported.is_file():
            assert_clean(exported.read_text(), f"export {exported.name}")


def test_a_value_built_from_a_secret_is_masked_and_rebuilt_from_the_local_value(
    project, busybox_image, tmp_path
):
    """A compose prod source builds DATABASE_URL from the .env's DB_PASSWORD (declared secret):
    `env show` masks the URL, the exports refer to DB_PASSWORD, and the dev container receives the
    URL with the local password — never production's."""
    (project.root / "deploy").mkdir()
    (project.root / "deploy" / "compose.yaml").write_text(
        "services:\n  web:\n    image: shop\n    environment:\n"
        "      DATABASE_URL: postgres://app:${DB_PASSWORD}@db/shop\n      LOG_LEVEL: info\n"
    )
    (project.root / "deploy" / ".env").write_text(f"DB_PASSWORD={PROD_PASSWORD}\n")
    (project.root / ".devenv").mkdir()
    (project.root / ".devenv" / "secrets.env").write_text(f"DB_PASSWORD={LOCAL_PASSWORD}\n")
    project.write(f"""
[env]
prod = ["deploy/compose.yaml"]
secrets = ".devenv/secrets.env"
secret_keys = ["DB_PASSWORD"]

[services.web]
image = "{busybox_image}"
env = "prod"
command = ["sleep", "100000"]
""")
    shown = project.ok("env", "show", "web")
    row = next(line for line in shown.out.splitlines() if line.startswith("DATABASE_URL"))
    assert row.split()[1] == "***" and "recomputed from DB_PASSWORD" in row
    prod = project.ok("env", "show", "web", "--profile", "prod", "--json")
    url = next(v for v in json.loads(prod.out)["variables"] if v["key"] == "DATABASE_URL")
    assert (url["value"], url["secret"]) == ("***", True)
    project.ok("up", "-d", "web")
    inside = project.ok("exec", "web", "--", "env").out
    assert f"DATABASE_URL=postgres://app:{LOCAL_PASSWORD}@db/shop" in inside
    assert PROD_PASSWORD not in inside
    project.ok("lock")
    out_dir = tmp_path / "exported"
    project.ok("export", "k8s", "-o", str(out_dir / "k8s"))
    project.ok("export", "compose", "-o", str(out_dir / "compose"))
    configmap = (out_dir / "k8s" / "configmap-web.yaml").read_text()
    assert "DATABASE_URL" not in configmap and "LOG_LEVEL" in configmap
    assert "postgres://app:${DB_PASSWORD}@db/shop" in (out_dir / "compose" / "docker-compose.yml").read_text()
    for exported in out_dir.rglob("*"):
        if exported.is_file():
            assert_clean(exported.read_text(), f"export {exported.name}")
    for output in (shown, prod):
        assert_clean(output.out + output.err, "env show")
    project.ok("down")
