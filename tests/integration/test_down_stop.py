"""`down` stops each container the way its service asks: the image's STOPSIGNAL, and SIGKILL
only after the service's own `stop_timeout` (not the project's). A service that needs time to
shut down cleanly (a database) gets it; one that asks for no grace does not wait."""

from __future__ import annotations

import io
import textwrap
import uuid

import pytest

from tests.conftest import busybox_context, harness_run_options

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
        image,
        ["cat", "/data/shutdown"],
        volumes={volume: {"bind": "/data"}},
        remove=True,
        **harness_run_options(docker_client),
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


def test_a_container_attached_by_hand_keeps_the_network_and_is_named(
    project, docker_client, busybox_image
) -> None:
    """`down` removes devenv's containers, then cannot remove the network while a container it
    did not create is attached: it says which one and how to detach it (exit 3), touches it not,
    and the next `down` finishes once it is gone."""
    project.write(
        f"""
        [services.worker]
        image = "{busybox_image}"
        command = ["sleep", "3600"]
        """
    )
    project.ok("up", "-d")
    network = f"{project.name}-default"
    debug = docker_client.containers.run(
        busybox_image,
        ["sleep", "3600"],
        name=f"{project.name}-debug",
        network=network,
        detach=True,
        **harness_run_options(docker_client),
    )
    try:
        result = project.run("down")
        assert result.code == 3, str(result)
        assert f"network {network} still has containers devenv did not create attached: {debug.name}" in result.err
        assert f"docker network disconnect {network} CONTAINER" in result.err
        assert "Traceback" not in result.err
        debug.reload()
        assert debug.status == "running"  # not devenv's: untouched
        assert not docker_client.containers.list(all=True, filters={"label": f"dev.devenv.project={project.name}"})
        assert docker_client.networks.list(names=[network])
    finally:
        debug.remove(force=True)
    project.ok("down")
    assert not docker_client.networks.list(names=[network])
