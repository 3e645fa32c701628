"""A single-node Docker Swarm on a private engine of its own, for the length of one `with` block.

Joining a swarm and leaving it resets the embedded DNS of every container already on that
engine (Docker 20.10: after `docker swarm init` and `docker swarm leave --force`, the containers
of a running stack no longer resolve each other's names — the quick start's shop lost its `db`).
So the swarm never runs on the engine the suite, the quick start or a developer's stacks use: it
gets a dockerd of its own (own socket, data root and exec root, no iptables rules), pulls from
the same local registry, and is stopped and removed afterwards.

Its host interfaces are its own too, made here and deleted after: a dockerd started with
`--bridge=none` deletes the host's `docker0` (the other engine's default bridge), and one on the
default would take `docker0` over; the swarm's `docker_gwbridge` network is made beforehand on
a bridge interface of another name, so another engine's swarm bridge is never touched."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import IN_CI

GATEWAY_NETWORK = "docker_gwbridge"  # the swarm's own name for its gateway network


def _needs(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


class Docker:
    """The docker CLI against one engine (`host`; None: the environment's DOCKER_HOST)."""

    def __init__(self, host: Optional[str] = None):
        self.host = host

    def __call__(self, *args: str, input: Optional[str] = None, check: bool = True, timeout: float = 120) -> str:
        env = os.environ.copy()
        if self.host is not None:
            env["DOCKER_HOST"] = self.host
        proc = subprocess.run(["docker", *args], input=input, capture_output=True, text=True, timeout=timeout, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} ({self.host or 'DOCKER_HOST'}): exit {proc.returncode}\n{proc.stderr}")
        return proc.stdout


docker = Docker()  # the suite's engine


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@contextmanager
def host_bridge(name: str, address: str) -> Iterator[None]:
    """A Linux bridge of the swarm engine's own (`address`: its CIDR), deleted after."""
    ip("link", "add", name, "type", "bridge")
    try:
        ip("addr", "add", address, "dev", name)
        ip("link", "set", name, "up")
        yield
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=30)


@contextmanager
def single_node_swarm() -> Iterator[Docker]:
    """A private dockerd in a single-node swarm; yields the docker CLI bound to it."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        _needs("dockerd is not installed (apt-get install docker.io): the swarm runs on an engine of its own")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        _needs("the swarm's private dockerd needs root and `ip` (iproute2) for its own bridges")
    # 10.250.0.0/16 and up: outside Docker's default address pools (172.17-31/16, 192.168/16).
    net = random.randrange(256)
    tag = f"{os.getpid() % 10000:04d}{net:02x}"
    bridge, gateway = f"dvsw{tag}", f"dvgw{tag}"  # interface names: 15 characters at most
    root = Path(tempfile.mkdtemp(prefix="devenv-swarm-", dir="/tmp"))  # short: unix socket paths
    swarm = Docker(f"unix://{root}/docker.sock")
    with host_bridge(bridge, f"10.250.{net}.1/24"):
        log = (root / "dockerd.log").open("wb")
        engine = subprocess.Popen(
            [dockerd, "--host", swarm.host or "", "--data-root", str(root / "data"), "--exec-root",
             str(root / "exec"), "--pidfile", str(root / "docker.pid"), f"--bridge={bridge}", "--iptables=false"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while swarm("info", "--format", "{{.ID}}", check=False).strip() == "":
                if engine.poll() is not None or time.monotonic() > deadline:
                    text = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                    raise AssertionError(f"the swarm's dockerd did not start:\n{text}")
                time.sleep(0.1)
            swarm("network", "create", "--driver", "bridge", "--subnet", f"10.251.{net}.0/24",
                  "-o", f"com.docker.network.bridge.name={gateway}",
                  "-o", "com.docker.network.bridge.enable_icc=false",
                  "-o", "com.docker.network.bridge.enable_ip_masquerade=true", GATEWAY_NETWORK)  # fmt: skip
            swarm("swarm", "init", "--advertise-addr", "127.0.0.1", "--default-addr-pool", f"10.252.{net}.0/24",
                  "--default-addr-pool-mask-length", "28")  # fmt: skip
            try:
                yield swarm
            finally:
                swarm("swarm", "leave", "--force", check=False)
                swarm("network", "rm", GATEWAY_NETWORK, check=False)  # deletes its interface
        finally:
            engine.terminate()
            try:
                engine.wait(timeout=30)
            except subprocess.TimeoutExpired:
                engine.kill()
                engine.wait(timeout=30)
            log.close()
            subprocess.run(["ip", "link", "del", gateway], capture_output=True, timeout=30)  # if still there
            shutil.rmtree(root, ignore_errors=True)


def remove_stack(swarm: Docker, stack: str, volumes: Sequence[str], secrets: Sequence[str], timeout: float = 120) -> None:
    """`docker stack rm` returns before the tasks are gone: wait for their containers, then
    remove the stack's volumes (in use until then) and secrets."""
    swarm("stack", "rm", stack, check=False)
    deadline = time.monotonic() + timeout
    while swarm("ps", "-aq", "--filter", f"label=com.docker.stack.namespace={stack}").strip():
        if time.monotonic() > deadline:
            raise AssertionError(f"the tasks of stack {stack} were not gone within {timeout:.0f} s")
        time.sleep(0.2)
    for volume in volumes:
        swarm("volume", "rm", volume, check=False)
    for secret in secrets:
        swarm("secret", "rm", secret, check=False)


def service_env(swarm: Docker, service: str) -> list[str]:
    spec = json.loads(swarm("service", "inspect", service))[0]["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])
