"""`code = { source, target }`: one folder of the project is a service's code, mounted and
watched for that service alone (a repository holding several small apps)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.errors import ConfigError
from devenv.reconcile.desired import ResolvedService, container_spec
from devenv.watch.loop import WatchLoop

TWO_APPS = """
    [services.vote]
    image = "python:3.12"
    command = ["python3", "app.py"]
    code = { source = "vote", target = "/usr/local/app" }

    [services.result]
    image = "python:3.12"
    command = ["python3", "app.py"]
    code = { source = "./result/", target = "/usr/local/app" }

    [services.web]
    image = "python:3.12"
    command = ["python3", "-m", "web"]
    code = "/app"
"""


def parse(root: Path, text: str):
    path = root / "devenv.toml"
    path.write_text(textwrap.dedent(text))
    return parse_project(path.read_text(), path)


def two_apps(root: Path):
    for folder in ("vote", "result"):
        (root / folder).mkdir()
        (root / folder / "app.py").write_text("print('hi')\n")
    return parse(root, TWO_APPS)


def test_a_code_table_names_a_project_folder_and_the_whole_project_stays_the_default(tmp_path: Path) -> None:
    project = two_apps(tmp_path)
    vote, result, web = (project.service(n) for n in ("vote", "result", "web"))
    assert (vote.code, vote.code_source, vote.workdir, vote.user) == ("/usr/local/app", "vote", "/usr/local/app", "host")
    assert result.code_source == "result"  # "./result/" normalized
    assert (web.code, web.code_source) == ("/app", "")
    assert vote.watch is not None and vote.watch.action == "restart"  # reloads without a [watch] table


def test_the_container_mounts_the_code_folder_not_the_project(tmp_path: Path) -> None:
    project = two_apps(tmp_path)
    resolved = ResolvedService("sha256:img", "reg/x:1", "sha256:d", {}, "pub", "full")
    binds = {
        s.name: [(m.source, m.target) for m in container_spec(project, s, "default", resolved, shim_dir=None).mounts]
        for s in project.services
    }
    assert binds["vote"] == [(str(tmp_path / "vote"), "/usr/local/app")]
    assert binds["result"] == [(str(tmp_path / "result"), "/usr/local/app")]
    assert binds["web"] == [(str(tmp_path), "/app")]


def test_a_save_reloads_only_the_services_whose_code_folder_holds_it(tmp_path: Path) -> None:
    project = two_apps(tmp_path)
    (tmp_path / "README.md").write_text("x\n")
    loop = WatchLoop(
        project,
        project.services,
        engine=None,  # type: ignore[arg-type]  # nothing here reaches the engine
        get_container=lambda _: pytest.fail("no action expected"),
        rebuild=lambda _: pytest.fail("no rebuild expected"),
        reporter=None,  # type: ignore[arg-type]
    )

    def pending() -> dict[str, int]:
        return {w.service.name: w.debouncer.pending() for w in loop.watched}

    loop._on_change(str(tmp_path / "vote" / "app.py"), False)
    assert pending() == {"vote": 1, "result": 0, "web": 1}  # web's code is the whole project
    loop._on_change(str(tmp_path / "result" / "app.py"), False)
    loop._on_change(str(tmp_path / "README.md"), False)
    assert pending() == {"vote": 1, "result": 1, "web": 3}


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("missing", 'services.vote.code.source: code folder "missing" does not exist'),
        ("../elsewhere", 'services.vote.code.source: code folder "../elsewhere" is outside the project'),
        ("/srv/app", 'services.vote.code.source: code folder "/srv/app" is outside the project'),
    ],
)
def test_a_code_folder_outside_the_project_or_missing_is_named(tmp_path: Path, source: str, says: str) -> None:
    (tmp_path.parent / "elsewhere").mkdir(exist_ok=True)
    text = f'[services.vote]\nimage = "x"\ncode = {{ source = "{source}", target = "/app" }}\n'
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, text)
    assert f"devenv.toml:3 {says}" in str(caught.value)


def test_an_exported_compose_file_binds_the_code_folder(tmp_path: Path) -> None:
    import yaml

    from devenv.export.compose import export_compose

    project = two_apps(tmp_path)
    images = {s.name: "reg/python@sha256:" + "0" * 64 for s in project.services}
    envs = {s.name: {} for s in project.services}
    doc = yaml.safe_load(export_compose(project, images=images, envs=envs))
    assert doc["services"]["vote"]["volumes"] == ["./vote:/usr/local/app"]
    assert doc["services"]["web"]["volumes"] == [".:/app"]
