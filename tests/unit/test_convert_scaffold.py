"""Plain `devenv init`: the template is valid devenv.toml, writes lose nothing, .gitignore stays tidy."""

from __future__ import annotations

import pytest

from devenv.config.loader import parse_project
from devenv.convert import ScaffoldAnswers, ensure_gitignore, scaffold, write_config
from devenv.convert.scaffold import port_string
from devenv.errors import ConfigError


def test_full_answers_make_a_valid_file(tmp_path):
    text = scaffold(
        ScaffoldAnswers("My Shop", "registry.example.com/team", "python:3.12", "8000", "/app", "web")
    )
    project = parse_project(text, tmp_path / "devenv.toml")
    assert project.name == "my-shop" and project.registry == "registry.example.com/team"
    web = project.service("web")
    assert web.image == "python:3.12" and web.code == "/app"
    assert [(p.host, p.container, p.host_ip) for p in web.ports] == [(8000, 8000, "127.0.0.1")]
    assert web.watch is not None and web.watch.action == "restart"
    assert "# registry" not in text and "# [env]" in text  # commented guidance for what was not asked


def test_minimal_answers_make_a_valid_file(tmp_path):
    text = scaffold(ScaffoldAnswers("shop"))
    project = parse_project(text, tmp_path / "devenv.toml")
    assert project.registry is None and project.service("app").code is None
    assert '# registry = "registry.example.com/team"' in text


@pytest.mark.parametrize(("raw", "expected"), [("8000", "8000:8000"), ("8080:80", "8080:80")])
def test_port_string(raw, expected):
    assert port_string(raw) == expected


@pytest.mark.parametrize("raw", ["x", "0", "70000", "1:2:3", ""])
def test_port_string_rejects(raw):
    with pytest.raises(ConfigError, match="is not PORT or HOST:CONTAINER"):
        port_string(raw)


def test_write_refuses_then_keeps_a_backup(tmp_path):
    write_config(tmp_path, "first\n")
    with pytest.raises(ConfigError, match="already exists") as err:
        write_config(tmp_path, "second\n")
    assert "--force" in err.value.hint
    assert (tmp_path / "devenv.toml").read_text() == "first\n"
    result = write_config(tmp_path, "second\n", force=True)
    assert result.backup == tmp_path / "devenv.toml.bak"
    assert result.backup.read_text() == "first\n"
    assert (tmp_path / "devenv.toml").read_text() == "second\n"


def test_gitignore_created_appended_never_duplicated(tmp_path):
    assert ensure_gitignore(tmp_path) == [".devenv/"]
    assert (tmp_path / ".gitignore").read_text() == ".devenv/\n"
    assert ensure_gitignore(tmp_path) == []
    (tmp_path / ".gitignore").write_text("node_modules")  # no trailing newline
    assert ensure_gitignore(tmp_path) == [".devenv/"]
    assert (tmp_path / ".gitignore").read_text() == "node_modules\n.devenv/\n"
    (tmp_path / ".gitignore").write_text("/.devenv\n")
    assert ensure_gitignore(tmp_path) == []
