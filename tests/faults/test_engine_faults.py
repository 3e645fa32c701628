"""Engine faults: dockerd absent, dockerd SIGKILLed at random points of `up` (on a private
dockerd, never the shared one), containers that die on start, health checks that never pass."""

from __future__ import annotations

import json
import random
import time

import pytest

from tests.faults.stack_harness import SEED, TRIALS, Running, assert_clean, labelled, stack_toml

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("command", [("up", "-d"), ("down",), ("status",), ("logs",)])
def test_no_engine_is_exit_3_with_the_hint(offline_project, busybox_image, command) -> None:
    offline_project.write(stack_toml(offline_project.name, busybox_image))
    result = offline_project.run(*command, DOCKER_HOST=f"unix://{offline_project.root}/no-dockerd.sock")
    assert_clean(result)
    assert result.code == 3, str(result)
    assert "error: cannot reach the Docker engine at unix://" in result.err
    assert "hint: start it" in result.err


def engine_kill_trials(project, engine, image: str, trials: int, seed: str) -> dict[str, int]:
    rng = random.Random(seed)
    env = {"DOCKER_HOST": engine.host}
    outcomes = {"engine-error": 0, "finished": 0}
    project.write(stack_toml(project.name, image))
    for trial in range(trials):
        if rng.random() < 0.5:
            project.write(stack_toml(project.name, image, api_env=f"k{trial}"))  # a recreate in flight
        delay = rng.uniform(0.0, 1.5)
        running = Running(project, "up", "-d", **env)
        time.sleep(delay)  # the fault injection point
        engine.kill()
        result = running.finish()
        context = f"trial {trial} (dockerd killed after {delay:.2f}s)"
        assert_clean(result)
        assert result.code in (0, 3), f"{context}\n{result}"
        if result.code == 3:
            assert "Docker engine" in result.err and "hint: " in result.err, f"{context}\n{result}"
            outcomes["engine-error"] += 1
        else:
            outcomes["finished"] += 1
        engine.start()
        again = project.run("up", "-d", **env)
        assert_clean(again)
        assert again.code == 0, f"{context}: up after the restart\n{again}"
        states = json.loads(project.ok("status", "--json", **env).out)["services"]
        assert {s["state"] for s in states} == {"running"}, f"{context}\n{states}"
    project.ok("down", "--volumes", **env)
    client = engine.client()
    try:
        assert labelled(client, project.name) == {"containers": [], "networks": [], "volumes": []}
    finally:
        client.close()
    return outcomes


def test_dockerd_killed_during_up_then_up_converges(project, private_engine, busybox_image) -> None:
    trials = max(2, TRIALS // 2)
    outcomes = engine_kill_trials(project, private_engine, busybox_image, trials, f"{SEED}:kill")
    print(f"\ndockerd kill trials: {trials}, {outcomes}")


@pytest.mark.slow
def test_dockerd_killed_at_ten_random_points(project, private_engine, busybox_image) -> None:
    outcomes = engine_kill_trials(project, private_engine, busybox_image, 10, f"{SEED}:kill10")
    print(f"\ndockerd kill trials: 10, {outcomes}")


def test_dockerd_stopped_before_up_then_started(project, private_engine, busybox_image) -> None:
    env = {"DOCKER_HOST": private_engine.host}
    project.write(stack_toml(project.name, busybox_image))
    private_engine.stop()
    try:
        result = project.run("up", "-d", **env)
    finally:
        private_engine.start()
    assert_clean(result)
    assert result.code == 3, str(result)
    assert "hint: start it" in result.err
    project.ok("up", "-d", **env)
    project.ok("down", "--volumes", **env)


def test_container_dying_on_start_shows_exit_code_and_last_lines(faults_project, busybox_image) -> None:
    # With a health check devenv watches the start until it passes, so the exit is always seen;
    # without one it looks once, right after the start, and a loaded engine may not know yet.
    faults_project.write(
        f"""
[project]
name = "{faults_project.name}"
[services.crash]
image = "{busybox_image}"
command = ["sh", "-c", "echo starting; echo cannot open /data/db.sqlite >&2; exit 7"]
supervise = false
health = {{ cmd = ["true"], interval = "1s" }}
"""
    )
    result = faults_project.run("up", "-d")
    assert_clean(result)
    assert result.code == 5, str(result)
    assert "service crash exited with code 7 on start" in result.err
    assert "cannot open /data/db.sqlite" in result.err  # its last log lines, in the error
    faults_project.ok("down")


def test_health_timeout_names_the_service(faults_project, busybox_image) -> None:
    faults_project.write(
        f"""
[project]
name = "{faults_project.name}"
[services.sick]
image = "{busybox_image}"
command = ["sh", "-c", "echo warming up; exec sleep 100000"]
supervise = false
health = {{ cmd = ["sh", "-c", "echo not ready; exit 1"], interval = "100ms", retries = 3 }}
"""
    )
    result = faults_project.run("up", "-d")
    assert_clean(result)
    assert result.code == 5, str(result)
    assert "service sick is unhealthy" in result.err or "service sick did not become healthy" in result.err
    assert "not ready" in result.err  # the last probe's output
    assert "devenv logs sick" in result.err
    faults_project.ok("down")
