"""`devenv watch` as a user runs it: attach to a running stack, reload on save, stream logs,
report a crash, recover, and leave the stack running (or down) on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest

from tests.integration.test_watch_support import app_url, run_app, served, wait_for, write_app

pytestmark = pytest.mark.engine


class Running:
    """`devenv watch` (or another long-running command) in the background, its output collected
    line by line."""

    def __init__(self, project, *args: str, command: str = "watch"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devenv", command, *args],
            cwd=project.root,
            env=project.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))

    def said(self, text: str, where: str = "err") -> bool:
        return any(text in line for line in (self.err if where == "err" else self.out))

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def dump(self) -> str:
        return "--- stdout\n" + "\n".join(self.out) + "\n--- stderr\n" + "\n".join(self.err)


TOML = """
[services.web]
image = "{image}"
command = ["/bin/sh", "/src/app.sh"]
code = "/src"
[services.web.watch]
ignore = ["devenv.lock"]
"""


@pytest.fixture
def stack(project, docker_client, busybox_image):
    project.write(TOML.format(image=busybox_image))
    write_app(project.root, "v1")
    container = run_app(docker_client, busybox_image, project.name, project.root)
    url = app_url(container)
    served(url, "v1")
    return project, container, url


@pytest.mark.podman
def test_watch_reloads_streams_logs_reports_a_crash_and_leaves_the_stack_up(stack, docker_client):
    project, container, url = stack
    run = Running(project)
    try:
        wait_for(lambda: run.said("watching web"), what=lambda: "the watching line\n" + run.dump())
        (project.root / "content").write_text("v2\n")
        served(url, "v2")
        wait_for(lambda: run.said("reloaded in"), what=lambda: "the reload line\n" + run.dump())
        wait_for(lambda: run.said("app: serving v2", "out"), what=lambda: "the log line\n" + run.dump())
        assert any(line.startswith("web") and "| app: serving v2" in line for line in run.out)

        (project.root / "crash").write_text("")
        wait_for(lambda: run.said("crashing on purpose"), what=lambda: "the crash report\n" + run.dump())
        assert run.said("save again")
        (project.root / "crash").unlink()
        (project.root / "content").write_text("v3\n")
        served(url, "v3")
    finally:
        code = run.interrupt()
    assert code == 0, run.dump()
    assert run.said("is still up"), run.dump()
    assert docker_client.containers.get(container.id).status == "running"


def test_watch_down_on_exit_takes_the_stack_down(stack, docker_client):
    project, _, _ = stack
    run = Running(project, "--down-on-exit")
    wait_for(lambda: run.said("watching web"), what=lambda: "the watching line\n" + run.dump())
    assert run.interrupt() == 0, run.dump()
    assert (
        docker_client.containers.list(all=True, filters={"label": f"dev.devenv.project={project.name}"}) == []
    )


def test_watch_without_a_running_stack_says_how_to_start_it(project, busybox_image):
    project.write(TOML.format(image=busybox_image))
    result = project.run("watch")
    assert result.code == 1, str(result)
    assert "has no running services to watch" in result.err
    assert "devenv up -d" in result.err
