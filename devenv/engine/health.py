"""Waiting for a container to be healthy (or just running), with an error that names the
service, says why, and shows its last log lines — never a silent hang.

Docker runs a container's health checks itself. Podman runs them from systemd timers, so where
there is no systemd (a container, most CI machines, WSL) nothing runs them and the health stays
"starting" for ever (Podman 4.4+ turns them off there instead). While devenv waits, it runs them
on Podman, once per interval: through libpod's healthcheck endpoint (the engine records the
result, so `status` shows it), or, where the engine will not, by running the test in the
container itself and judging it as the engine would (consecutive failures up to `retries`)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional, Protocol, runtime_checkable

from devenv.engine.port import EngineStack
from devenv.engine.records import ContainerInfo, ContainerState, ExecResult, Probe
from devenv.errors import DevenvError, HealthError
from devenv.interrupts import interruptible_sleep

POLL_S = 0.1
# While the instance's list (a `look`) shows a container running and still starting, one poll in
# this many inspects it: its probes (a hopeless check) and its end are read each second.
INSPECT_EVERY = 10

Look = Callable[[], Mapping[str, ContainerInfo]]  # the instance's containers by id, at most POLL_S old


@runtime_checkable
class RunsChecks(Protocol):
    """What running health checks takes beyond waiting (Podman's libpod route, exec): both
    clients have it; a stand-in in a test may not."""

    def run_health_check(self, container_id: str) -> Optional[str]: ...

    def exec_run(
        self, container_id: str, command: Sequence[str], *, user: str = "", workdir: Optional[str] = None
    ) -> ExecResult: ...


def _interruptible_sleep(seconds: float) -> None:
    interruptible_sleep(seconds, "waiting for health")


def last_log_lines(engine: EngineStack, container_id: str, count: int = 15) -> list[str]:
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
    engine: EngineStack,
    container_id: str,
    service: str,
    health: Mapping[str, Any],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = _interruptible_sleep,
    look: Optional[Look] = None,
) -> None:
    """Until the engine says healthy; raise HealthError on exit, unhealthy or timeout.
    `health`: the engine's Healthcheck document the container was created with. `look`: a list
    shared by every wait of one `up`, read instead of most inspects (fifty services waiting at
    once make one call a poll, not fifty)."""
    timeout_s = health_timeout(health)
    deadline = clock() + timeout_s
    # Both clients run checks (the lite one hands an exec to docker-py, loaded then).
    checks = ChecksRun(engine, container_id, health) if isinstance(engine, RunsChecks) and engine.is_podman() else None
    polls = 0
    while True:
        polls += 1
        if checks is None and look is not None and polls % INSPECT_EVERY != 1 and clock() < deadline:
            seen = look().get(container_id)
            if seen is not None and seen.running and seen.health == "healthy":
                return
            if seen is not None and seen.running and seen.health == "starting":
                sleep(POLL_S)
                continue
        if checks is not None:
            checks.due(clock())
        state = engine.inspect_container(container_id).state
        if not state.running:
            raise died(engine, container_id, service, state)
        if checks is not None:
            state = checks.judged(state)
        if state.health in (None, "healthy"):
            return
        hopeless = hopeless_probe(state.probes)
        if hopeless is not None:
            raise HealthError(
                _with_logs(
                    f"service {service}: its health check fails the same way every time "
                    f"({REPEATS} checks in a row, exit {hopeless.exit_code}): {_probe_text(hopeless)} — "
                    "an error no wait will cure, so devenv stopped waiting",
                    last_log_lines(engine, container_id),
                ),
                f"fix health.cmd of {service} in devenv.toml (a string runs under /bin/sh, which has no "
                "bash options such as `set -o pipefail`: use [\"bash\", \"-c\", \"…\"] for those)",
            )
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


class ChecksRun:
    """The health checks devenv runs itself while it waits (Podman): once per interval, through
    the engine's endpoint while it answers, else by exec (then the verdict is devenv's own)."""

    def __init__(self, engine: RunsChecks, container_id: str, health: Mapping[str, Any]):
        self._engine = engine
        self._id = container_id
        self._test = list(health["test"])
        self._interval_s = max(health["interval"] / 1e9, POLL_S)
        self._retries = max(1, int(health["retries"]))
        self._start_period_s = health["start_period"] / 1e9
        self._next: Optional[float] = None
        self._started: Optional[float] = None
        self._by_exec = False
        self._failures = 0
        self._verdict: Optional[str] = None
        self._probe: Optional[Probe] = None
        self._probes: list[Probe] = []

    def due(self, now: float) -> None:
        """Run one check when its interval has come (the first at once)."""
        if self._started is None:
            self._started = now
        if self._next is not None and now < self._next:
            return
        self._next = now + self._interval_s
        if not self._by_exec:
            if self._engine.run_health_check(self._id) is not None:
                return
            self._by_exec = True  # the engine would not: from now on devenv judges
        self._exec(now)

    def judged(self, state: ContainerState) -> ContainerState:
        """The engine's state, with devenv's own verdict where devenv ran the checks by exec."""
        if not self._by_exec:
            return state
        return state._replace(
            health=self._verdict or "starting",
            last_probe=self._probe or state.last_probe,
            probes=tuple(self._probes) or state.probes,
        )

    def _exec(self, now: float) -> None:
        argv = ["/bin/sh", "-c", self._test[1]] if self._test[0] == "CMD-SHELL" else self._test[1:]
        try:
            result = self._engine.exec_run(self._id, argv)
            code, output = result.exit_code, result.output.decode(errors="replace")
        except DevenvError as err:  # the container went away meanwhile: the inspect says so
            code, output = None, err.message
        self._probe = Probe(code, output)
        self._probes = [*self._probes[-(REPEATS - 1) :], self._probe]
        if code == 0:
            self._verdict, self._failures = "healthy", 0
            return
        in_start_period = self._started is not None and now - self._started < self._start_period_s
        if not in_start_period:
            self._failures += 1
        if self._failures >= self._retries:
            self._verdict = "unhealthy"


SETTLE_S = 1.0  # how long a service without a health check is watched after its start


def settle(
    engine: EngineStack,
    started: Sequence[tuple[str, str]],
    labels: Sequence[str],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = _interruptible_sleep,
) -> None:
    """Watch just-started containers without a health check (`(container id, service)`) for
    SETTLE_S, all at once: an app that dies a moment after its start is reported (HealthError
    with its exit code and last log lines) instead of `up` saying it runs. Each look is one list
    of the instance's containers (`labels`), not an inspect per container: fifty services cost
    one call a look; only a container the list shows stopped (or not at all) is inspected."""
    if not started:
        return
    deadline = clock() + SETTLE_S
    while True:
        listed = {c.id: c for c in engine.containers(labels)}
        for container_id, service in started:
            seen = listed.get(container_id)
            if seen is not None and (seen.running or seen.state == "created"):
                continue
            state = engine.inspect_container(container_id).state
            if not state.running and state.status != "created":
                raise died(engine, container_id, service, state)
        if clock() >= deadline:
            return
        sleep(POLL_S)


def died(
    engine: EngineStack, container_id: str, service: str, state: Optional[ContainerState] = None
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


# A probe that fails like this fails the same way on every try: the command is missing, not
# executable, or its shell cannot parse it. Waiting out the health budget cannot help.
REPEATS = 3
HOPELESS_EXIT_CODES = (126, 127)  # the shell's "cannot execute" and "command not found"
_HOPELESS_OUTPUT = re.compile(
    r": not found$|command not found|executable file not found|illegal option|syntax error"
    r"|unrecognized option|invalid option|unknown option|permission denied",
    re.IGNORECASE | re.MULTILINE,
)


def hopeless_probe(probes: Sequence[Probe]) -> Optional[Probe]:
    """The probe when the last REPEATS checks all failed identically with an error that no
    retry will cure (see above); None while the check may yet pass."""
    recent = probes[-REPEATS:]
    if len(recent) < REPEATS or any(p.exit_code == 0 for p in recent):
        return None
    if len({(p.exit_code, p.output) for p in recent}) != 1:
        return None
    probe = recent[-1]
    if probe.exit_code in HOPELESS_EXIT_CODES or _HOPELESS_OUTPUT.search(probe.output):
        return probe
    return None


def _probe_text(probe: Probe) -> str:
    lines = [line.strip() for line in probe.output.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:]) if lines else "(no output)"


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
