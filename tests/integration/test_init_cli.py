"""`devenv init` as users meet it: flags, refusing to overwrite, .gitignore, conversions, and the
round trip `init --from docker-compose.yml` → `devenv up` on the real engine."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_init_with_flags_writes_a_valid_commented_file(offline_project):
    result = offline_project.ok(
        "init", "--name", "shop", "--image", "python:3.12", "--port", "8000", "--code", "/app", "--yes"
    )
    path = offline_project.root / "devenv.toml"
    assert result.out.strip() == str(path)
    text = path.read_text()
    assert text.startswith("# devenv.toml")
    doc = tomllib.loads(text)
    assert doc["project"]["name"] == "shop"
    assert doc["services"]["app"] == {
        "image": "python:3.12",
        "ports": ["8000:8000"],
        "code": "/app",
        "watch": {"action": "restart"},
    }
    assert (offline_project.root / ".gitignore").read_text() == ".devenv/\n"
    offline_project.ok("config", "validate")


def test_init_never_overwrites_without_force_and_keeps_a_backup(offline_project):
    offline_project.ok("init", "--yes")
    first = (offline_project.root / "devenv.toml").read_text()
    refused = offline_project.run("init", "--yes", "--image", "other:1")
    assert refused.code == 1
    assert "devenv.toml already exists" in refused.err and "--force" in refused.err
    assert (offline_project.root / "devenv.toml").read_text() == first
    offline_project.ok("init", "--yes", "--image", "other:1", "--force")
    assert (offline_project.root / "devenv.toml.bak").read_text() == first
    assert 'image = "other:1"' in (offline_project.root / "devenv.toml").read_text()
    assert (offline_project.root / ".gitignore").read_text().count(".devenv/") == 1


def test_init_bad_port_is_a_clear_error(offline_project):
    result = offline_project.run("init", "--yes", "--port", "80:80:80")
    assert result.code == 1
    assert '--port "80:80:80" is not PORT or HOST:CONTAINER' in result.err
    assert not (offline_project.root / "devenv.toml").exists()


def test_init_from_compose_lists_what_was_not_converted(offline_project):
    shutil.copytree(FIXTURES / "compose" / "fullspec", offline_project.root, dirs_exist_ok=True)
    result = offline_project.ok("init", "--from", "compose.yaml")
    assert "item(s) not converted" in result.err
    assert "  - services.api.build.ssh: not supported by devenv builds" in result.err
    assert "  - services.proxy: in compose profile edge, not active" in result.err
    assert result.out.strip() == str(offline_project.root / "devenv.toml")
    with_profile = offline_project.ok("init", "--from", "compose.yaml", "--compose-profile", "edge", "--force")
    assert "note: services.proxy.profiles: profile edge is active: converted" in with_profile.err
    assert "[services.proxy]" in (offline_project.root / "devenv.toml").read_text()


def test_init_from_devcontainer(offline_project):
    shutil.copytree(FIXTURES / "devcontainer" / "dockerfile", offline_project.root, dirs_exist_ok=True)
    offline_project.ok("init", "--from", ".devcontainer/devcontainer.json", "--registry", "reg.example/team")
    doc = tomllib.loads((offline_project.root / "devenv.toml").read_text())
    assert doc["project"]["registry"] == "reg.example/team"
    assert doc["services"]["dev"]["code"] == "/src"
    offline_project.ok("config", "validate")


def test_init_from_missing_file(offline_project):
    result = offline_project.run("init", "--from", "nope.yml")
    assert result.code == 1 and "nope.yml: no such file" in result.err


@pytest.mark.engine
def test_round_trip_compose_to_up(project, registry, busybox_image):
    shutil.copytree(FIXTURES / "compose" / "roundtrip", project.root, dirs_exist_ok=True)
    port = free_port()
    (project.root / ".env").write_text(f"IMAGE={busybox_image}\nPORT={port}\nPROJECT={project.name}\n")
    result = project.ok("init", "--from", "docker-compose.yml")
    assert "services.web.restart" in result.err  # listed, not silently dropped
    project.ok("up", "-d")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
            assert answer.read().decode() == "hello from compose\n"  # the code mount serves the project
        status = {s["service"]: s for s in json.loads(project.ok("status", "--json").out)["services"]}
        assert status["web"]["state"] == "running"
        assert status["db"]["health"] == "healthy"  # the converted CMD-SHELL health check ran
        env = project.ok("exec", "web", "--", "env").out
        assert "GREETING=hello" in env  # env_file → [env] prod → the layered env
        assert "ROLE=db" in project.ok("exec", "db", "--", "env").out
    finally:
        project.ok("down")
