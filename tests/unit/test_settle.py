"""After `up` starts its containers: a service without a health check that dies within the
settle is reported with its exit code; a supervised service whose supervisor never writes its
status (the ENTRYPOINT dropped the command) is named with its ENTRYPOINT. A stand-in engine and
an injected clock (no sleeping)."""

from __future__ import annotations

from typing import Optional

import pytest

from devenv.engine.health import SETTLE_S, settle
from devenv.engine.records import ContainerDetails, ContainerInfo, ContainerSpec, ContainerState
from devenv.errors import ConfigError, HealthError
from devenv.reconcile.settle import SUPERVISOR_WAIT_S, check_supervisors

SELECTOR = ["dev.devenv.project=p", "dev.devenv.instance=default"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Engine:
    def __init__(self, clock: Clock, *, dies_at: Optional[float] = None, status_at: Optional[float] = None):
        self.clock, self.dies_at, self.status_at = clock, dies_at, status_at
        self.calls: list[str] = []
        self.ids: list[str] = []  # the instance's containers

    def containers(self, labels: list[str], *, all: bool = True) -> list[ContainerInfo]:
        self.calls.append("list")
        assert labels == SELECTOR
        dead = self.dies_at is not None and self.clock.now >= self.dies_at
        state, status = ("exited", "Exited (3) 1 second ago") if dead else ("running", "Up 1 second")
        return [ContainerInfo(i, f"p-default-{i}", i, "default", state, status, {}, ()) for i in self.ids]

    def inspect_container(self, container_id: str) -> ContainerDetails:
        self.calls.append("inspect")
        dead = self.dies_at is not None and self.clock.now >= self.dies_at
        state = ContainerState("exited" if dead else "running", not dead, 3 if dead else None, "", None, None)
        args = ("/start.sh", "/bin/sh", "/.devenv/supervise.sh", "python3", "app.py")
        return ContainerDetails(container_id, "web", {}, state, args, None)

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        return b"cannot reach the queue\n"

    def path_exists(self, container_id: str, path: str) -> bool:
        return self.status_at is not None and self.clock.now >= self.status_at


def _spec() -> ContainerSpec:
    return ContainerSpec(
        "web", "p-default-web", "img", "sha256:i", "reg/img:1", "sha256:d",
        ("/bin/sh", "/.devenv/supervise.sh", "python3", "app.py"), None, (), "", None, None, (), (), None,
        False, False, 10.0,
    )  # fmt: skip


def test_a_death_within_the_settle_is_reported_with_its_code() -> None:
    clock = Clock()
    engine = Engine(clock, dies_at=0.5)
    engine.ids = ["c1"]
    with pytest.raises(HealthError, match="exited with code 3") as caught:
        settle(engine, [("c1", "web")], SELECTOR, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert "cannot reach the queue" in caught.value.message


def test_a_service_that_stays_up_passes_after_the_settle() -> None:
    clock = Clock()
    engine = Engine(clock)
    engine.ids = ["c1", "c2"]
    settle(engine, [("c1", "web"), ("c2", "api")], SELECTOR, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert SETTLE_S <= clock.now < SETTLE_S + 0.5  # one settle for all, not one per service


def test_fifty_services_cost_one_list_a_look_not_an_inspect_each() -> None:
    clock = Clock()
    engine = Engine(clock)
    engine.ids = [f"c{n}" for n in range(50)]
    settle(engine, [(i, f"svc{i}") for i in engine.ids], SELECTOR, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert set(engine.calls) == {"list"}
    assert len(engine.calls) <= SETTLE_S / 0.1 + 2


def test_a_container_gone_from_the_list_is_inspected_and_reported() -> None:
    clock = Clock()
    engine = Engine(clock, dies_at=0.0)
    engine.ids = []  # removed (or not listed): the inspect says what became of it
    with pytest.raises(HealthError, match="exited with code 3"):
        settle(engine, [("c1", "web")], SELECTOR, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert engine.calls[:2] == ["list", "inspect"]


def test_a_supervisor_that_never_starts_names_the_entrypoint() -> None:
    clock = Clock()
    with pytest.raises(ConfigError) as caught:
        check_supervisors(Engine(clock), [("c1", _spec())], clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert "supervisor never started" in caught.value.message and "(/start.sh)" in caught.value.message
    assert "entrypoint = []" in (caught.value.hint or "") and "supervise = false" in (caught.value.hint or "")
    assert clock.now >= SUPERVISOR_WAIT_S


def test_a_supervisor_that_starts_late_is_waited_for() -> None:
    clock = Clock()
    check_supervisors(Engine(clock, status_at=2.0), [("c1", _spec())], clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert 2.0 <= clock.now < SUPERVISOR_WAIT_S
