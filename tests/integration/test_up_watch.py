"""`devenv up` in the foreground, end to end: the stack comes up under the supervisor, a save
reloads the service in place, a Dockerfile change rebuilds it, and Ctrl-C leaves it running."""

from __future__ import annotations

import json

import pytest

from tests.conftest import free_port
from tests.integration.registry_helpers import remove_image
from tests.integration.test_watch_cli import Running
from tests.integration.test_watch_support import served, wait_for, write_app

pytestmark = pytest.mark.engine


def RunningUp(project, *args: str) -> Running:
    """`devenv up` (foreground) in the background, its output collected line by line."""
    return Running(project, *args, command="up")


def container_ids(project) -> dict[str, str]:
    return {s["service"]: s["container"] for s in json.loads(project.ok("status", "--json").out)["services"]}


@pytest.mark.podman
def test_up_watches_and_reloads_in_place(project, busybox_image) -> None:
    port = free_port()
    write_app(project.root, "v1")
    project.write(f"""
[services.web]
image = "{busybox_image}"
command = ["/bin/sh", "/src/app.sh"]
code = "/src"
ports = ["{port}:8080"]
""")
    url = f"http://127.0.0.1:{port}/"
    run = RunningUp(project)
    try:
        wait_for(
            lambda: run.said("watching web"), timeout=60, what=lambda: "the watching line\n" + run.dump()
        )
        served(url, "v1")
        before = container_ids(project)
        (project.root / "content").write_text("v2\n")
        served(url, "v2")
        wait_for(lambda: run.said("reloaded in"), what=lambda: "the reload line\n" + run.dump())
        assert container_ids(project) == before  # the process restarted, not the container
    finally:
        code = run.interrupt()
    assert code == 0, run.dump()
    assert run.said("is still up")
    served(url, "v2")  # Ctrl-C stopped watching only


def test_dockerfile_change_rebuilds_the_service(project, busybox_image) -> None:
    port = free_port()
    (project.root / "Dockerfile").write_text(
        'ARG BASE\nFROM ${BASE}\nCOPY version.txt /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
    )
    (project.root / "version.txt").write_text("build 1\n")
    project.write(f"""
[services.web]
build = {{ context = ".", args = {{ BASE = "{busybox_image}" }} }}
ports = ["{port}:8080"]

[services.web.watch]
action = "none"
rules = [{{ paths = ["Dockerfile", "version.txt"], action = "rebuild" }}]
""")
    url = f"http://127.0.0.1:{port}/"
    run = RunningUp(project)
    try:
        wait_for(
            lambda: run.said("watching web"), timeout=90, what=lambda: "the watching line\n" + run.dump()
        )
        served(url, "build 1")
        before = container_ids(project)["web"]
        (project.root / "version.txt").write_text("build 2\n")
        served(url, "build 2", timeout=90)
        wait_for(lambda: run.said("reloaded (rebuild) in"), what=lambda: "the reload line\n" + run.dump())
        assert container_ids(project)["web"] != before  # a new image means a new container
    finally:
        run.interrupt()


@pytest.mark.parametrize("how", ["foreground up", "watch after up -d"])
def test_a_rebuild_keeps_the_profile_the_stack_was_started_with(
    project, docker_client, busybox_image, how
) -> None:
    """`up --profile staging` resolves the env once and the watcher's rebuild recreates with that
    profile (a standalone `devenv watch`: the profile the container was made with): the new
    container gets the profile's value, not the default profile's."""
    (project.root / "Dockerfile").write_text(
        f'FROM {busybox_image}\nCOPY version.txt /version.txt\nCMD ["sleep", "100000"]\n'
    )
    (project.root / "version.txt").write_text("build 1\n")
    project.write("""
[env.profiles.staging]
set = { GREETING = "from-staging" }

[services.web]
build = "."

[services.web.watch]
action = "none"
rules = [{ paths = ["version.txt"], action = "rebuild" }]
""")

    def greeting(container_id: str) -> str:
        env = docker_client.api.inspect_container(container_id)["Config"]["Env"]
        return dict(item.partition("=")[::2] for item in env).get("GREETING", "(not set)")

    if how == "foreground up":
        run = RunningUp(project, "--profile", "staging")
    else:
        project.ok("up", "-d", "--profile", "staging")
        run = Running(project, "web")
    try:
        wait_for(
            lambda: run.said("watching web"), timeout=90, what=lambda: "the watching line\n" + run.dump()
        )
        before = container_ids(project)["web"]
        assert greeting(before) == "from-staging"
        (project.root / "version.txt").write_text("build 2\n")
        wait_for(
            lambda: run.said("reloaded (rebuild) in"), timeout=90, what=lambda: "the rebuild\n" + run.dump()
        )
        after = container_ids(project)["web"]
        assert after != before
        assert greeting(after) == "from-staging"
    finally:
        run.interrupt()
        project.ok("down")
        for image in docker_client.images.list(filters={"label": f"dev.devenv.project={project.name}"}):
            remove_image(docker_client, image.id)
