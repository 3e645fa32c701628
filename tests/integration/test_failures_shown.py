"""A failure is shown when it happens: a health check that can never pass ends `up` after a few
checks, with the probe's output; a service without a health check that dies a moment after its
start fails `up -d` with its exit code and log lines, and `status` shows the code."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.podman]


def test_a_health_check_that_cannot_pass_ends_the_wait_with_its_output(project, registry, busybox_image) -> None:
    # busybox has no curl: "sh: curl: not found", exit 127, on every check. A 30 × 1 s budget
    # would be waited out whole before.
    project.write(f"""
[services.api]
image = "{busybox_image}"
command = ["sh", "-c", "echo api listening; exec sleep 1000"]
health = {{ cmd = "curl -fs http://127.0.0.1:8000/health", interval = "1s", retries = 30 }}
""")
    result = project.run("up", "-d")
    assert result.code == 5, str(result)
    assert "its health check fails the same way every time" in result.err, str(result)
    assert "curl: not found" in result.err and "api listening" in result.err
    assert "did not become healthy" not in result.err


def test_a_service_that_dies_after_its_start_fails_up_and_status_shows_its_code(
    project, registry, busybox_image
) -> None:
    project.write(f"""
[services.worker]
image = "{busybox_image}"
command = ["sh", "-c", "sleep 0.3; echo cannot reach the queue >&2; exit 3"]
supervise = false
""")
    result = project.run("up", "-d")
    assert result.code == 5, str(result)
    assert "service worker exited with code 3" in result.err and "cannot reach the queue" in result.err
    status = project.ok("status")
    assert "exited (3)" in status.out, status.out
