from __future__ import annotations

import pytest

from devenv.errors import ConfigError
from devenv.registry.reference import ImageRef, parse_reference, registry_host, resolve_image

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("python:3.12", "reg.example.com/team/python:3.12"),
        ("python", "reg.example.com/team/python:latest"),
        ("tools/lint:1", "reg.example.com/team/tools/lint:1"),
        ("other.io/x/python:3.12", "other.io/x/python:3.12"),  # a registry host: used as is
        ("localhost:5000/python:3", "localhost:5000/python:3"),
        (f"python@{DIGEST}", f"docker.io/library/python@{DIGEST}"),  # a digest: used as is
    ],
)
def test_short_names_resolve_against_the_project_registry(image: str, expected: str) -> None:
    assert str(resolve_image(image, "reg.example.com/team", environ={})) == expected


def test_devenv_registry_overrides_the_project_registry() -> None:
    ref = resolve_image("python:3.12", "reg.example.com/team", environ={"DEVENV_REGISTRY": "mirror:5000/t/"})
    assert ref == ImageRef("mirror:5000", "t/python", "3.12", None)


def test_without_any_registry_short_names_mean_docker_hub() -> None:
    assert str(resolve_image("python:3.12", None, environ={})) == "docker.io/library/python:3.12"


def test_pinned_keeps_the_tag_for_display_but_runs_the_digest() -> None:
    ref = resolve_image("python:3.12", "127.0.0.1:5555", environ={}).pinned(DIGEST)
    assert str(ref) == f"127.0.0.1:5555/python@{DIGEST}"
    assert ref.display == f"127.0.0.1:5555/python:3.12@{DIGEST}"
    assert ref.reference == DIGEST


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("Python:3", "'Python' is not a valid repository name part"),
        ("python:3:4", "'3:4' is not a valid tag"),
        ("python@sha256:xyz", "'sha256:xyz' is not a digest"),
    ],
)
def test_invalid_references_name_the_problem(bad: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_reference(bad, where="services.web.image")
    assert info.value.message.startswith(f"services.web.image: '{bad}' is not an image reference: {why}")
    assert info.value.hint


def test_registry_host_drops_the_path() -> None:
    assert registry_host("reg.example.com/team") == "reg.example.com"
    assert registry_host("index.docker.io") == "docker.io"
