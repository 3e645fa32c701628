"""`devenv config`: validate the file, print its JSON Schema or the reference page."""

from __future__ import annotations

import json

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.config.reference import json_schema, markdown


@click.group(short_help=SHORT_HELP["config"])
def config() -> None:
    """Inspect devenv.toml and the declarations behind it."""


@config.command()
@pass_app
def validate(obj: AppContext) -> None:
    """Check devenv.toml; exit 1 with file:line key and a fix on the first problem."""
    from devenv.config.advice import env_advice

    project = obj.project()
    for warning in env_advice(project):
        obj.output.warn(warning)
    obj.output.info(f"{project.config_file}: valid ({len(project.services)} services)")


@config.command()
def schema() -> None:
    """Print the JSON Schema of devenv.toml (for editors: Taplo / Even Better TOML)."""

    click.echo(json.dumps(json_schema(), indent=2))


@config.command()
def reference() -> None:
    """Print the Markdown reference of every key (docs/config-reference.md is this output)."""

    click.echo(markdown(), nl=False)
