"""The health wait of one `up` on Docker reads a list of the instance's containers shared by
every wait, and inspects a container only once a second while the list shows it starting (its
probes say whether a check is hopeless) or when the list shows anything else."""

from __future__ import annotations

from typing import Optional

import pytest

from devenv.engine.health import INSPECT_EVERY, wait_healthy
from devenv.engine.records import ContainerDetails, ContainerInfo, ContainerState
from devenv.errors import HealthError
from tests.unit.test_health_checks_run import HEALTH, Clock


class Engine:
    def __init__(self) -> None:
        self.inspects = 0

    def is_podman(self) -> bool:
        return False

    def inspect_container(self, container_id: str) -> ContainerDetails:
        self.inspects += 1
        state = ContainerState("running", True, None, "", "starting", None)
        return ContainerDetails(container_id, "web", {}, state, (), None)

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        return b""


def listed(health: Optional[str], state: str = "running") -> dict[str, ContainerInfo]:
    return {"c1": ContainerInfo("c1", "p-default-web", "web", "default", state, "Up", {}, (), health)}


def test_the_shared_list_answers_most_polls_and_its_healthy_ends_the_wait() -> None:
    engine, clock = Engine(), Clock()
    looks = [*(listed("starting") for _ in range(2 * INSPECT_EVERY)), listed("healthy")]
    wait_healthy(engine, "c1", "web", HEALTH, clock=clock, sleep=clock.sleep, look=lambda: looks.pop(0))  # type: ignore[arg-type]
    assert not looks
    assert engine.inspects == 3  # the first poll, then one in every INSPECT_EVERY


def test_what_the_list_does_not_show_as_starting_is_inspected() -> None:
    engine, clock = Engine(), Clock()
    look = listed(None, state="exited")
    health = {**HEALTH, "retries": 1, "interval": 10_000_000, "timeout": 10_000_000}
    with pytest.raises(HealthError):  # the stand-in's inspect says starting for ever: the deadline ends it
        wait_healthy(engine, "c1", "web", health, clock=clock, sleep=clock.sleep, look=lambda: look)  # type: ignore[arg-type]
    polls = round(clock.now / 0.1) + 1
    assert engine.inspects == polls  # every poll inspected: the list showed it exited
