"""`build.from` reaches a service build only through ${BASE_IMAGE}: a Dockerfile that names its
own FROM image is an error naming that line and the two-line change (not a silent build from a
public registry with a lock pinning an image never used); doctor names the catalog image to use."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.errors import ConfigError
from devenv.images.dockerfile import FromLine, base_arg_change, outside_bases
from devenv.images.service_build import check_from_used
from devenv.ops.doctor_build import build_check
from devenv.ops.doctor_checks import FAIL, OK
from devenv.ops.lock import write_lock


def _project(tmp_path: Path, dockerfile: str, build: str = '{ context = "api", from = "python:latest" }'):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text(textwrap.dedent(dockerfile))
    (tmp_path / "devenv.toml").write_text(
        f'[project]\nname = "p"\nregistry = "127.0.0.1:5555"\n[services.api]\nbuild = {build}\n'
    )
    return load_project(tmp_path, explicit=True)


def test_from_without_base_image_names_the_line_and_the_change(tmp_path: Path) -> None:
    project = _project(tmp_path, "# the api\nFROM python:3.11-slim\nRUN pip install x\n")
    with pytest.raises(ConfigError) as caught:
        check_from_used(project, project.service("api"))
    message, hint = caught.value.message, caught.value.hint or ""
    assert "services.api.build.from" in message and "api/Dockerfile:2: FROM python:3.11-slim" in message
    assert "`ARG BASE_IMAGE=python:3.11-slim`" in hint and "`FROM ${BASE_IMAGE}`" in hint


def test_lock_refuses_to_pin_a_from_the_build_never_uses(tmp_path: Path) -> None:
    project = _project(tmp_path, "FROM python:3.11-slim\n")
    with pytest.raises(ConfigError, match="has no effect"):
        write_lock(project)
    assert not (tmp_path / "devenv.lock").exists()


def test_a_dockerfile_starting_from_base_image_is_fine(tmp_path: Path) -> None:
    project = _project(tmp_path, "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\n")
    check_from_used(project, project.service("api"))
    assert build_check(None, project, project.service("api")).status == OK


def test_outside_bases_skip_stages_scratch_and_base_image() -> None:
    text = textwrap.dedent(
        """\
        ARG NODE=node:20
        FROM ${NODE} AS assets
        FROM golang:1.22 AS build
        FROM build AS test
        FROM scratch
        FROM ${BASE_IMAGE}
        FROM --platform=linux/amd64 python:3.11-slim AS app
        """
    )
    found = outside_bases(text)
    assert [(f.line, f.image, f.stage) for f in found] == [
        (2, "node:20", "assets"),
        (3, "golang:1.22", "build"),
        (7, "python:3.11-slim", "app"),
    ]


def test_the_change_keeps_the_stage_name() -> None:
    line = FromLine(3, "python:3.11-slim", "FROM python:3.11-slim AS app", "app")
    assert base_arg_change(line) == ("ARG BASE_IMAGE=python:3.11-slim", "FROM ${BASE_IMAGE} AS app")


def test_doctor_names_the_catalog_image_for_an_unreachable_base(tmp_path: Path, monkeypatch) -> None:
    project = _project(tmp_path, "FROM python:3.11-slim\n", build='{ context = "api" }')

    class Offline:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def manifest_digest(self, repository: str, reference: str) -> str:
            from devenv.errors import RegistryUnreachable

            raise RegistryUnreachable("registry docker.io is unreachable")

    monkeypatch.setattr("devenv.ops.doctor_build.client_for", Offline)
    check = build_check(None, project, project.service("api"), offered=lambda: {"python", "postgres"})
    assert check.status == FAIL and "api/Dockerfile:1: FROM python:3.11-slim" in check.detail
    assert 'from = "python:latest"' in (check.fix or "") and "FROM ${BASE_IMAGE}" in (check.fix or "")
