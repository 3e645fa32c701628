"""`devenv export k8s --push` run by a real engine that executes Kubernetes YAML: `podman kube
play` of the exported ConfigMaps and Deployments, with a Secret holding the local values. Each
container gets exactly the env `devenv up` gives it (compared with `env` inside both), the
release image serves the committed code, and a `$` in command/args reaches the shell as devenv
runs it.

The podman CLI runs on storage, networks and subnets of its own (tests/integration/kube_podman.py).
Outside CI a missing podman skips; under CI=true it fails."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port
from tests.integration.kube_podman import Podman, parse_env, podman_cli, secret_keys

pytestmark = [pytest.mark.engine, pytest.mark.podman]

API_KEY = "local-api-key-5c7e"  # the local secret value: in the containers, never in a file
INDEX = "<h1>the shop, from the release image</h1>\n"


@pytest.fixture
def podman() -> Iterator[Podman]:
    yield from podman_cli()


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=root, check=True
    )


@pytest.fixture
def shop(project, registry, busybox_image, docker_client):
    """A small shop from the test registry's busybox: `web` serves its code with httpd and
    receives the layered env (prod sources, the dev profile, a local secret, a value built from
    it); `db` has only its own table, one entry a secret. Committed: `--push` builds from HEAD."""
    port = free_port()
    root = project.root
    (root / "deploy").mkdir()
    (root / "deploy" / "app.env").write_text(
        "LOG_LEVEL=info\nGREETING=hello $(USER) $$HOME\nREGION=eu-west-1\n"
    )
    (root / "deploy" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\nstringData:\n  API_KEY: prod-value\n"
    )
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").write_text(f"API_KEY={API_KEY}\n")
    (root / ".gitignore").write_text(".devenv/\nk8s/\n")
    (root / "index.html").write_text(INDEX)
    project.write(
        f"""
        [project]
        name = "{project.name}"
        registry = "{registry}"

        [env]
        prod = ["deploy/app.env", "deploy/secret.yaml"]
        secrets = ".devenv/secrets.env"

        [env.profiles.dev]
        set = {{ LOG_LEVEL = "debug" }}

        [services.web]
        image = "{busybox_image}"
        command = ["sh", "-c", "echo \\"home: $HOME\\" > /tmp/said; exec httpd -f -p {port} -h /app"]
        code = "/app"
        env = "prod"
        environment = {{ DSN = "postgres://app:${{API_KEY}}@db/shop", PRICE = "$5 and $(NOT)" }}
        ports = ["{port}:{port}"]
        health = {{ cmd = ["true"], interval = "500ms" }}

        [services.db]
        image = "{busybox_image}"
        command = ["sleep", "100000"]
        env = "none"
        environment = {{ ROLE = "db", PASS = "${{API_KEY}}" }}
        volumes = ["dbdata:/var/lib/db"]
        """
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the shop, as the team commits it")
    project.port = port
    yield project
    for image in docker_client.images.list(name=f"{registry}/{project.name}-web"):  # its release image
        docker_client.images.remove(image.id, force=True)


def local_secret(manifests: dict[str, str]) -> dict[str, str]:
    """The Secret's keys (as the Deployments' headers list them) with this machine's values."""
    values = {"API_KEY": API_KEY, "DSN": f"postgres://app:{API_KEY}@db/shop"}
    keys = [k for found in secret_keys(manifests).values() for k in found]
    return {k: values[k] for k in dict.fromkeys(keys)}


def test_kube_play_of_the_export_gives_the_env_devenv_up_gives(shop, podman, tmp_path):
    shop.ok("lock")
    shop.ok("up", "-d")
    by_devenv = {s: parse_env(shop.ok("exec", s, "--", "env").out) for s in ("web", "db")}
    said = shop.ok("exec", "web", "--", "cat", "/tmp/said").out
    shown = {
        s: {v["key"] for v in json.loads(shop.ok("env", "show", s, "--json").out)["variables"]}
        for s in ("web", "db")
    }
    shop.ok("down")  # the port is free again for the pod

    out = tmp_path / "k8s"
    shop.ok("export", "k8s", "--push", "-o", str(out), timeout=600)
    manifests = {p.name: p.read_text() for p in sorted(out.iterdir())}
    assert not any(API_KEY in text or "prod-value" in text for text in manifests.values())
    web = yaml.safe_load(manifests["deployment-web.yaml"])["spec"]["template"]["spec"]["containers"][0]
    assert "@sha256:" in web["image"] and f"/{shop.name}-web@" in web["image"]  # the release image

    secret = local_secret(manifests)
    assert set(secret) == {"API_KEY", "DSN"}
    podman.secret(f"{shop.name}-secrets", secret)
    # ConfigMaps, PVCs, Deployments (kube play ignores a Service: the pod publishes its ports)
    played = [text for name, text in manifests.items() if not name.startswith("service-")]
    (tmp_path / "play.yaml").write_text("---\n".join(played))
    podman.play(tmp_path / "play.yaml")

    for service in ("web", "db"):
        inside = podman.env_of(service)
        expected = {k: v for k, v in by_devenv[service].items() if k in shown[service]}
        assert {k: inside.get(k) for k in expected} == expected, service
    assert podman("exec", podman.container("web"), "cat", "/tmp/said") == said == "home: /root\n"
    with urllib.request.urlopen(f"http://127.0.0.1:{shop.port}/index.html", timeout=10) as answer:
        assert answer.read().decode() == INDEX  # the committed code, inside the release image
