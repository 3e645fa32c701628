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


@pytest.fixture(scope="module")
def args_dropping_image(docker_client) -> str:
    """An image whose ENTRYPOINT runs its own server and never the command it is given."""
    import io
    import textwrap
    import uuid

    from tests.conftest import busybox_context

    tag = f"devenv-test-entrypoint:{uuid.uuid4().hex[:8]}"
    dockerfile = textwrap.dedent(
        """\
        FROM scratch
        COPY busybox /bin/busybox
        COPY passwd /etc/passwd
        COPY group /etc/group
        RUN ["/bin/busybox", "--install", "-s", "/bin"]
        RUN mkdir -p /tmp && chmod 1777 /tmp && printf '#!/bin/sh\\nexec sleep 100000\\n' > /start.sh && chmod +x /start.sh
        ENTRYPOINT ["/start.sh"]
        """
    )
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context(dockerfile=dockerfile)), custom_context=True, tag=tag, rm=True
    )
    yield tag
    docker_client.images.remove(tag, force=True)


def test_an_entrypoint_that_drops_the_command_is_named_at_up(project, args_dropping_image) -> None:
    project.write(f"""
[services.app]
image = "{args_dropping_image}"
command = ["sh", "-c", "exec sleep 100000"]
""")
    result = project.run("up", "-d")
    assert result.code == 1, str(result)
    assert "devenv's supervisor never started" in result.err and "/start.sh" in result.err
    assert "entrypoint = []" in result.err and "supervise = false" in result.err
    # Either fix works.
    project.write(f"""
[services.app]
image = "{args_dropping_image}"
command = ["sh", "-c", "exec sleep 100000"]
entrypoint = []
""")
    project.ok("up", "-d")
