"""Each command's short help has one source, `cli/app.py`'s SHORT_HELP: `devenv --help` lists it
without importing the command modules, and the command itself shows the same line."""

from __future__ import annotations

import importlib

import click
import pytest

from devenv.cli.app import COMMANDS, SHORT_HELP, cli


def _command(name: str) -> click.Command:
    module, attribute = COMMANDS[name].split(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command)
    return command


def test_every_command_has_one_short_help() -> None:
    assert set(SHORT_HELP) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_command_shows_the_listed_short_help(name: str) -> None:
    command = _command(name)
    assert command.name == name
    assert command.get_short_help_str(limit=1000) == SHORT_HELP[name]


def test_the_listing_is_the_short_help() -> None:
    text = cli.get_help(click.Context(cli, info_name="devenv"))
    for name, line in SHORT_HELP.items():
        assert f"{name} " in text and line in " ".join(text.split()), name
