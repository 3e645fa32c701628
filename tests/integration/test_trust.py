"""The trust gate end to end, on the real engine: a devenv.toml that grants host access is
refused (exit 7, with the list) and nothing is created; `devenv trust` lets it run; a changed
file asks again; DEVENV_TRUST=1 / --trust let CI through; the env commands refuse files read
from outside the project the same way."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.podman]

PRIVILEGED = "web: runs privileged: every device and kernel capability of the host"


def write_privileged(project, image: str, command: str = "sleep 100000", volume: bool = True) -> None:
    project.write(f"""
[services.web]
image = "{image}"
command = ["sh", "-c", "{command}"]
supervise = false
privileged = true
{'volumes = ["data:/data"]' if volume else ""}
""")


def created(client, project_name: str) -> dict[str, list[str]]:
    label = {"label": f"dev.devenv.project={project_name}"}
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters=label)],
        "networks": [n.name for n in client.networks.list(filters=label)],
        "volumes": [v.name for v in client.volumes.list(filters=label)],
    }


def refused(result, project) -> None:
    assert result.code == 7, str(result)
    lines = result.err.splitlines()
    assert lines[0] == (
        f"error: {project.root / 'devenv.toml'} is not trusted, and it grants 1 thing beyond the "
        "project; nothing was done:"
    ), result.err
    assert lines[1] == f"  {PRIVILEGED}"
    assert lines[2].startswith("hint: review them, then `devenv trust`")
    assert "Traceback" not in result.err


def test_untrusted_privileged_file_is_refused_then_trusted_then_asked_again(
    project, busybox_image, docker_client
) -> None:
    write_privileged(project, busybox_image)
    nothing = {"containers": [], "networks": [], "volumes": []}

    refused(project.run("up", "-d"), project)
    refused(project.run("test", "--", "true"), project)
    refused(project.run("watch"), project)
    assert created(docker_client, project.name) == nothing  # not a container, network or volume

    doctor = project.run("doctor")
    assert "✘ trust" in doctor.out and "not trusted: 1 grant beyond the project" in doctor.out
    assert any(line.startswith("! grant ") and line.endswith(f"  {PRIVILEGED}") for line in doctor.out.splitlines())
    assert doctor.code == 7, str(doctor)

    listed = project.ok("trust")
    assert listed.out.split("\n")[1].split() == ["web", "runs", "privileged", "every", "device", "and",
                                                 "kernel", "capability", "of", "the", "host"]  # fmt: skip
    assert "trusted" in listed.err and "a change to the file asks again" in listed.err
    up = project.run("up", "-d")
    assert up.code == 0 or "operation not permitted" in up.err, str(up)  # a sandbox may refuse privilege
    (container,) = docker_client.containers.list(all=True, filters={"label": f"dev.devenv.project={project.name}"})
    assert container.attrs["HostConfig"]["Privileged"] is True
    assert "✔ trust" in project.run("doctor").out

    # Another command line: a changed file asks again, and the running container is left alone.
    write_privileged(project, busybox_image, command="sleep 200000")
    again = project.run("up", "-d")
    assert again.code == 7 and "changed since you trusted it" in again.err, str(again)
    container.reload()
    assert container.attrs["Config"]["Cmd"][-1] == "sleep 100000"  # not recreated

    # CI: the env var or the flag, no record needed; each says what it let through.
    for how in ({"DEVENV_TRUST": "1"}, {}):
        args = ("up", "-d") if how else ("up", "-d", "--trust")
        result = project.run(*args, **how)
        assert result.code == 0 or "operation not permitted" in result.err, str(result)
        assert f"trusting devenv.toml's 1 grant unasked (--trust / DEVENV_TRUST): {PRIVILEGED}" in result.err
    assert project.run("up", "-d", DEVENV_TRUST="0").code == 7

    project.ok("trust")
    project.ok("untrust")
    assert project.run("up", "-d").code == 7  # forgotten
    project.ok("--trust", "down", "--volumes")


def test_a_file_that_grants_nothing_needs_no_trust(project, busybox_image, docker_client) -> None:
    project.write(f"""
[services.web]
image = "{busybox_image}"
command = ["sleep", "100000"]
supervise = false
code = "/app"
volumes = ["data:/data"]
""")
    project.ok("up", "-d")
    assert "✔ trust" in project.run("doctor").out
    assert "grants nothing beyond the project folder" in project.ok("trust").err
    project.ok("down", "--volumes")


def test_env_files_outside_the_project_need_trust(offline_project, tmp_path) -> None:
    """Item 7: `[env] prod` named a host file (here a stand-in for ~/.aws/credentials) and
    `env show` printed it; now it is refused, unread, until trusted."""
    creds = tmp_path / "aws-credentials"
    creds.write_text("AWS_REGION=eu-west-1\n")
    offline_project.write(f'[env]\nprod = ["{creds}"]\n[services.web]\nimage = "busybox"\n')
    for command in (("env", "show"), ("env", "check"), ("export", "compose")):
        result = offline_project.run(*command)
        assert result.code == 7, str(result)
        assert f"[env] prod: reads a file outside the project: {creds}" in result.err
        assert "eu-west-1" not in result.out + result.err
    offline_project.ok("trust")
    shown = json.loads(offline_project.ok("env", "show", "--json", "--profile", "prod").out)
    assert [v["value"] for v in shown["variables"] if v["key"] == "AWS_REGION"] == ["eu-west-1"]
