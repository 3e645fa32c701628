"""The compose model before conversion: merging (the examples of the compose-spec merge.md,
transcribed as data), `!reset` / `!override`, `include`, `extends` (same file and another
file, its paths rebased), and `profiles` — then `init --from` on such a project end to end."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.convert import convert_compose
from devenv.convert.compose_model import load_model, merge
from devenv.convert.draft import Draft

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def model(tmp_path: Path, main: str, *overrides: str, profiles: tuple[str, ...] = ()):
    draft = Draft("compose.yaml", "p")
    files = [write(tmp_path / f"override{i}.yaml", o) for i, o in enumerate(overrides)]
    doc = load_model(write(tmp_path / "compose.yaml", main), draft, overrides=files, profiles=profiles)
    return doc, draft


# merge.md, each example: (base, override, expected services.foo)
MERGE_EXAMPLES = [
    ({"key1": "value1", "key2": "value2"}, {"key2": "VALUE", "key3": "value3"},
     {"key1": "value1", "key2": "VALUE", "key3": "value3"}),
    ({"DNS": ["1.1.1.1"]}, {"DNS": ["8.8.8.8"]}, {"DNS": ["1.1.1.1", "8.8.8.8"]}),
    ({"command": ["echo", "foo"]}, {"command": ["echo", "bar"]}, {"command": ["echo", "bar"]}),
    ({"volumes": ["foo:/work"]}, {"volumes": ["bar:/work"]}, {"volumes": ["bar:/work"]}),
]  # fmt: skip


@pytest.mark.parametrize(("base", "over", "expected"), MERGE_EXAMPLES)
def test_merge_rules_of_the_spec(base, over, expected):
    doc = merge({"services": {"foo": base}}, {"services": {"foo": over}})
    assert doc["services"]["foo"] == expected


def test_list_forms_merge_as_mappings_and_healthcheck_test_is_replaced():
    doc = merge(
        {"services": {"a": {"environment": ["A=1", "B=2"], "depends_on": ["db"],
                            "healthcheck": {"test": ["CMD", "x"], "interval": "5s"}}}},
        {"services": {"a": {"environment": {"B": "3"}, "depends_on": {"cache": {"condition": "service_healthy"}},
                            "healthcheck": {"test": ["CMD", "y"]}}}},
    )  # fmt: skip
    a = doc["services"]["a"]
    assert a["environment"] == {"A": "1", "B": "3"}
    assert a["depends_on"] == {
        "db": {"condition": "service_started"},
        "cache": {"condition": "service_healthy"},
    }
    assert a["healthcheck"] == {"test": ["CMD", "y"], "interval": "5s"}


def test_reset_and_override_tags(tmp_path):
    # merge.md's own examples: `ports: !reset []`, `FOO: !reset null`, `ports: !override [...]`
    doc, _ = model(
        tmp_path,
        """\
        services:
          app:
            image: myapp
            ports: ["8080:80"]
            environment:
              FOO: BAR
          other:
            image: x
            ports: ["8080:80"]
        """,
        """\
        services:
          app:
            image: myapp
            ports: !reset []
            environment:
              FOO: !reset null
          other:
            ports: !override
              - "8443:443"
        """,
    )
    assert doc["services"]["app"] == {"image": "myapp", "environment": {}}
    assert doc["services"]["other"]["ports"] == ["8443:443"]


def test_extends_in_the_same_file_and_from_another_with_paths_rebased(tmp_path):
    write(
        tmp_path / "common" / "services.yml",
        """\
        services:
          webapp:
            build: .
            ports: ["8000:8000"]
            volumes: ["./static:/srv/static", "/data"]
            env_file: web.env
            environment: {LOG: info}
        """,
    )
    doc, draft = model(
        tmp_path,
        """\
        services:
          web:
            extends:
              file: common/services.yml
              service: webapp
            environment: {LOG: debug}
          base:
            image: busybox
            command: ["sh"]
          worker:
            extends: base
            command: ["work"]
        """,
    )
    assert doc["services"]["web"] == {
        "build": "./common",
        "ports": ["8000:8000"],
        "volumes": ["./common/static:/srv/static", "/data"],
        "env_file": ["./common/web.env"],
        "environment": {"LOG": "debug"},
    }
    assert doc["services"]["worker"] == {"image": "busybox", "command": ["work"]}
    assert not draft.unconverted


def test_an_extends_cycle_is_named_not_followed(tmp_path):
    doc, draft = model(
        tmp_path,
        "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n    image: y\n",
    )
    assert any("extends in a cycle" in item for item in draft.unconverted)
    assert doc["services"]["a"]["image"] == "x"


def test_include_brings_services_relative_to_their_own_folder(tmp_path):
    write(
        tmp_path / "infra" / "compose.yaml",
        """\
        services:
          db:
            image: postgres
            volumes: ["./init:/docker-entrypoint-initdb.d:ro"]
          web:
            image: not-this-one
        volumes:
          dbdata: {}
        """,
    )
    doc, draft = model(
        tmp_path,
        """\
        include:
          - infra/compose.yaml
        services:
          web:
            image: web
            depends_on: [db]
        """,
    )
    assert doc["services"]["db"]["volumes"] == ["./infra/init:/docker-entrypoint-initdb.d:ro"]
    assert doc["services"]["web"]["image"] == "web"
    assert doc["volumes"] == {"dbdata": {}}
    assert "include" not in doc
    assert any("services.web" in item and "defines it too" in item for item in draft.unconverted)


def test_profiles_select_services_and_keep_what_active_ones_need(tmp_path):
    text = """\
    services:
      web:
        image: web
        depends_on: [cache]
      cache:
        image: redis
        profiles: [perf]
      debug:
        image: busybox
        profiles: [debug, tools]
    """
    doc, draft = model(tmp_path, text)
    assert sorted(doc["services"]) == ["cache", "web"]  # cache: web depends on it
    assert any(
        item.startswith("services.debug: in compose profile debug, tools, not active")
        for item in draft.unconverted
    )
    doc, _ = model(tmp_path, text, profiles=("tools",))
    assert sorted(doc["services"]) == ["cache", "debug", "web"]
    assert "profiles" not in doc["services"]["debug"]


def test_init_from_a_project_that_includes_and_extends(tmp_path):
    """The whole path: a main file with include and extends becomes a devenv.toml that loads."""
    (tmp_path / "api").mkdir()
    write(tmp_path / "db" / "compose.yaml", "services:\n  db:\n    image: postgres:16\n")
    write(tmp_path / "base.yaml", "services:\n  py:\n    build: ./api\n    command: [python, -m, api]\n")
    write(
        tmp_path / "compose.yaml",
        """\
        include: [db/compose.yaml]
        services:
          api:
            extends: {file: base.yaml, service: py}
            ports: ["8000:8000"]
            depends_on: [db]
        """,
    )
    conv = convert_compose(tmp_path / "compose.yaml", tmp_path)
    doc = tomllib.loads(conv.toml_text)
    assert doc["services"]["api"]["build"] == {"context": "api"}
    assert doc["services"]["api"]["command"] == ["python", "-m", "api"]
    assert doc["services"]["db"]["image"] == "postgres:16"
    assert not [item for item in conv.unconverted if "extends" in item or "include" in item]
    (tmp_path / "devenv.toml").write_text(conv.toml_text)
    parse_project(conv.toml_text, tmp_path / "devenv.toml")
