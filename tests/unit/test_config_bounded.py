"""Every YAML, JSON and TOML file a project brings is read within limits (size, nesting, YAML
alias expansion), each past them one line naming the file; files within them read as before,
line numbers included. Loading is linear in the file: counted in operations, not timed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devenv.config import locate
from devenv.config.loader import parse_project
from devenv.config.order import CycleError, waves_of
from devenv.convert import compose_model
from devenv.convert.devcontainer import parse_jsonc
from devenv.envvars import yamlnodes
from devenv.envvars.sources import parse_json_object
from devenv.errors import ConfigError

LAUGHS = (
    'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "services:\n  web:\n    image: nginx\n    environment:\n      X: *i\n"
)
RECURSIVE = "services: &a\n  web: *a\n"


def deep_yaml(levels: int) -> str:
    return "services: " + "[" * levels + "]" * levels + "\n"


def error_of(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        call(*args)
    message = str(caught.value)
    assert "\n" not in message and caught.value.hint
    return message


# --- YAML: prod sources (nodes, with lines) and compose files (init --from) ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            LAUGHS,
            'prod.yaml:6: aliases expand to more than 100,000 nodes (nested anchors, a "billion laughs")',
        ),
        (RECURSIVE, "prod.yaml:2: alias *a is inside its own anchor (a recursive alias)"),
        (deep_yaml(50_000), "prod.yaml:1: nested more than 64 levels deep"),
        ("".join(" " * i + "a:\n" for i in range(200)), "prod.yaml:64: nested more than 64 levels deep"),
    ],
    ids=["laughs", "recursive", "flow-50000", "block-200"],
)
def test_prod_yaml_past_the_limits_is_one_line(text: str, expected: str) -> None:
    assert error_of(yamlnodes.compose_documents, text, "prod.yaml") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LAUGHS, "billion laughs"),
        (RECURSIVE, "recursive alias"),
        (deep_yaml(50_000), "nested more than 64 levels deep"),
        (
            "services:\n  web:\n    x: " + "1" * 5000 + "\n",
            "a value cannot be read: Exceeds the limit (4300 digits)",
        ),
        ("services:\n  web:\n    x: 2001-13-45\n", "a value cannot be read: month must be in 1..12"),
    ],
    ids=["laughs", "recursive", "flow-50000", "huge-integer", "bad-date"],
)
def test_compose_past_the_limits_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    message = error_of(compose_model.read, path)
    assert message.startswith(str(path)) and expected in message


def test_anchors_a_compose_file_uses_still_load(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "x-common: &common\n  restart: always\n  environment: &env\n    A: '1'\n"
        "services:\n  web:\n    <<: *common\n    image: nginx\n  api:\n    <<: *common\n    environment: *env\n"
    )
    doc = compose_model.read(path)
    assert doc["services"]["web"]["restart"] == "always"
    assert doc["services"]["api"]["environment"] == {"A": "1"}


def test_alias_expansion_within_the_limit_loads_with_its_lines() -> None:
    # 9 x 9 x 9 x 9 = 6,561 expanded strings: a big but legitimate use of anchors.
    text = "\n".join(LAUGHS.splitlines()[:4]) + "\nservices:\n  web:\n    environment:\n      X: *d\n"
    (doc,) = yamlnodes.compose_documents(text, "prod.yaml")
    web = yamlnodes.get_path(doc, "services", "web")
    assert yamlnodes.line(web) == 7


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "compose.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in error_of(compose_model.read, fifo)


# --- JSON: prod sources and devcontainer.json ---


def test_json_prod_source_past_the_limits_is_one_line() -> None:
    deep = '{"A": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert error_of(parse_json_object, deep, "prod.json") == "prod.json: nested more than 64 levels deep"
    assert error_of(parse_json_object, '{"A": ' + "[" * 100 + "]" * 100 + "}", "prod.json").endswith(
        "levels deep"
    )
    huge = '{"A": ' + "1" * 5000 + "}"
    assert error_of(parse_json_object, huge, "prod.json").startswith("prod.json: a value cannot be read")


def test_devcontainer_json_past_the_limits_is_one_line() -> None:
    deep = '{"image": "x", // a comment\n "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert error_of(parse_jsonc, deep, ".devcontainer/devcontainer.json") == (
        ".devcontainer/devcontainer.json: nested more than 64 levels deep"
    )
    assert parse_jsonc('{"image": "x", /* c */ "a": [[1]],}') == {"image": "x", "a": [[1]]}


# --- TOML: devenv.toml ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[project]\n[" + ".".join(["a"] * 20_000) + "]\n", "devenv.toml:2: nested more than 64 levels deep"),
        (
            '[project]\nname = "x"\n' + ".".join(["a"] * 20_000) + " = 1\n",
            "devenv.toml:3: nested more than 64",
        ),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "devenv.toml: nested more than 64 levels deep"),
        ("a = " + "[" * 80 + "]" * 80 + "\n", "devenv.toml: nested more than 64 levels deep"),
    ],
    ids=["header-20000", "dotted-key-20000", "arrays-100000", "arrays-80"],
)
def test_devenv_toml_nested_absurdly_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert error_of(parse_project, text, tmp_path / "devenv.toml").startswith(expected)


# --- linear loading, in operations ---


def services(count: int) -> str:
    return "".join(
        f'[services.s{i}]\nimage = "python:3.12"\ncommand = ["sleep", "1"]\n\n' for i in range(count)
    )


def test_each_line_is_scanned_once_per_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned = []
    balance = locate._bracket_balance
    monkeypatch.setattr(locate, "_bracket_balance", lambda line: scanned.append(line) or balance(line))
    text = f"# {tmp_path}\n" + services(300)  # a text no earlier load has seen
    parse_project(text, tmp_path / "devenv.toml")
    assert len(scanned) <= len(text.splitlines())  # was once per service: 300 x 1,200 lines


class CountedName(str):
    """A service name that counts how often a set or dict hashes it."""

    hashed = 0

    def __hash__(self) -> int:
        CountedName.hashed += 1
        return str.__hash__(self)


def test_dependency_waves_of_a_chain_take_linear_work() -> None:
    names = [CountedName(f"s{i}") for i in range(400)]
    chain = {name: [names[i - 1]] if i else [] for i, name in enumerate(names)}
    CountedName.hashed = 0
    waves = waves_of(chain)
    assert waves == [[name] for name in names]
    assert CountedName.hashed < 40 * len(names)  # was one subset check per name per wave: 400 x 400


def test_a_long_cycle_is_found_and_shown_by_its_ends() -> None:
    names = [f"s{i}" for i in range(2000)]
    with pytest.raises(CycleError) as caught:
        waves_of({name: [names[i - 1]] for i, name in enumerate(names)})
    assert len(caught.value.cycle) == 2001
    assert caught.value.shown.startswith("s0 → s1999 → s1998") and "(2000 services)" in caught.value.shown
