"""Waiting for a container to be healthy (or just running), with an error that names the
service, says why, and shows its last log lines — never a silent hang."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from devenv.engine.client import translated
from devenv.errors import HealthError
from devenv.interrupts import interruptible_sleep

POLL_S = 0.1


def _interruptible_sleep(seconds: float) -> None:
    interruptible_sleep(seconds, "waiting for health")


def last_log_lines(client: Any, container_id: str, count: int = 15) -> list[str]:
    try:
        raw = client.api.logs(container_id, tail=count, stdout=True, stderr=True)
    except Exception:  # logs are a courtesy in an error message: never mask the real error
        return []
    return raw.decode(errors="replace").splitlines()[-count:]


def _with_logs(message: str, lines: list[str]) -> str:
    if not lines:
        return message + " (no log output)"
    return message + "; last log lines:\n    " + "\n    ".join(lines)


def wait_healthy(
    client: Any,
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
        with translated("waiting for health", service=service):
            state = client.api.inspect_container(container_id)["State"]
        if not state.get("Running"):
            raise died(client, container_id, service, state)
        health = (state.get("Health") or {}).get("Status")
        if health in (None, "healthy"):
            return
        if health == "unhealthy":
            probe = _last_probe(state)
            raise HealthError(
                _with_logs(f"service {service} is unhealthy{probe}", last_log_lines(client, container_id)),
                f"check the service's health command and logs (`devenv logs {service}`)",
            )
        if clock() >= deadline:
            raise HealthError(
                _with_logs(
                    f"service {service} did not become healthy within {timeout_s:.0f}s{_last_probe(state)}",
                    last_log_lines(client, container_id),
                ),
                f"see `devenv logs {service}`; raise health.retries/interval if it is just slow",
            )
        sleep(POLL_S)


def died(client: Any, container_id: str, service: str, state: Optional[dict[str, Any]] = None) -> HealthError:
    if state is None:
        state = client.api.inspect_container(container_id)["State"]
    code = state.get("ExitCode")
    reason = f" ({state['Error']})" if state.get("Error") else ""
    return HealthError(
        _with_logs(
            f"service {service} exited with code {code} on start{reason}",
            last_log_lines(client, container_id),
        ),
        f"fix the command or image of {service}; `devenv logs {service}` shows the whole output",
    )


def _last_probe(state: dict[str, Any]) -> str:
    log = (state.get("Health") or {}).get("Log") or []
    if not log:
        return ""
    last = log[-1]
    output = (last.get("Output") or "").strip().splitlines()
    detail = f": {output[-1]}" if output else ""
    return f" (last check exited {last.get('ExitCode')}{detail})"


def health_timeout(health: Optional[dict[str, Any]]) -> float:
    """Long enough for every retry Docker makes, plus slack for a slow first start."""
    if not health:
        return 0.0
    per_try = (health["interval"] + health["timeout"]) / 1e9
    return health["start_period"] / 1e9 + per_try * health["retries"] + 5.0
