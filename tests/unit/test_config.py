"""Config loading: valid files become the model; broken ones give one exact line each."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from devenv.config.find import find_config
from devenv.config.load import load_project
from devenv.config.loader import parse_project
from devenv.errors import ConfigError


def parse(tmp_path: Path, text: str):
    path = tmp_path / "devenv.toml"
    path.write_text(textwrap.dedent(text))
    return parse_project(path.read_text(), path)


def error_of(tmp_path: Path, text: str, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, text)
    return str(caught.value)


def test_full_example_becomes_model(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    project = parse(
        tmp_path,
        """
        [project]
        name = "shop"
        registry = "registry.example.com/team"

        [services.web]
        image = "python:3.12"
        command = ["python", "-m", "shop.server"]
        ports = ["8000:8000", "0.0.0.0:9000:9000/udp", { container = 7000, strict = true }]
        code = "/app"
        data = [{ source = "data", target = "/data" }]
        volumes = ["uploads:/srv/uploads", "cache:/cache:ro"]
        depends_on = ["db"]

        [services.web.watch]
        paths = ["shop/"]
        debounce_ms = 50

        [services.db]
        image = "postgres:16"
        environment = { POSTGRES_PASSWORD = "app", PORT = 5432 }
        health = { cmd = ["pg_isready"], interval = "500ms", retries = 60 }
    """,
    )
    web = project.service("web")
    assert project.name == "shop"
    assert [(p.host, p.container, p.protocol, p.host_ip, p.strict) for p in web.ports] == [
        (8000, 8000, "tcp", "127.0.0.1", False),
        (9000, 9000, "udp", "0.0.0.0", False),
        (0, 7000, "tcp", "127.0.0.1", True),
    ]
    assert web.user == "host" and web.workdir == "/app" and web.env == "prod"
    assert web.data[0].source == (tmp_path / "data").resolve() and web.data[0].read_only
    assert [(v.name, v.read_only) for v in web.volumes] == [("uploads", False), ("cache", True)]
    assert web.watch is not None and web.watch.debounce_ms == 50 and web.watch.action == "restart"
    db = project.service("db")
    assert db.environment == (("PORT", "5432"), ("POSTGRES_PASSWORD", "app"))
    assert db.env is None and db.user is None
    assert db.health is not None and db.health.interval_s == 0.5 and db.health.retries == 60
    assert db.stop_timeout_s == 1.0


def test_project_name_defaults_to_folder(tmp_path: Path) -> None:
    folder = tmp_path / "My Shop"
    folder.mkdir()
    path = folder / "devenv.toml"
    path.write_text('[services.web]\nimage = "x:1"\n')
    assert parse_project(path.read_text(), path).name == "my-shop"


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / "devenv.toml").write_text('[services.web]\nimage = "x:1"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "devenv.toml"
    assert load_project(deep).root == tmp_path.resolve()
    with pytest.raises(ConfigError, match=r"no devenv\.toml in"):
        find_config(deep, explicit=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[services.web]\nimage = "x"\nports = ["80:80:80"]\n',
            'devenv.toml:3 services.web.ports[0]: "80:80:80" is not HOST:CONTAINER — e.g. "8000:8000"',
        ),
        (
            '[services.web]\nimage = "x"\nportz = ["80:80"]\n',
            'devenv.toml:3 services.web.portz: unknown key "portz" — did you mean "ports"?',
        ),
        (
            '[services.web]\nimage = "x"\ncode = 3\n',
            "devenv.toml:3 services.web.code: expected a container path, true, or {source, target}, got an integer 3",
        ),
        (
            "[services.web]\ncommand = []\n",
            "devenv.toml:2 services.web.command: expected a non-empty array of strings or a string, got an array []",
        ),
        (
            '[services.web]\nimage = "x"\n[services.web.health]\ncmd = ["true"]\ninterval = "soon"\n',
            'devenv.toml:5 services.web.health.interval: "soon" is not a duration — e.g. "500ms", "2s" or "1m30s"',
        ),
        (
            '[services.web]\nimage = "x"\ndepends_on = ["dbb"]\n[services.db]\nimage = "y"\n',
            'devenv.toml:3 services.web.depends_on[0]: unknown service "dbb" — did you mean "db"?',
        ),
        (
            '[services.a]\nimage = "x"\ndepends_on = ["b"]\n[services.b]\nimage = "x"\ndepends_on = ["a"]\n',
            "devenv.toml:3 services.a.depends_on: depends_on forms a cycle: a → b → a",
        ),
        (
            '[services.web]\nimage = "x"\n[services.web.watch]\naction = "reload"\n',
            'devenv.toml:4 services.web.watch.action: "reload" is not one of restart, restart-container, sync, rebuild, exec, none, sync+restart, sync+exec',
        ),
        (
            '[services.web]\nports = ["8000:8000"]\n',
            "devenv.toml:1 services.web: has neither image nor build",
        ),
        (
            '[services.web]\nimage = "x"\ndata = [{ source = "nope", target = "/d" }]\n',
            'devenv.toml:3 services.web.data[0].source: data path "nope" does not exist',
        ),
        ("[services.web\nimage = 1\n", "devenv.toml:1: invalid TOML"),
        (
            '[project]\nname = "Shop!"\n[services.web]\nimage = "x"\n',
            'devenv.toml:2 project.name: "Shop!" is not a project name (a-z, 0-9, _ -) — e.g. "shop"',
        ),
        (
            '[services.web]\nimage = "x"\nports = ["8000:80"]\n[services.api]\nimage = "x"\nports = ["8000:81"]\n',
            'devenv.toml:6 services.api.ports[0]: host port 8000/tcp is also published by service "web"',
        ),
        (
            '[env]\ndefault_profile = "staging"\n[services.web]\nimage = "x"\n',
            'devenv.toml:2 env.default_profile: unknown profile "staging"',
        ),
        (
            '[env.profiles.dev]\nextends = "qa"\n[services.web]\nimage = "x"\n',
            'devenv.toml:2 env.profiles.dev.extends: unknown profile "qa"',
        ),
        (
            '[project]\nname = "x"\n[services.web.health]\ninterval = "1s"\n',
            'devenv.toml:3 services.web.health: missing required key "cmd"',
        ),
        (
            '[services.web]\nimage = "x"\nvolumes = ["/abs:/data"]\n',
            'devenv.toml:3 services.web.volumes[0]: "/abs:/data" is not NAME:/container/path[:ro] — e.g. "uploads:/srv/uploads"',
        ),
        (
            '[services.web]\nimage = "x"\nports = ["70000:80"]\n',
            'devenv.toml:3 services.web.ports[0]: "70000:80": port 70000 is out of range 1-65535',
        ),
    ],
)
def test_broken_files_give_exact_messages(tmp_path: Path, monkeypatch, text: str, expected: str) -> None:
    assert error_of(tmp_path, text, monkeypatch).startswith(expected)


def test_error_hint_for_missing_data_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, '[services.web]\nimage = "x"\ndata = [{ source = "nope", target = "/d" }]\n')
    assert "never creates or deletes data" in (caught.value.hint or "")


def test_a_sync_outside_the_code_mount_is_fine_and_one_into_it_names_the_loop(tmp_path: Path, monkeypatch) -> None:
    """A sync into the `code` bind mount writes every copy back into the project folder, which
    the watcher sees as the next change (found on Docker and Podman alike): refused up front."""
    base = """
        [services.web]
        image = "busybox:test"
        code = "/app"
        [services.web.watch]
        action = "sync"
        """
    outside = parse(tmp_path, base + 'sync_target = "/srv/static"\n')
    assert outside.service("web").watch.sync_target == "/srv/static"
    assert parse(tmp_path, base + 'sync_target = "/application"\n')  # a prefix of the name is not inside
    message = error_of(tmp_path, base + 'sync_target = "/app/./static/"\n', monkeypatch)
    assert message.startswith(
        'devenv.toml:7 services.web.watch.sync_target: sync_target "/app/./static/" is inside the code mount "/app"'
    )
    assert "\n" not in message


WATCH = '[services.web]\nimage = "x"\n[services.web.watch]\nrules = [\n'


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            '{ paths = ["a/"], action = "restart", target = "/a" }',
            'devenv.toml:5 services.web.watch.rules[0].target: target is for sync actions, not "restart"',
        ),
        (
            '{ paths = ["a/*.js"], action = "sync", target = "/a" }',
            "devenv.toml:5 services.web.watch.rules[0].target: a target needs the one folder or file it mirrors",
        ),
        (
            '{ paths = ["a/"], action = "sync", target = "/a", source = "../up" }',
            'devenv.toml:5 services.web.watch.rules[0].source: "../up" is not a project-relative folder or file',
        ),
        (
            '{ paths = ["a/"], action = "rebuild", exec = ["make"] }',
            'devenv.toml:5 services.web.watch.rules[0].exec: exec is for the exec actions, not "rebuild"',
        ),
        (
            '{ paths = ["a/"], action = "sync", initial_sync = true }',
            "devenv.toml:5 services.web.watch.rules[0].initial_sync: initial_sync needs a target",
        ),
    ],
)
def test_watch_rule_keys_are_checked(tmp_path: Path, monkeypatch, rule: str, expected: str) -> None:
    assert error_of(tmp_path, WATCH + f"  {rule},\n]\n", monkeypatch).startswith(expected)


def test_watch_rule_source_defaults_to_its_one_path(tmp_path: Path) -> None:
    project = parse(
        tmp_path,
        WATCH
        + '  { paths = ["/web/"], action = "sync+restart", target = "/src/web", initial_sync = true },\n'
        + '  { paths = ["/t/*.html"], action = "sync+exec", target = "/t", source = "./t", exec = ["reload"] },\n'
        + '  { paths = ["."], action = "sync", target = "/all" },\n]\n',
    )
    rules = project.services[0].watch.rules
    assert [(r.source, r.target) for r in rules] == [("web", "/src/web"), ("t", "/t"), ("", "/all")]
    assert rules[0].initial_sync is True and rules[1].exec == ("reload",)


def test_a_rule_that_syncs_into_the_code_mount_is_refused_by_its_target(tmp_path: Path, monkeypatch) -> None:
    base = '[services.web]\nimage = "x"\ncode = "/app"\n[services.web.watch]\nrules = [\n'
    inside = '  { paths = ["static/"], action = "sync+restart", target = "/app/static" },\n]\n'
    message = error_of(tmp_path, base + inside, monkeypatch)
    assert message.startswith(
        'devenv.toml:6 services.web.watch.rules[0].target: target "/app/static" is inside the code mount "/app"'
    )
    outside = '  { paths = ["static/"], action = "sync+restart", target = "/srv/static" },\n]\n'
    assert parse(tmp_path, base + outside).service("web").watch.rules[0].target == "/srv/static"
