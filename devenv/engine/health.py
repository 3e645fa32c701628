"""Waiting for a container to be healthy (or just running), with an error that names the
service, says why, and shows its last log lines — never a silent hang."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Callable, Optional

from devenv.engine.port import Engine
from devenv.engine.records import ContainerState
from devenv.errors import DevenvError, HealthError
from devenv.interrupts import interruptible_sleep

POLL_S = 0.1


def _interruptible_sleep(seconds: float) -> None:
    interruptible_sleep(seconds, "waiting for health")


def last_log_lines(engine: Engine, container_id: str, count: int = 15) -> list[str]:
    try:
        raw = engine.logs(container_id, tail=count)
    except DevenvError:  # logs are a courtesy in an error message: never mask the real error
        return []
    return raw.decode(errors="replace").splitlines()[-count:]


def _with_logs(message: str, lines: list[str]) -> str:
    if not lines:
        return message + " (no log output)"
    return message + "; last log lines:\n    " + "\n    ".join(lines)


def wait_healthy(
    engine: Engine,
    container_id: str,
    service: str,
    timeout_s: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = _interruptible_sleep,
) -> None:
    """Until Docker says healthy; raise HealthError on exit, unhealthy or timeout."""
    deadline = clock() + timeout_s
    while True:
        state = engine.inspect_container(container_id).state
        if not state.running:
            raise died(engine, container_id, service, state)
        if state.health in (None, "healthy"):
            return
        if state.health == "unhealthy":
            raise HealthError(
                _with_logs(
                    f"service {service} is unhealthy{_last_probe(state)}",
                    last_log_lines(engine, container_id),
                ),
                f"check the service's health command and logs (`devenv logs {service}`)",
            )
        if clock() >= deadline:
            raise HealthError(
                _with_logs(
                    f"service {service} did not become healthy within {timeout_s:.0f}s{_last_probe(state)}",
                    last_log_lines(engine, container_id),
                ),
                f"see `devenv logs {service}`; raise health.retries/interval if it is just slow",
            )
        sleep(POLL_S)


def died(
    engine: Engine, container_id: str, service: str, state: Optional[ContainerState] = None
) -> HealthError:
    if state is None:
        state = engine.inspect_container(container_id).state
    reason = f" ({state.error})" if state.error else ""
    return HealthError(
        _with_logs(
            f"service {service} exited with code {state.exit_code} on start{reason}",
            last_log_lines(engine, container_id),
        ),
        f"fix the command or image of {service}; `devenv logs {service}` shows the whole output",
    )


def _last_probe(state: ContainerState) -> str:
    if state.last_probe is None:
        return ""
    output = state.last_probe.output.strip().splitlines()
    detail = f": {output[-1]}" if output else ""
    return f" (last check exited {state.last_probe.exit_code}{detail})"


def health_timeout(health: Optional[Mapping[str, Any]]) -> float:
    """Long enough for every retry Docker makes, plus slack for a slow first start."""
    if not health:
        return 0.0
    per_try = (health["interval"] + health["timeout"]) / 1e9
    return float(health["start_period"] / 1e9 + per_try * health["retries"] + 5.0)
