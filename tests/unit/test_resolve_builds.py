"""`resolve_services` builds the images of a stack's services side by side (on a fresh machine a
stack with two services to build is ready in the time of the slower build, not of both), marks
each build's lines with its service, and raises the first failure in service order once every
build ended. The engine's builds are stand-ins here: only the order of events matters."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

import pytest

import devenv.reconcile.resolve as resolve
from devenv.config.load import load_project
from devenv.errors import ConfigError

PROJECT = """\
[project]
name = "stack"

[services.web]
build = "web"
env = "none"

[services.mail]
build = "mail"
env = "none"
"""


class NothingBuilt:
    """An engine holding no image yet (builds are the stand-in's)."""

    def inspect_image(self, ref: str) -> Optional[Any]:
        return None


@pytest.fixture
def project(tmp_path: Path) -> Any:
    for name in ("web", "mail"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM scratch\nLABEL service={name}\n")
    (tmp_path / "devenv.toml").write_text(PROJECT)
    return load_project(tmp_path, explicit=True)


def resolve_all(project: Any, lines: list[str]) -> resolve.Resolution:
    envs = resolve.resolve_envs(project, project.services, None)
    return resolve.resolve_services(
        NothingBuilt(), project, list(project.services), envs, progress=lambda e: lines.append(str(e))
    )


def test_two_builds_run_at_the_same_time_with_their_lines_marked(project, monkeypatch) -> None:
    both_started = threading.Barrier(2, timeout=60)  # one build after the other never gets past it

    def build(engine, project, service, *, base=None, inputs=None, progress=None) -> str:
        progress(f"Step 1/2 : FROM scratch ({service.name})")
        both_started.wait()
        return f"sha256:{service.name}"

    monkeypatch.setattr(resolve, "build_service_image", build)
    lines: list[str] = []
    done = resolve_all(project, lines)
    assert {n: s.image_id for n, s in done.services.items()} == {"web": "sha256:web", "mail": "sha256:mail"}
    assert sorted(lines) == ["mail: Step 1/2 : FROM scratch (mail)", "web: Step 1/2 : FROM scratch (web)"]


def test_the_first_failure_in_service_order_is_raised_after_the_other_build_ended(project, monkeypatch) -> None:
    ended: list[str] = []
    mail_ended = threading.Event()

    def build(engine, project, service, *, base=None, inputs=None, progress=None) -> str:
        if service.name == "web":
            mail_ended.wait(60)  # web fails last: its error still wins, being first in the file
            ended.append("web")
            raise ConfigError("services.web.build: build of web failed: no such package", "fix it")
        ended.append("mail")
        mail_ended.set()
        raise ConfigError("services.mail.build: build of mail failed: disk full", "free space")

    monkeypatch.setattr(resolve, "build_service_image", build)
    with pytest.raises(ConfigError, match="build of web failed"):
        resolve_all(project, [])
    assert ended == ["mail", "web"]


def test_a_single_build_keeps_its_lines_as_they_are(project, monkeypatch) -> None:
    def build(engine, project, service, *, base=None, inputs=None, progress=None) -> str:
        progress("Successfully built 1234")
        return "sha256:one"

    monkeypatch.setattr(resolve, "build_service_image", build)
    lines: list[str] = []
    envs = resolve.resolve_envs(project, project.services, None)
    resolve.resolve_services(
        NothingBuilt(), project, [project.service("web")], envs, progress=lambda e: lines.append(str(e))
    )
    assert lines == ["Successfully built 1234"]
