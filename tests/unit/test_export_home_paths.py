"""A data source written under `~` stays `~` in an export (compose and `docker stack deploy`
expand it to the home of whoever runs them); Kubernetes has no `~`, and its note says so
instead of naming the exporter's home folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devenv.config.loader import parse_project
from devenv.export import export_compose, export_k8s
from devenv.export.swarm import export_swarm

DIGEST = "127.0.0.1:5555/busybox@sha256:" + "c" * 64
PROJECT = """\
[project]
name = "shop"

[services.web]
image = "busybox:test"
command = ["true"]
data = [{ source = "~/datasets", target = "/data" }, { source = "local", target = "/local" }]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home" / "exporter"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    root = tmp_path / "proj"
    (root / "local").mkdir(parents=True)
    loaded = parse_project(PROJECT, root / "devenv.toml")
    assert loaded.services[0].data[0].source == home / "datasets"  # devenv up mounts this machine's
    return loaded


def test_compose_and_swarm_keep_the_tilde(project) -> None:
    compose = export_compose(project, images={"web": DIGEST}, envs={})
    swarm = export_swarm(project, images={"web": DIGEST}, envs={})
    assert yaml.safe_load(compose)["services"]["web"]["volumes"] == [
        "~/datasets:/data:ro",
        "./local:/local:ro",
    ]
    assert yaml.safe_load(swarm)["services"]["web"]["volumes"] == ["~/datasets:/data:ro", "./local:/local:ro"]
    assert "exporter" not in compose + swarm
    assert "the home of whoever runs `docker stack deploy`" in swarm


def test_k8s_says_there_is_no_tilde(project) -> None:
    text = export_k8s(project, images={"web": DIGEST}, envs={})["deployment-web.yaml"]
    assert "Not exported: data ~/datasets at /data" in text
    assert "Kubernetes has no `~`" in text and "exporter" not in text


def test_an_absolute_source_stays_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    written = PROJECT.replace("~/datasets", str(tmp_path / "datasets"))
    root = tmp_path / "a" / "b"
    (root / "local").mkdir(parents=True)
    project = parse_project(written, root / "devenv.toml")
    compose = yaml.safe_load(export_compose(project, images={"web": DIGEST}, envs={}))
    assert compose["services"]["web"]["volumes"][0] == f"{tmp_path / 'datasets'}:/data:ro"


def test_docker_compose_puts_the_tilde_in_the_home_of_whoever_runs_it(project, tmp_path: Path) -> None:
    import subprocess

    from tests.unit.test_export_compose import compose_bin

    out = tmp_path / "out"
    out.mkdir()
    (out / "docker-compose.yml").write_text(
        export_compose(project, images={"web": DIGEST}, envs={}, base_dir=out)
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/home/colleague"}
    result = subprocess.run(
        [compose_bin(), "config"], cwd=out, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert (
        yaml.safe_load(result.stdout)["services"]["web"]["volumes"][0] == "/home/colleague/datasets:/data:ro"
    )
