"""Options several commands share, declared once so their names, defaults and help agree."""

from __future__ import annotations

from typing import Any, Callable

import click

from devenv import settings
from devenv.cli.completion import complete_instance, complete_profile

instance_option = click.option(
    "-i",
    "--instance",
    default=None,
    envvar=settings.INSTANCE.env,
    help="Which copy of the stack (separate containers, network, volumes, ports). Default: in a "
    "linked git worktree, one named after it; else `default`.",
    shell_complete=complete_instance,
)

pull_option = click.option(
    "--pull",
    type=click.Choice(["missing", "always", "never"]),
    default="missing",
    show_default=True,
    help="When to pull images from the registry.",
)


def profile_option(default_help: str = "[env] default_profile, dev") -> Callable[[Any], Any]:
    return click.option(
        "--profile",
        "-p",
        default=None,
        help=f"Env profile (default: {default_help}).",
        shell_complete=complete_profile,
    )
