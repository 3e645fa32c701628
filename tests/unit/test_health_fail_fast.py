"""A health check that fails the same way every time with an error no wait cures (a `pipefail`
script under /bin/sh, a missing command) ends the wait at once, with the probe's output — not
after the whole retries × interval budget. A check that fails for a while (the app is starting)
is waited for as before."""

from __future__ import annotations

from typing import Optional

import pytest

from devenv.engine.health import hopeless_probe, wait_healthy
from devenv.engine.records import ContainerDetails, ContainerState, Probe, container_state
from devenv.errors import HealthError

SECOND = 1_000_000_000
HEALTH = {"test": ["CMD-SHELL", "x"], "interval": 5 * SECOND, "timeout": SECOND, "retries": 30, "start_period": 0}
PIPEFAIL = Probe(2, "/bin/sh: 1: set: Illegal option -o pipefail\n")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Engine:
    """Docker: it runs the checks itself; one more probe lands in its log every interval."""

    def __init__(self, clock: Clock, probe: Probe, *, passes_after: Optional[int] = None):
        self._clock, self._probe, self._passes_after = clock, probe, passes_after

    def is_podman(self) -> bool:
        return False

    def inspect_container(self, container_id: str) -> ContainerDetails:
        count = int(self._clock.now // 5)
        if self._passes_after is not None and count > self._passes_after:
            state = ContainerState("running", True, None, "", "healthy", Probe(0, ""), (Probe(0, ""),))
        else:
            probes = (self._probe,) * min(count, 5)
            state = ContainerState("running", True, None, "", "starting", probes[-1] if probes else None, probes)
        return ContainerDetails(container_id, "web", {}, state, (), None)

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        return b"listening on :8000\n"


def test_a_pipefail_script_under_sh_stops_the_wait_after_a_few_checks() -> None:
    clock = Clock()
    with pytest.raises(HealthError) as caught:
        wait_healthy(Engine(clock, PIPEFAIL), "c1", "api", HEALTH, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert clock.now < 20  # three checks, not the 30 × 5 s budget
    message = str(caught.value.message)
    assert "fails the same way every time" in message and "Illegal option -o pipefail" in message
    assert "listening on :8000" in message and "bash" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "probe",
    [
        Probe(127, "/bin/sh: 1: curl: not found\n"),
        Probe(126, "/bin/sh: 1: /check.sh: Permission denied\n"),
        Probe(-1, 'OCI runtime exec failed: exec: "pg_isready": executable file not found in $PATH'),
        Probe(2, "/bin/sh: 1: Syntax error: end of file unexpected\n"),
    ],
)
def test_errors_no_retry_cures(probe: Probe) -> None:
    assert hopeless_probe((probe,) * 3) == probe


@pytest.mark.parametrize(
    "probes",
    [
        (PIPEFAIL,) * 2,  # not several times yet
        (Probe(1, "connection refused"),) * 5,  # the app is not listening yet: transient
        (Probe(2, "cat: /tmp/ready: No such file or directory"),) * 5,  # a file not made yet
        (PIPEFAIL, Probe(0, ""), PIPEFAIL),  # it passed in between
        (Probe(127, "a: not found"), Probe(127, "b: not found"), Probe(127, "a: not found")),  # not the same
    ],
)
def test_failures_that_may_pass_later_keep_the_wait(probes: tuple[Probe, ...]) -> None:
    assert hopeless_probe(probes) is None


def test_a_check_failing_while_the_app_starts_is_waited_for() -> None:
    clock = Clock()
    engine = Engine(clock, Probe(7, "curl: (7) Failed to connect to localhost port 8000"), passes_after=6)
    wait_healthy(engine, "c1", "api", HEALTH, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert clock.now > 30


def test_the_engines_whole_health_log_is_read() -> None:
    raw = {
        "Status": "running",
        "Running": True,
        "Health": {"Status": "starting", "Log": [{"ExitCode": 1, "Output": "a"}, {"ExitCode": 2, "Output": "b"}]},
    }
    state = container_state(raw)
    assert state.probes == (Probe(1, "a"), Probe(2, "b")) and state.last_probe == Probe(2, "b")
