"""The built-project cache (`config.project_cache`): a project comes from it only while the file,
the devenv code and every file-system answer the build got are the same; anything else is a miss
that parses afresh, with the parser's own errors. An entry never runs code."""

from __future__ import annotations

import os
import pickle
import stat
import textwrap
from pathlib import Path

import pytest

from devenv.config import project_cache
from devenv.config.load import load_project
from devenv.config.loader import parse_project
from devenv.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TEXT = """
[project]
name = "cached"

[services.web]
image = "127.0.0.1:5555/python:latest"
code = { source = "app", target = "/app" }
data = [{ source = "disk", target = "/data" }, { source = "~/models", target = "/models" }]
build = { context = "ctx" }
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    for sub in ("app", "disk", "ctx"):
        (root / sub).mkdir(parents=True)
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (root / "devenv.toml").write_text(textwrap.dedent(TEXT))
    return root


def entry(root: Path) -> Path:
    return project_cache.entry_path(root / "devenv.toml")


def parsed(root: Path):
    path = root / "devenv.toml"
    return parse_project(path.read_text(), path)


def test_second_load_is_the_cached_project_and_equal_to_a_parse(folder: Path) -> None:
    first = load_project(folder)
    assert entry(folder).is_file()
    assert stat.S_IMODE(entry(folder).stat().st_mode) == 0o600
    second = load_project(folder)
    assert second == first == parsed(folder)
    assert project_cache.lookup(folder / "devenv.toml", (folder / "devenv.toml").read_text()) == first


def test_an_edit_is_seen_at_once(folder: Path) -> None:
    load_project(folder)
    path = folder / "devenv.toml"
    path.write_text(path.read_text().replace('name = "cached"', 'name = "renamed"'))
    assert load_project(folder).name == "renamed"


def test_a_data_path_gone_is_the_parsers_error_not_the_cached_project(folder: Path) -> None:
    load_project(folder)
    (folder / "disk").rmdir()
    with pytest.raises(ConfigError, match='data path "disk" does not exist'):
        load_project(folder)


def test_a_code_folder_or_build_context_gone_is_a_miss(folder: Path) -> None:
    load_project(folder)
    (folder / "ctx").rmdir()
    with pytest.raises(ConfigError, match='folder "ctx" does not exist'):
        load_project(folder)
    (folder / "ctx").mkdir()
    load_project(folder)
    (folder / "app").rmdir()
    with pytest.raises(ConfigError, match='code folder "app" does not exist'):
        load_project(folder)


def test_a_symlink_retargeted_is_a_new_project(folder: Path, tmp_path: Path) -> None:
    (folder / "disk").rmdir()
    (tmp_path / "disk1").mkdir()
    (tmp_path / "disk2").mkdir()
    (folder / "disk").symlink_to(tmp_path / "disk1")
    assert load_project(folder).services[0].data[0].source == tmp_path / "disk1"
    (folder / "disk").unlink()
    (folder / "disk").symlink_to(tmp_path / "disk2")
    assert load_project(folder).services[0].data[0].source == tmp_path / "disk2"


def test_another_home_is_another_project(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_project(folder)
    other = tmp_path / "other-home"
    (other / "models").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(other))
    assert load_project(folder).services[0].data[1].source == other / "models"


def test_other_devenv_code_is_a_miss(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = folder / "devenv.toml"
    load_project(folder)
    code = tmp_path / "code"
    code.mkdir()
    (code / "model.py").write_text("# another version\n")
    monkeypatch.setattr(project_cache, "_CODE", code)
    assert project_cache.lookup(path, path.read_text()) is None
    load_project(folder)  # kept again, for this code
    assert project_cache.lookup(path, path.read_text()) == parsed(folder)


def test_each_devenv_toml_has_its_own_entry(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "devenv.toml").write_text('[services.db]\nimage = "127.0.0.1:5555/postgres:16"\n')
    assert load_project(folder).name == "cached"
    assert load_project(other).service_names == ("db",)
    assert load_project(folder).name == "cached"


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize(
    "content",
    [
        b"not a pickle",
        b"",
        pickle.dumps(["a list"]),
        pickle.dumps({"config": "x", "facts": "not triples"}),
        pickle.dumps({"project": _Boom()}),
    ],
    ids=["garbage", "empty", "list", "bad-facts", "code"],
)
def test_a_broken_or_foreign_entry_is_a_miss_and_runs_nothing(
    folder: Path, content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    load_project(folder)
    entry(folder).write_bytes(content)
    assert project_cache.lookup(folder / "devenv.toml", (folder / "devenv.toml").read_text()) is None
    assert load_project(folder) == parsed(folder)
    assert not (folder / "pwned").exists()


def test_an_entry_with_wrong_facts_triples_is_a_miss(folder: Path) -> None:
    path = folder / "devenv.toml"
    load_project(folder)
    held = pickle.loads(entry(folder).read_bytes())
    held["facts"] = [("resolve", str(folder))]  # pairs, not triples
    entry(folder).write_bytes(pickle.dumps(held))
    assert project_cache.lookup(path, path.read_text()) is None


def test_a_cache_that_cannot_be_written_is_only_slower(folder: Path, tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the state folder would be")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(blocked / "state"))
    assert load_project(folder) == parsed(folder)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "devenv.toml").is_file()))
def test_every_example_round_trips(example: str) -> None:
    root = EXAMPLES / example
    first = load_project(root, explicit=True)
    again = load_project(root, explicit=True)
    assert again == first == parsed(root)
    assert project_cache.lookup(root / "devenv.toml", (root / "devenv.toml").read_text()) == first
