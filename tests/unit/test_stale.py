"""Which `devenv test` instances are stale: those whose owning process is gone, on this host.
The engine's answers are plain records, so a small stand-in for the port's reads serves them here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence

from devenv.engine import labels as names
from devenv.engine.records import ContainerInfo, NetworkInfo, VolumeInfo
from devenv.ops.stale import stale_instances


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _labels(project: str, instance: str, pid: int, host: str = "") -> dict[str, str]:
    return {
        names.PROJECT: project,
        names.INSTANCE: instance,
        names.OWNER_PID: str(pid),
        names.OWNER_HOST: host or socket.gethostname(),
    }


class _Engine:
    """Answers the three listings `stale_instances` makes, filtered as the engine would."""

    def __init__(
        self, containers: list[dict[str, str]], networks: list[dict[str, str]], volumes: list[dict[str, str]]
    ):
        self._c, self._n, self._v = containers, networks, volumes

    def containers(self, labels: Sequence[str], *, all: bool = True) -> list[ContainerInfo]:
        return [
            ContainerInfo(str(i), f"c{i}", "web", lab[names.INSTANCE], "running", "Up", lab, ())
            for i, lab in enumerate(self._c)
        ]

    def networks(self, labels: Sequence[str]) -> list[NetworkInfo]:
        return [NetworkInfo(str(i), f"n{i}", lab) for i, lab in enumerate(self._n)]

    def volumes(self, labels: Sequence[str]) -> list[VolumeInfo]:
        return [VolumeInfo(f"v{i}", lab) for i, lab in enumerate(self._v)]


def test_only_instances_of_dead_owners_on_this_host_are_stale() -> None:
    dead = _dead_pid()
    engine = _Engine(
        containers=[_labels("shop", "test-alive", os.getpid()), _labels("shop", "test-dead", dead)],
        networks=[_labels("shop", "test-netonly", dead), _labels("shop", "test-alive", os.getpid())],
        volumes=[_labels("shop", "test-elsewhere", dead, host="another-host")],
    )
    assert stale_instances(engine) == [("shop", "test-dead"), ("shop", "test-netonly")]


def test_a_live_owner_keeps_its_instance_and_other_projects_are_left_alone() -> None:
    dead = _dead_pid()
    engine = _Engine(
        containers=[_labels("shop", "test-a", os.getpid()), _labels("blog", "test-b", dead)],
        networks=[],
        volumes=[],
    )
    assert stale_instances(engine, "shop") == []
    assert stale_instances(engine, "blog") == [("blog", "test-b")]
