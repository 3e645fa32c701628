"""One stack per git worktree, on the real engine with real `git worktree add` checkouts: each
worktree gets its own instance (containers, network, volumes, ports) serving its own code;
`down` in one leaves the other running with its data; `--instance` overrides; a separate clone
of the same project is refused instead of taking over; a removed worktree's stack is leftovers
that `down --all-stale` removes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, DevenvProject, free_port
from tests.integration.test_lite_client import PROBE

pytestmark = pytest.mark.engine

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(*args: str, cwd: Path) -> str:
    binary = shutil.which("git")
    if binary is None:
        if IN_CI:
            pytest.fail("CI=true but git is not installed")
        pytest.skip("git is not installed")
    done = subprocess.run(
        [binary, *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read().decode()


def status(checkout: DevenvProject, *args: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(checkout.ok("status", "--json", *args).out)
    return doc


def url(checkout: DevenvProject, *args: str) -> str:
    return str(status(checkout, *args)["services"][0]["urls"][0])


def checkout_of(main: DevenvProject, root: Path) -> DevenvProject:
    """Another checkout of the main worktree's project: same project name, its own folder."""
    other = DevenvProject(root, main.state_dir)
    other.name = main.name
    return other


@pytest.fixture
def main(project, registry, busybox_image) -> DevenvProject:
    """A git repository (its main worktree) holding a small committed project: a web server on
    the checkout's own www/ folder, with a named volume."""
    project.write(
        f"""
[services.web]
image = "{busybox_image}"
command = ["httpd", "-f", "-p", "8080", "-h", "/app/www"]
code = "/app"
ports = ["{free_port()}:8080"]
volumes = ["data:/data"]
supervise = false
"""
    )
    (project.root / "www").mkdir()
    (project.root / "www" / "index.html").write_text("main\n")
    git("init", "-q", cwd=project.root)
    git("add", "devenv.toml", "www", cwd=project.root)
    git("commit", "-qm", "a small project", cwd=project.root)
    return project


def add_worktree(main: DevenvProject, name: str) -> DevenvProject:
    root = main.root.parent / name
    git("worktree", "add", "-q", "--detach", str(root), cwd=main.root)
    return checkout_of(main, root)


def project_objects(docker_client, name: str, instance: str) -> tuple[set[str], set[str], set[str]]:
    filters = {"label": [f"dev.devenv.project={name}", f"dev.devenv.instance={instance}"]}
    return (
        {c.name for c in docker_client.containers.list(all=True, filters=filters)},
        {n.name for n in docker_client.networks.list(filters=filters)},
        {v.name for v in docker_client.volumes.list(filters=filters)},
    )


def test_two_worktrees_run_side_by_side_and_down_in_one_leaves_the_other(main, docker_client) -> None:
    feature = add_worktree(main, "Feature.Login")
    (feature.root / "www" / "index.html").write_text("feature\n")  # an edit in the worktree only
    main.ok("up", "-d")
    up = feature.ok("up", "-d")
    assert f"{main.name} (feature-login) [git worktree Feature.Login]: 1 change" in up.err

    mine, theirs = status(main), status(feature)
    assert (mine["instance"], mine["instance_source"], mine["worktree"]) == ("default", "default", None)
    assert (theirs["instance"], theirs["instance_source"], theirs["worktree"]) == (
        "feature-login",
        "worktree",
        "Feature.Login",
    )
    assert theirs["project_dir"] == str(feature.root) and theirs["created_from"] is None
    assert [o["instance"] for o in mine["other_instances"]] == ["feature-login"]
    assert mine["other_instances"][0]["created_from"] == [str(feature.root)]
    assert "[git worktree Feature.Login]" in feature.ok("status").out.splitlines()[0]

    for instance in ("default", "feature-login"):
        containers, networks, volumes = project_objects(docker_client, main.name, instance)
        assert containers == {f"{main.name}-{instance}-web"}
        assert networks == {f"{main.name}-{instance}"}
        assert volumes == {f"{main.name}-{instance}-data"}
    main_url, feature_url = url(main), url(feature)
    assert main_url != feature_url  # its own port
    assert fetch(main_url + "/") == "main\n" and fetch(feature_url + "/") == "feature\n"  # its own code

    main.ok("exec", "web", "--", "sh", "-c", "echo main-data > /data/mark")
    feature.ok("exec", "web", "--", "sh", "-c", "echo feature-data > /data/mark")
    feature.ok("down")
    assert project_objects(docker_client, main.name, "feature-login")[:2] == (set(), set())
    assert [s["state"] for s in status(main)["services"]] == ["running"]
    assert fetch(main_url + "/") == "main\n"
    assert main.ok("exec", "web", "--", "cat", "/data/mark").out == "main-data\n"

    feature.ok("up", "-d")  # the worktree's own volume was kept by its `down`
    assert feature.ok("exec", "web", "--", "cat", "/data/mark").out == "feature-data\n"
    feature.ok("down", "--volumes")
    assert project_objects(docker_client, main.name, "feature-login") == (set(), set(), set())
    assert project_objects(docker_client, main.name, "default")[2] == {f"{main.name}-default-data"}


def test_a_noop_up_in_a_worktree_loads_no_docker_py(main) -> None:
    feature = add_worktree(main, "feature")
    feature.ok("up", "-d")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "up", "-d"],
        cwd=feature.root,
        env=feature.env(),
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr
    assert f"{main.name} (feature) [git worktree feature]: up to date" in probe.stderr
    assert "LOADED []" in probe.stdout


def test_instance_overrides_the_worktree_name(main, docker_client) -> None:
    feature = add_worktree(main, "feature")
    feature.ok("up", "-d", "--instance", "qa")
    qa = status(feature, "--instance", "qa")
    assert (qa["instance"], qa["instance_source"], qa["worktree"]) == ("qa", "option", "feature")
    assert qa["services"][0]["state"] == "running"
    assert status(feature)["services"][0]["state"] == "not created"  # the worktree's own: untouched
    assert project_objects(docker_client, main.name, "feature")[0] == set()
    feature.ok("down", "--instance", "qa")
    assert project_objects(docker_client, main.name, "qa")[0] == set()


def test_a_devenv_test_run_in_a_worktree_gets_its_own_test_instance(main) -> None:
    feature = add_worktree(main, "feature")
    feature.ok("up", "-d")
    ran = feature.ok("test", "--", "sh", "-c", 'echo "instance=$DEVENV_INSTANCE"')
    assert "instance=test-" in ran.out
    assert status(feature)["services"][0]["state"] == "running"  # the worktree's stack stays


def test_a_separate_clone_neither_takes_over_nor_removes_the_first_ones_stack(main, docker_client) -> None:
    main.ok("up", "-d")
    before = status(main)["services"][0]["container"]
    clone = checkout_of(main, main.root.parent / "clone")
    git("clone", "-q", str(main.root), str(clone.root), cwd=main.root.parent)

    refused = clone.run("up", "-d")
    assert refused.code == 1, str(refused)
    error, hint = refused.err.strip().splitlines()[-2:]
    assert error == (
        f"error: {main.name} (default) was created from another folder, {main.root}: "
        "`devenv up` here would take it over with this folder's code"
    )
    assert "--instance NAME" in hint and f"devenv --project-dir {main.root} down --instance default" in hint

    refused = clone.run("down", "--volumes")
    assert refused.code == 1, str(refused)
    assert f"was created from another folder, {main.root}: `devenv down` here would remove" in refused.err
    assert status(main)["services"][0]["container"] == before  # neither recreated nor removed
    assert project_objects(docker_client, main.name, "default")[2] == {f"{main.name}-default-data"}
    shown = status(clone)
    assert shown["created_from"] == {"path": str(main.root), "live": True}
    assert f"created from {main.root} (another checkout's stack)" in clone.ok("status").out

    clone.ok("up", "-d", "--instance", "mine")  # the fix the hint gives
    assert fetch(url(clone, "--instance", "mine") + "/") == "main\n"
    clone.ok("down", "--instance", "mine")
    main.ok("down")


def test_a_removed_worktrees_stack_is_leftovers_for_down_all_stale(main, docker_client) -> None:
    main.ok("up", "-d")
    feature = add_worktree(main, "feature")
    feature.ok("up", "-d")
    git("worktree", "remove", "--force", str(feature.root), cwd=main.root)

    (other,) = status(main)["other_instances"]
    assert (other["instance"], other["folder_gone"], other["running"]) == ("feature", True, 1)
    assert "folder gone: `devenv down --all-stale` removes it" in main.ok("status").out
    swept = json.loads(main.ok("down", "--all-stale", "--json").out)
    assert swept["instances"] == ["feature"]
    assert swept["containers"] == [f"{main.name}-feature-web"]
    assert swept["kept_volumes"] == [f"{main.name}-feature-data"]  # data stays unless --volumes
    assert project_objects(docker_client, main.name, "feature") == (
        set(),
        set(),
        {f"{main.name}-feature-data"},
    )
    assert status(main)["services"][0]["state"] == "running"  # the main worktree's stack stays


def test_with_automatic_naming_off_a_worktree_shares_default_and_the_guard_holds(main) -> None:
    main.ok("up", "-d")
    feature = add_worktree(main, "feature")
    toml = feature.root / "devenv.toml"
    toml.write_text(
        toml.read_text().replace("[services.web]", "instance_per_worktree = false\n\n[services.web]")
    )
    assert status(feature)["instance"] == "default"
    refused = feature.run("up", "-d")
    assert refused.code == 1 and f"was created from another folder, {main.root}" in refused.err, str(refused)
    assert fetch(url(main) + "/") == "main\n"


def test_a_moved_project_folder_takes_its_stack_and_data_along(main) -> None:
    main.ok("up", "-d")
    main.ok("exec", "web", "--", "sh", "-c", "echo kept > /data/mark")
    moved = checkout_of(main, main.root.parent / "moved")
    main.root.rename(moved.root)
    up = moved.ok("up", "-d")
    assert f"was created from {main.root}, which no longer holds a devenv.toml: taking it over" in up.err
    assert status(moved)["created_from"] is None
    assert moved.ok("exec", "web", "--", "cat", "/data/mark").out == "kept\n"
    assert fetch(url(moved) + "/") == "main\n"
