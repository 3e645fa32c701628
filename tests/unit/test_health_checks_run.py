"""The health wait on Podman, which runs no health checks by itself without systemd: devenv runs
them, once per interval, through the engine's endpoint, or by exec where the engine will not.
A stand-in for the few engine calls the wait makes, and an injected clock (no sleeping)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import pytest

from devenv.engine.health import wait_healthy
from devenv.engine.records import ContainerDetails, ContainerState, ExecResult
from devenv.errors import HealthError

SECOND = 1_000_000_000
HEALTH = {
    "test": ["CMD-SHELL", "test -f /tmp/ready"],
    "interval": SECOND // 2,
    "timeout": SECOND,
    "retries": 3,
    "start_period": 0,
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Engine:
    """`endpoint`: what the libpod endpoint answers per call (None: it will not run checks);
    `exec_codes`: exit codes of the test run by exec; `engine_health`: what inspect shows."""

    def __init__(
        self,
        *,
        podman: bool = True,
        endpoint: Sequence[Optional[str]] = (),
        exec_codes: Sequence[int] = (),
        engine_health: Sequence[Optional[str]] = ("starting",),
    ):
        self._podman = podman
        self._endpoint = list(endpoint)
        self._exec = list(exec_codes)
        self._health = list(engine_health)
        self.calls: list[str] = []
        self.exec_commands: list[list[str]] = []

    def is_podman(self) -> bool:
        return self._podman

    def run_health_check(self, container_id: str) -> Optional[str]:
        self.calls.append("endpoint")
        answer = self._endpoint.pop(0) if self._endpoint else None
        if answer is not None:
            self._health = [answer]
        return answer

    def exec_run(self, container_id: str, command: Sequence[str], **_: object) -> ExecResult:
        self.calls.append("exec")
        self.exec_commands.append(list(command))
        code = self._exec.pop(0) if len(self._exec) > 1 else self._exec[0]
        return ExecResult(code, b"" if code == 0 else b"no /tmp/ready\n")

    def inspect_container(self, container_id: str) -> ContainerDetails:
        health = self._health.pop(0) if len(self._health) > 1 else self._health[0]
        state = ContainerState("running", True, None, "", health, None)
        return ContainerDetails(container_id, "web", {}, state, (), None)

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        return b"starting up\n"


def _wait(engine: Engine, clock: Clock) -> None:
    wait_healthy(engine, "c1", "web", HEALTH, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_podman_s_checks_are_run_through_its_endpoint_once_per_interval() -> None:
    engine, clock = Engine(endpoint=["starting", "starting", "healthy"]), Clock()
    _wait(engine, clock)
    assert engine.calls == ["endpoint"] * 3
    assert clock.now == pytest.approx(1.0, abs=0.11)  # checks at 0, 0.5 and 1.0 s, polled in between


def test_docker_runs_its_checks_itself() -> None:
    engine = Engine(podman=False, engine_health=["starting", "starting", "healthy"])
    _wait(engine, Clock())
    assert engine.calls == []


def test_where_the_endpoint_will_not_devenv_runs_the_test_and_judges_it() -> None:
    engine, clock = Engine(endpoint=[None], exec_codes=[1, 0]), Clock()
    _wait(engine, clock)
    assert engine.calls == ["endpoint", "exec", "exec"]  # the endpoint is asked once only
    assert engine.exec_commands[0] == ["/bin/sh", "-c", "test -f /tmp/ready"]


def test_retries_consecutive_failures_by_exec_are_unhealthy_with_the_probe_s_output() -> None:
    engine = Engine(endpoint=[None], exec_codes=[1])
    with pytest.raises(HealthError) as raised:
        _wait(engine, Clock())
    assert engine.calls.count("exec") == 3  # retries = 3
    assert "service web is unhealthy (last check exited 1: no /tmp/ready)" in raised.value.message


def test_failures_in_the_start_period_do_not_count() -> None:
    engine, clock = Engine(endpoint=[None], exec_codes=[1, 1, 1, 1, 0]), Clock()
    health = {**HEALTH, "start_period": SECOND}
    wait_healthy(engine, "c1", "web", health, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert engine.calls.count("exec") == 5  # 0, 0.5 s in the start period; 1.0, 1.5, 2.0 s count


def test_a_cmd_test_is_run_as_its_own_argv() -> None:
    engine = Engine(endpoint=[None], exec_codes=[0])
    health = {**HEALTH, "test": ["CMD", "pg_isready", "-U", "app"]}
    wait_healthy(engine, "c1", "web", health, clock=Clock(), sleep=lambda s: None)  # type: ignore[arg-type]
    assert engine.exec_commands == [["pg_isready", "-U", "app"]]
