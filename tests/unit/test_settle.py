"""After `up` starts its containers: a service without a health check that dies within the
settle is reported with its exit code; a supervised service whose supervisor never writes its
status (the ENTRYPOINT dropped the command) is named with its ENTRYPOINT. A stand-in engine and
an injected clock (no sleeping)."""

from __future__ import annotations

from typing import Optional

import pytest

from devenv.engine.health import SETTLE_S, settle
from devenv.engine.records import ContainerDetails, ContainerSpec, ContainerState
from devenv.errors import ConfigError, HealthError
from devenv.reconcile.settle import SUPERVISOR_WAIT_S, check_supervisors


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

    def inspect_container(self, container_id: str) -> ContainerDetails:
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
    with pytest.raises(HealthError, match="exited with code 3") as caught:
        settle(Engine(clock, dies_at=0.5), [("c1", "web")], clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert "cannot reach the queue" in caught.value.message


def test_a_service_that_stays_up_passes_after_the_settle() -> None:
    clock = Clock()
    settle(Engine(clock), [("c1", "web"), ("c2", "api")], clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert SETTLE_S <= clock.now < SETTLE_S + 0.5  # one settle for all, not one per service


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
