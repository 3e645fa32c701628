"""DEVENV_* settings: each declared once in devenv/settings.py, resolved CLI > environment >
devenv.toml > default, read nowhere else, and listed in docs/config-reference.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from devenv import settings
from devenv.config.reference import markdown
from devenv.errors import ConfigError
from devenv.registry.api import Timeouts, use_plain_http
from devenv.registry.reference import effective_registry

PACKAGE = Path(__file__).resolve().parents[2] / "devenv"
SHIM = PACKAGE / "watch" / "shim"  # runs in the container, without devenv: reads its own variables


def test_precedence_is_cli_then_environment_then_file_then_default() -> None:
    registry = settings.REGISTRY
    env = {"DEVENV_REGISTRY": "mirror.example/team"}
    assert registry.get(env, cli="flag.example", file="file.example") == "flag.example"
    assert registry.get(env, file="file.example") == "mirror.example/team"
    assert registry.get({}, file="file.example") == "file.example"
    assert registry.get({}) is None


def test_an_empty_variable_counts_as_unset() -> None:
    assert settings.REGISTRY.get({"DEVENV_REGISTRY": ""}, file="file.example") == "file.example"
    assert settings.REGISTRY_CONNECT_TIMEOUT.get({"DEVENV_REGISTRY_CONNECT_TIMEOUT": ""}) == 5.0
    assert settings.WATCH_POLL.get({"DEVENV_WATCH_POLL": ""}) is False


def test_values_are_read_when_asked_not_at_import(monkeypatch) -> None:
    monkeypatch.setenv("DEVENV_WATCH_POLL", "1")
    assert settings.WATCH_POLL.get() is True
    monkeypatch.setenv("DEVENV_WATCH_POLL", "0")
    assert settings.WATCH_POLL.get() is False


def test_the_readers_resolve_through_the_declarations() -> None:
    mirror = {"DEVENV_REGISTRY": " mirror.example/ "}
    assert effective_registry("file.example/team/", mirror) == "mirror.example"
    assert effective_registry("file.example/team/", {}) == "file.example/team"
    assert Timeouts.from_env({"DEVENV_REGISTRY_READ_TIMEOUT": "2.5"}) == Timeouts(5.0, 2.5)
    assert use_plain_http("reg.example:5000", {"DEVENV_REGISTRY_INSECURE": " a.example , reg.example:5000"})
    assert not use_plain_http("reg.example:5000", {})


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_bad_timeout_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError) as err:
        Timeouts.from_env({"DEVENV_REGISTRY_CONNECT_TIMEOUT": raw})
    assert err.value.message == (
        f"environment DEVENV_REGISTRY_CONNECT_TIMEOUT={raw!r} is not a positive number of seconds"
    )


_NAME = re.compile(r"_?DEVENV_[A-Z0-9_]+")


def _named_variables(path: Path) -> list[str]:
    """Every string that is a DEVENV_* variable's name alone: how a read names it (environ.get,
    getenv, `in os.environ`, click's envvar=, a tuple of names to try). A key of a dict literal is
    a variable devenv sets for a child (`devenv test` exports DEVENV_PROJECT), and so is an
    f-string's part (DEVENV_URL_{SERVICE})."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    written = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys}
    written |= {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    return sorted(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _NAME.fullmatch(node.value)
        and id(node) not in written
    )


def test_no_devenv_variable_is_read_outside_the_settings_module() -> None:
    named = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "settings.py" and SHIM not in path.parents
        for name in _named_variables(path)
    ]
    assert not named, "declare the variable in devenv/settings.py and read it through its Setting"


def test_the_scan_finds_each_way_of_naming_a_variable(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'import os\nos.environ.get("DEVENV_A")\nos.getenv("DEVENV_B")\nenviron["DEVENV_C"]\n'
        'x = "_DEVENV_D" in os.environ\nclick.option("--x", envvar="DEVENV_E")\n'
        'for name in ("DEVENV_F", "CI_F"): pass\n'
        'child = {"DEVENV_PROJECT": "shop"}\nprint("set DEVENV_G to 1")\nf"DEVENV_URL_{name}"\n'
    )
    assert _named_variables(sample) == ["DEVENV_A", "DEVENV_B", "DEVENV_C", "DEVENV_E", "DEVENV_F", "_DEVENV_D"]


def test_the_reference_lists_every_declared_variable_once() -> None:
    page = markdown()
    table = page[page.index("## Environment variables") :]
    listed = re.findall(r"^\| `([A-Z_]+)` \|", table, re.M)
    assert listed == [s.env for s in (*settings.ALL, *settings.IN_CONTAINER)]
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("setting", settings.IN_CONTAINER, ids=lambda s: s.env)
def test_the_shim_reads_the_declared_defaults(setting: settings.Setting[str]) -> None:
    """The shim runs in the container without devenv: it spells each name and default itself."""
    name, default = setting.env, setting.default
    spelled = {
        "pywarm.py": f'os.environ.get("{name}", "{default}")',
        "supervise.sh": f"${{{name}:-{default}}}",
    }
    found = [f for f, text in spelled.items() if text in (SHIM / f).read_text(encoding="utf-8")]
    assert found, f"neither shim reads {name} with the default {default!r}"


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("on", True), ("0", False), ("no", False)])
def test_trust_reads_the_variable_as_click_reads_a_flag(raw: str, value: bool) -> None:
    assert settings.TRUST.get({"DEVENV_TRUST": raw}) is value


def test_trust_names_a_value_that_is_not_a_boolean() -> None:
    with pytest.raises(ConfigError) as err:
        settings.TRUST.get({"DEVENV_TRUST": "sure"})
    assert err.value.message == "environment DEVENV_TRUST='sure' is not a boolean"


@pytest.mark.parametrize(("raw", "value"), [("", 60.0), ("  ", 60.0), ("120", 120.0), ("0.5", 0.5)])
def test_the_render_timeout_reads_blank_as_unset(raw: str, value: float) -> None:
    assert settings.RENDER_TIMEOUT.get({"DEVENV_RENDER_TIMEOUT": raw}) == value


def test_a_bad_render_timeout_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        settings.RENDER_TIMEOUT.get({"DEVENV_RENDER_TIMEOUT": "soon"})
    assert err.value.message == "DEVENV_RENDER_TIMEOUT='soon' is not a number of seconds"
