"""The create body devenv sends is, byte for byte, the one docker-py builds for the same
arguments: the lite client and docker-py create the same container from the same spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest

from devenv.config.model import PortSpec
from devenv.engine import podman
from devenv.engine.bodies import TMP_ON_READ_ONLY_ROOT, check_bind_sources, container_body
from devenv.engine.records import ContainerSpec, Mount, PortBindings
from devenv.errors import DevenvError

BASE = ContainerSpec(
    service="web",
    name="p-default-web",
    image="registry/python@sha256:" + "a" * 64,
    image_id="sha256:" + "b" * 64,
    image_label="registry/python:latest",
    image_digest="sha256:" + "a" * 64,
    command=("python3", "-m", "shop"),
    entrypoint=None,
    environment=(("A", "1"), ("B", "two words")),
    env_hash="0" * 16,
    workdir="/app",
    user="1000:1000",
    mounts=(Mount("bind", "/src", "/app"), Mount("volume", "p-default-data", "/data", True)),
    ports=(PortSpec(8000, 8000),),
    health={"test": ["CMD", "true"], "interval": 10**9, "timeout": 5 * 10**9, "retries": 3, "start_period": 0},
    read_only=False,
    privileged=False,
    stop_timeout_s=30.0,
    stop_signal="SIGINT",
    init=True,
    labels={"dev.devenv.project": "p"},
)

CASES: dict[str, tuple[ContainerSpec, PortBindings]] = {
    "web": (BASE, {"8000/tcp": [("127.0.0.1", 8000)]}),
    "any free port, udp too": (
        BASE._replace(ports=(PortSpec(0, 8000), PortSpec(53, 53, "udp"))),
        {"8000/tcp": [("127.0.0.1", None)], "53/udp": [("127.0.0.1", 5353)]},
    ),
    "no ports, no health, image's command": (
        BASE._replace(ports=(), health=None, command=None, stop_signal=None, user=None, workdir=None), {}
    ),
    "read-only, privileged, supervised": (
        BASE._replace(read_only=True, privileged=True, init=False, entrypoint=("/bin/sh",),
                      mounts=(*BASE.mounts, Mount("bind", "/shim", "/.devenv", True))),
        {"8000/tcp": [("127.0.0.1", 8000)]},
    ),
}


def docker_py_body(spec: ContainerSpec, network: str, bindings: PortBindings) -> dict[str, Any]:
    api = docker.APIClient(base_url="unix:///nonexistent", version="1.41")
    host_config = api.create_host_config(
        mounts=[docker.types.Mount(m.target, m.source or None, type=m.kind, read_only=m.read_only)
                for m in spec.mounts],
        port_bindings=dict(bindings) or None,
        read_only=spec.read_only or None,
        tmpfs={"/tmp": TMP_ON_READ_ONLY_ROOT} if spec.read_only else None,
        privileged=spec.privileged,
        init=spec.init or None,
    )  # fmt: skip
    networking = api.create_networking_config({network: api.create_endpoint_config(aliases=[spec.service])})
    return dict(
        api.create_container_config(
            spec.image,
            list(spec.command) if spec.command is not None else None,
            entrypoint=list(spec.entrypoint) if spec.entrypoint is not None else None,
            hostname=spec.service,
            environment=[f"{k}={v}" for k, v in spec.environment],
            labels=dict(spec.labels),
            working_dir=spec.workdir,
            user=spec.user or "",
            host_config=host_config,
            networking_config=networking,
            healthcheck=dict(spec.health) if spec.health else None,
            stop_timeout=max(0, round(spec.stop_timeout_s)),
            stop_signal=spec.stop_signal,
            ports=[(p.container, p.protocol) for p in spec.ports] or None,
            detach=True,
        )
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_body_is_the_one_docker_py_builds(case: str) -> None:
    spec, bindings = CASES[case]
    assert container_body(spec, network="p-default", port_bindings=bindings) == docker_py_body(
        spec, "p-default", bindings
    )


def test_on_podman_the_body_carries_the_engine_limits_and_a_shell_health_test() -> None:
    """What docker-py built when the Podman branch spelled it out: ulimits, and a CMD test whose
    arguments hold spaces sent as the equivalent CMD-SHELL line (Podman 4 splits them again)."""
    spec = BASE._replace(health={**BASE.health, "test": ["CMD", "python3", "-c", "import a; a.b()"]})
    limits = (podman.Ulimit("nofile", 1024, 4096), podman.Ulimit("nproc", 512, 512))
    body = container_body(spec, network="p-default", port_bindings={}, for_podman=True, ulimits=limits)

    api = docker.APIClient(base_url="unix:///nonexistent", version="1.41")
    expected_host = api.create_host_config(
        mounts=[docker.types.Mount(m.target, m.source or None, type=m.kind, read_only=m.read_only)
                for m in spec.mounts],
        init=True,
        ulimits=[docker.types.Ulimit(name=u.name, soft=u.soft, hard=u.hard) for u in limits],
    )  # fmt: skip
    assert body["HostConfig"]["Ulimits"] == expected_host["Ulimits"]
    assert body["Healthcheck"]["Test"] == ["CMD-SHELL", "python3 -c 'import a; a.b()'"]
    docker_body = container_body(spec, network="p-default", port_bindings={})
    assert "Ulimits" not in docker_body["HostConfig"]
    assert docker_body["Healthcheck"]["Test"] == spec.health["test"]


def test_a_missing_bind_source_is_refused_before_create(tmp_path: Path) -> None:
    spec = BASE._replace(mounts=(Mount("bind", str(tmp_path / "gone"), "/app"),))
    with pytest.raises(DevenvError, match=r"bind mount source .*gone .for /app. does not exist"):
        check_bind_sources(spec, "unix:///run/docker.sock")
    check_bind_sources(spec, "tcp://10.0.0.2:2376")  # a remote engine's paths are its own
