"""The podman CLI for running `devenv export k8s` output with `podman kube play`, on storage,
run state, network configs and subnets of its own in /tmp (never the machine's or the Podman
service's). Shared by the kube play tests. Outside CI a missing podman skips; under CI=true it
fails."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import IN_CI


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


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


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

    def __call__(self, *args: str, check: bool = True, input: Optional[str] = None) -> str:
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

    def secret(self, name: str, values: dict[str, str]) -> None:
        """A Secret as Podman keeps one for kube play (a JSON map of base64 values; Podman 4.3
        reads no `kind: Secret` document back): what `kubectl create secret generic` is for a
        cluster."""
        data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
        self("secret", "create", name, "-", input=json.dumps(data))

    def play(self, file: Path, network: Optional[str] = None) -> str:
        """`podman kube play` of `file`, pulling from the plain-HTTP test registry."""
        return self("kube", "play", "--tls-verify=false", *(["--network", network] if network else []), str(file))

    def container(self, service: str) -> str:
        """The name kube play gave the service's container (`web-pod-0-web` on Podman 4.3,
        `web-pod-web` later)."""
        names = self("ps", "--format", "{{.Names}}").split()
        found = [n for n in names if n.endswith(f"-{service}") and "-pod" in n]
        assert len(found) == 1, names
        return found[0]

    def env_of(self, service: str) -> dict[str, str]:
        return parse_env(self("exec", self.container(service), "env"))

    def logs(self, service: str) -> str:
        proc = subprocess.run(
            ["podman", "--root", str(self.base / "storage"), "--runroot", str(self.base / "run"),
             "--tmpdir", str(self.base / "tmp"), "logs", "--tail", "30", self.container(service)],
            env=self.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return proc.stdout + proc.stderr

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


def podman_cli() -> Iterator[Podman]:
    """A fixture's body: a Podman of its own, always cleaned up (pods, network, storage)."""
    if shutil.which("podman") is None:
        message = "podman is not installed (apt-get install podman): `podman kube play` runs the k8s export"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    engine = Podman(Path(tempfile.mkdtemp(prefix="devenv-kube-")))  # podman wants a runroot under 50 chars
    try:
        yield engine
    finally:
        engine.clean()


def secret_keys(manifests: dict[str, str]) -> dict[str, list[str]]:
    """Each Secret the exported Deployments need, with its keys (as their headers list them)."""
    needed: dict[str, list[str]] = {}
    for text in manifests.values():
        for line in text.splitlines():
            if line.startswith("# Needs the Secret "):
                name, keys = line[len("# Needs the Secret "):].split(" with keys:", 1)
                found = needed.setdefault(name, [])
                found += [k for k in (k.strip() for k in keys.rstrip(".").split(",")) if k not in found]
    return needed
