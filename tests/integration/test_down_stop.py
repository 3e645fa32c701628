"""`down` stops each container the way its service asks: the image's STOPSIGNAL, and SIGKILL
only after the service's own `stop_timeout` (not the project's). A service that needs time to
shut down cleanly (a database) gets it; one that asks for no grace does not wait."""

from __future__ import annotations

import io
import textwrap
import uuid

import pytest

from tests.conftest import busybox_context

pytestmark = pytest.mark.engine

# Shuts down only on SIGUSR1 (its STOPSIGNAL), taking a moment, and says so in its volume.
GRACEFUL = textwrap.dedent(
    """\
    trap 'sleep 2; echo clean > /data/shutdown; exit 0' USR1
    echo up > /data/shutdown
    while :; do sleep 0.1; done
    """
)


@pytest.fixture(scope="module")
def graceful_image(docker_client, registry) -> str:
    tag = f"devenv-test-graceful:{uuid.uuid4().hex[:8]}"
    dockerfile = textwrap.dedent(
        """\
        FROM scratch
        COPY busybox /bin/busybox
        COPY passwd /etc/passwd
        COPY group /etc/group
        RUN ["/bin/busybox", "--install", "-s", "/bin"]
        RUN mkdir -p /tmp /data && chmod 1777 /tmp
        COPY graceful.sh /graceful.sh
        STOPSIGNAL SIGUSR1
        CMD ["/bin/sh", "/graceful.sh"]
        """
    )
    context = busybox_context({"graceful.sh": GRACEFUL.encode()}, dockerfile)
    docker_client.images.build(
        fileobj=io.BytesIO(context), custom_context=True, tag=tag, rm=True, forcerm=True
    )
    yield tag
    docker_client.images.remove(tag, force=True)


def _shutdown_note(docker_client, volume: str, image: str) -> str:
    out = docker_client.containers.run(
        image, ["cat", "/data/shutdown"], volumes={volume: {"bind": "/data"}}, remove=True
    )
    return out.decode().strip()


def test_down_waits_the_services_own_timeout_with_its_stop_signal(
    project, docker_client, graceful_image
) -> None:
    project.write(
        f"""
        [project]
        name = "{project.name}"
        stop_timeout = "1s"

        [services.db]
        image = "{graceful_image}"
        volumes = ["data:/data"]
        stop_timeout = "10s"
        """
    )
    project.ok("up", "-d")
    volume = f"{project.name}-default-data"
    assert _shutdown_note(docker_client, volume, graceful_image) == "up"
    project.ok("down")
    # SIGUSR1 reached the process (not SIGTERM, which it ignores), and the 2 s it took were
    # granted: the project's 1 s would have SIGKILLed it before it wrote "clean".
    assert _shutdown_note(docker_client, volume, graceful_image) == "clean"
    docker_client.volumes.get(volume).remove()
