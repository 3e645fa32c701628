"""Ctrl-C / SIGTERM at seeded random points of `up` and `down`: whatever was left, the next `up`
converges and `down` leaves nothing labelled for the project. A second Ctrl-C exits at once."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from tests.faults.stack_harness import SEED, TRIALS, Running, assert_clean, labelled, stack_toml

pytestmark = pytest.mark.engine
SERVICES = {"db", "api", "web"}
# Before main() runs (interpreter start, imports: ~0.3 s) devenv has no handler yet; that window
# is covered by test_interrupt_during_startup below, the trials start after it.
STARTUP_S = 0.4


def converged(project, client) -> None:
    """`up -d` succeeds and every service runs, in exactly one container, on one network."""
    result = project.run("up", "-d")
    assert_clean(result)
    assert result.code == 0, str(result)
    status = json.loads(project.ok("status", "--json").out)
    assert {s["service"]: s["state"] for s in status["services"]} == dict.fromkeys(SERVICES, "running")
    owned = labelled(client, project.name)
    assert len(owned["containers"]) == 3, owned
    assert len(owned["networks"]) == 1, owned


def interrupt_trials(project, client, image: str, trials: int, seed: str) -> dict[str, int]:
    rng = random.Random(seed)
    outcomes = {"interrupted": 0, "finished": 0}
    project.write(stack_toml(project.name, image))
    for trial in range(trials):
        # Vary the starting point: nothing, a changed service (recreate), or what the last trial left.
        start = rng.choice(["fresh", "changed", "as-left"])
        if start == "fresh":
            project.ok("down")
        elif start == "changed":
            project.write(stack_toml(project.name, image, api_env=str(trial)))
        command = rng.choice([("up", "-d"), ("up", "-d"), ("up", "-d"), ("down",)])
        signum = rng.choice([signal.SIGINT, signal.SIGINT, signal.SIGTERM])
        delay = rng.uniform(STARTUP_S, 1.5)
        running = Running(project, *command)
        time.sleep(delay)  # the fault injection point, not a timing assertion
        running.signal(signum)
        result = running.finish()
        context = f"trial {trial} ({start}, {' '.join(command)}, {signum.name} after {delay:.2f}s)"
        assert_clean(result)
        assert result.code in (0, 130), f"{context}\n{result}"
        if result.code == 130:
            assert "interrupted" in result.err, f"{context}\n{result}"
            outcomes["interrupted"] += 1
        else:
            outcomes["finished"] += 1
        converged(project, client)
    down = project.ok("down", "--volumes")
    assert labelled(client, project.name) == {"containers": [], "networks": [], "volumes": []}
    assert f"{project.name}-default-dbdata" in down.err  # --volumes says what it removed
    return outcomes


@pytest.mark.podman
def test_interrupted_up_and_down_always_converge(faults_project, docker_client, busybox_image) -> None:
    outcomes = interrupt_trials(faults_project, docker_client, busybox_image, TRIALS, f"{SEED}:bounded")
    print(f"\ninterrupt trials: {TRIALS}, {outcomes}")


@pytest.mark.slow
def test_interrupted_up_twenty_random_points(faults_project, docker_client, busybox_image) -> None:
    outcomes = interrupt_trials(faults_project, docker_client, busybox_image, 20, f"{SEED}:twenty")
    print(f"\ninterrupt trials: 20, {outcomes}")


def never_healthy(image: str) -> str:
    """A fourth service whose health check never passes (its wait would last hours)."""
    return f"""
[services.slow]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
health = {{ cmd = ["false"], interval = "1s", retries = 10000 }}
"""


def wait_until_running(client, project: str, service: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    label = [f"dev.devenv.project={project}", f"dev.devenv.service={service}"]
    while time.monotonic() < deadline:
        if client.containers.list(filters={"label": label, "status": "running"}):
            return
        time.sleep(0.05)
    raise AssertionError(f"{service} never started")


@pytest.mark.podman
def test_first_interrupt_ends_a_health_wait_at_once(faults_project, docker_client, busybox_image) -> None:
    """A service that never gets healthy: the first Ctrl-C must not wait out its health timeout."""
    extra = never_healthy(busybox_image)
    faults_project.write(stack_toml(faults_project.name, busybox_image, extra=extra))
    running = Running(faults_project, "up", "-d")
    wait_until_running(docker_client, faults_project.name, "slow")  # its health wait comes next
    time.sleep(0.5)  # the injection point: inside the (endless) health wait
    running.signal(signal.SIGINT)
    result = running.finish(timeout=60)  # the health timeout is hours: only prompt unwinding passes
    assert_clean(result)
    assert result.code == 130, str(result)
    assert "interrupted" in result.err
    faults_project.ok("down")
    assert labelled(docker_client, faults_project.name)["containers"] == []


def test_second_interrupt_exits_at_once_saying_what_is_left(
    faults_project, docker_client, busybox_image
) -> None:
    extra = never_healthy(busybox_image)
    faults_project.write(stack_toml(faults_project.name, busybox_image, extra=extra))
    running = Running(faults_project, "up", "-d")
    wait_until_running(docker_client, faults_project.name, "slow")
    running.signal(signal.SIGINT)
    running.signal(signal.SIGINT)
    result = running.finish(timeout=60)
    assert result.code == 130, str(result)
    assert_clean(result)
    # Either the first interrupt had already unwound, or the second one cut it short and said so.
    assert "interrupted" in result.err
    if "interrupted again" in result.err:
        assert "devenv down" in result.err and "devenv up" in result.err
    faults_project.ok("down", "--volumes")  # whatever the hard exit left, down removes it
    assert labelled(docker_client, faults_project.name) == {"containers": [], "networks": [], "volumes": []}


# What CPython itself prints when interrupted before it runs any of devenv's code.
PYTHON_STARTUP = ("init_import_site", "Could not import runpy module")


def before_devenv_code(err: str) -> bool:
    """The interrupt landed while Python itself was starting: in `site`, or in runpy finding and
    importing the package before the first line of devenv runs (a traceback without one frame
    in devenv's own files — on a loaded machine that window is wide enough to hit)."""
    if any(marker in err for marker in PYTHON_STARTUP):
        return True
    frames = [line for line in err.splitlines() if line.strip().startswith("File ")]
    return "Traceback" in err and bool(frames) and not any("devenv" + os.sep in f for f in frames)


def test_interrupt_during_startup_is_clean(offline_project, busybox_image) -> None:
    """From the moment devenv's entry point runs, a Ctrl-C exits 130 without a traceback. An
    interrupt that lands while the interpreter itself is still starting (its `site` import,
    before any devenv code) is Python's to report; such trials are counted, not judged."""
    offline_project.write(stack_toml(offline_project.name, busybox_image))
    judged = 0
    for delay in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        running = Running(offline_project, "status")
        time.sleep(delay)
        running.signal(signal.SIGINT)
        result = running.finish()
        if before_devenv_code(result.err):
            continue
        judged += 1
        assert_clean(result)
        assert result.code in (0, 130), str(result)
    assert judged >= 3
