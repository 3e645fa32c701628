"""The sync copy helper on the real engine: one long-lived process per container carries every
change; when it cannot run or dies, the engine's put_archive does the copy and nothing is lost."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from devenv.watch import actions
from devenv.watch.sync_agent import SyncAgent
from tests.conftest import busybox_context
from tests.integration.test_watch_support import exec_out, run_app

pytestmark = pytest.mark.engine

HELPER = "iflag=fullblock"  # a word of the helper's script: how `ps` finds it


def _sleeper(docker_client, image: str, project: str):
    return run_app(docker_client, image, project, None, command=["sleep", "100000"], supervised=False)


def _helpers(container) -> int:
    _, out = exec_out(container, ["ps", "-o", "args"])
    return sum(1 for line in out.splitlines() if HELPER in line and "ps -o" not in line)


def _stat(container, path: str) -> str:
    code, out = exec_out(container, ["stat", "-c", "%u:%g %a %n", path])
    return out.strip() if code == 0 else ""


def test_every_change_goes_through_one_helper(
    engine, docker_client, busybox_image, proj, tmp_path: Path
) -> None:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    script = root / "pkg" / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o750)
    container = _sleeper(docker_client, busybox_image, proj)
    agent = SyncAgent(engine, container.id)
    assert agent.warm()
    for i in range(5):
        (root / "pkg" / "a.txt").write_text(f"v{i}")
        actions.sync(
            engine,
            engine.inspect_container(container.id),
            root,
            ["pkg/a.txt", "pkg/run.sh"],
            "/app",
            4321,
            4322,
            agent=agent,
        )
        assert exec_out(container, ["cat", "/app/pkg/a.txt"])[1] == f"v{i}"
    assert _helpers(container) == 1  # one process carried all five, no exec per change
    assert _stat(container, "/app/pkg/run.sh") == "4321:4322 750 /app/pkg/run.sh"
    assert _stat(container, "/app/pkg") == "4321:4322 755 /app/pkg"

    script.unlink()
    result = actions.sync(
        engine, engine.inspect_container(container.id), root, ["pkg/run.sh"], "/app", 4321, 4322, agent=agent
    )
    assert result.deleted == 1 and not _stat(container, "/app/pkg/run.sh")
    assert _helpers(container) == 1
    agent.close()


def test_a_helper_that_died_is_replaced_and_the_change_still_lands(
    engine, docker_client, busybox_image, proj, tmp_path: Path
) -> None:
    root = tmp_path / "src"
    root.mkdir()
    container = _sleeper(docker_client, busybox_image, proj)
    agent = SyncAgent(engine, container.id)
    assert agent.warm() and _helpers(container) == 1
    container.restart(timeout=0)  # the helper dies with the container's processes

    (root / "index.html").write_text("after restart")
    actions.sync(
        engine, engine.inspect_container(container.id), root, ["index.html"], "/app", 0, 0, agent=agent
    )  # put_archive did this one
    assert exec_out(container, ["cat", "/app/index.html"])[1] == "after restart"

    (root / "index.html").write_text("helper again")
    actions.sync(
        engine, engine.inspect_container(container.id), root, ["index.html"], "/app", 0, 0, agent=agent
    )
    assert exec_out(container, ["cat", "/app/index.html"])[1] == "helper again"
    assert _helpers(container) == 1
    agent.close()


def test_an_image_without_a_shell_is_copied_to_by_the_engine(
    engine, docker_client, busybox_image, proj, tmp_path: Path
) -> None:
    tag = f"{busybox_image.rsplit(':', 1)[0]}:no-shell"
    dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\n"  # no /bin/sh: the helper cannot run
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context(dockerfile=dockerfile)), custom_context=True, tag=tag, rm=True
    )
    root = tmp_path / "src"
    root.mkdir()
    (root / "a.txt").write_text("copied anyway")
    container = run_app(
        docker_client, tag, proj, None, command=["/bin/busybox", "sleep", "100000"], supervised=False
    )
    agent = SyncAgent(engine, container.id)
    assert not agent.warm()
    actions.sync(engine, engine.inspect_container(container.id), root, ["a.txt"], "/app", 0, 0, agent=agent)
    assert exec_out(container, ["/bin/busybox", "cat", "/app/a.txt"])[1] == "copied anyway"
    (root / "a.txt").unlink()
    with pytest.raises(actions.ActionError):  # deleting needs `rm` in the container: said, not skipped
        actions.sync(
            engine, engine.inspect_container(container.id), root, ["a.txt"], "/app", 0, 0, agent=agent
        )


def test_a_copy_the_container_refuses_is_an_error_not_silence(
    engine, docker_client, busybox_image, proj, tmp_path: Path
) -> None:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.txt").write_text("x")
    container = _sleeper(docker_client, busybox_image, proj)
    exec_out(container, ["sh", "-c", "echo not a folder > /app"])  # /app/pkg cannot be made
    agent = SyncAgent(engine, container.id)
    assert agent.warm()
    with pytest.raises(actions.ActionError, match="tar in the container failed"):
        actions.sync(
            engine, engine.inspect_container(container.id), root, ["pkg/a.txt"], "/app", 0, 0, agent=agent
        )
    assert _helpers(container) == 1  # the helper survives a failed message
    agent.close()
