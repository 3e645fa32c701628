"""`devenv export k8s --push` run by a real engine that executes Kubernetes YAML: `podman kube
play` of the exported ConfigMaps and Deployments, with a Secret holding the local values. Each
container gets exactly the env `devenv up` gives it (compared with `env` inside both), the
release image serves the committed code, and a `$` in command/args reaches the shell as devenv
runs it.

The podman CLI runs with storage, run state and network configs of its own in /tmp (never the
machine's or the Podman service's). Outside CI a missing podman skips; under CI=true it fails."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI, free_port

pytestmark = [pytest.mark.engine, pytest.mark.podman]

API_KEY = "local-api-key-5c7e"  # the local secret value: in the containers, never in a file
INDEX = "<h1>the shop, from the release image</h1>\n"


def _pid_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        return 32768


def _ulimits() -> list[str]:
    """What a podman without CAP_SYS_RESOURCE (a CI sandbox) may grant: its own limits (as
    devenv/engine/podman.py asks its service for), nproc no more than pid_max."""
    from devenv.engine.podman import ulimits_for

    found = ulimits_for(Path("/proc/self/limits").read_text(), Path("/proc/self/status").read_text())
    out = []
    for limit in found:
        soft, hard = limit.soft, limit.hard
        if limit.name == "nproc":
            soft, hard = min(soft, _pid_max()), min(hard, _pid_max())
        out.append(f"{limit.name}={soft}:{hard}")
    return out


class Podman:
    """The podman CLI on storage of its own."""

    def __init__(self, base: Path) -> None:
        self.base = base
        for sub in ("storage", "run", "tmp", "networks"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        conf = base / "containers.conf"
        conf.write_text(
            f"[containers]\ndefault_ulimits = {json.dumps(_ulimits())}\n"
            '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n'
            f'[network]\nnetwork_config_dir = "{base / "networks"}"\n'
            # Subnets no other Podman here allocates (the suite's Podman service takes 10.89/16
            # onwards): kube play's network and its DNS server never share a bridge address with
            # a stack's network, even if a pod outlives its test.
            "default_subnet = \"10.188.0.0/16\"\n"
            'default_subnet_pools = [{"base" = "10.189.0.0/16", "size" = 24}]\n'
        )
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf), "TMPDIR": str(base / "tmp")}
        self.env.pop("DOCKER_HOST", None)
        self.env.pop("CONTAINER_HOST", None)

    def __call__(self, *args: str, check: bool = True, input: str | None = None) -> str:
        cmd = [
            "podman",
            "--root", str(self.base / "storage"),
            "--runroot", str(self.base / "run"),
            "--tmpdir", str(self.base / "tmp"),
            *args,
        ]  # fmt: skip
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, input=input, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args[:3])} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc.stdout

    def container(self, service: str) -> str:
        """The name kube play gave the service's container (`web-pod-0-web` on Podman 4.3,
        `web-pod-web` later)."""
        names = self("ps", "--format", "{{.Names}}").split()
        found = [n for n in names if n.endswith(f"-{service}") and "-pod" in n]
        assert len(found) == 1, names
        return found[0]

    def env_of(self, service: str) -> dict[str, str]:
        return parse_env(self("exec", self.container(service), "env"))

    def clean(self) -> None:
        # Pods first, waited for: a pod left running keeps its network's DNS server (aardvark-dns)
        # answering on the bridge address after this test.
        self("pod", "rm", "--force", "--all", "--time", "2", check=False)
        left = self("ps", "--all", "--quiet", check=False).split()
        if left:
            self("rm", "--force", "--time", "2", *left, check=False)
        self("network", "prune", "--force", check=False)
        self("volume", "rm", "--force", "--all", check=False)
        self("secret", "rm", "--all", check=False)
        self("rmi", "--force", "--all", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture
def podman():
    if shutil.which("podman") is None:
        message = "podman is not installed (apt-get install podman): `podman kube play` runs the k8s export"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    engine = Podman(Path(tempfile.mkdtemp(prefix="devenv-kube-")))  # podman wants a runroot under 50 chars
    yield engine
    engine.clean()


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
    keys: list[str] = []
    for text in manifests.values():
        for line in text.splitlines():
            if line.startswith("# Needs the Secret "):
                keys += [k.strip() for k in line.split("with keys:", 1)[1].rstrip(".").split(",")]
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
    # The Secret as Podman keeps one for kube play (a JSON map of base64 values; Podman 4.3 reads
    # no `kind: Secret` document back): what `kubectl create secret generic` is for a cluster.
    data = {k: base64.b64encode(v.encode()).decode() for k, v in secret.items()}
    podman("secret", "create", f"{shop.name}-secrets", "-", input=json.dumps(data))
    # ConfigMaps, PVCs, Deployments (kube play ignores a Service: the pod publishes its ports)
    played = [text for name, text in manifests.items() if not name.startswith("service-")]
    (tmp_path / "play.yaml").write_text("---\n".join(played))
    podman("kube", "play", "--tls-verify=false", str(tmp_path / "play.yaml"))  # the plain-HTTP test registry

    for service in ("web", "db"):
        inside = podman.env_of(service)
        expected = {k: v for k, v in by_devenv[service].items() if k in shown[service]}
        assert {k: inside.get(k) for k in expected} == expected, service
    assert podman("exec", podman.container("web"), "cat", "/tmp/said") == said == "home: /root\n"
    with urllib.request.urlopen(f"http://127.0.0.1:{shop.port}/index.html", timeout=10) as answer:
        assert answer.read().decode() == INDEX  # the committed code, inside the release image
