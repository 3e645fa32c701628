"""`devenv test [--profile test] [-s SERVICE] [--keep] -- CMD`: a fresh, isolated stack for one
command, always torn down; exits with the command's exit code."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_service
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import profile_option, pull_option
from devenv.cli.output import Output
from devenv.cli.progress import progress_printer
from devenv.ops.secrets import known_secret_values
from devenv.ops.testrun import TestOptions, run_test

if TYPE_CHECKING:
    from devenv.ops.up import UpResult


@click.command(
    short_help=SHORT_HELP["test"],
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@profile_option("test")
@click.option(
    "-s",
    "--service",
    default=None,
    help="Run CMD inside this service's container (default: on this host).",
    shell_complete=complete_service,
)
@click.option(
    "--keep", is_flag=True, help="Leave the instance running afterwards (remove it with `devenv down`)."
)
@pull_option
@click.option("--build", is_flag=True, help="Rebuild services that have `build` first.")
@click.option("--trust", is_flag=True, help="Act on what devenv.toml grants without `devenv trust` (as DEVENV_TRUST=1).")
@pass_app
def test(
    obj: AppContext,
    command: tuple[str, ...],
    profile: Optional[str],
    service: Optional[str],
    keep: bool,
    pull: str,
    build: bool,
    trust: bool,
) -> None:
    """Start a fresh instance of the stack (named test-XXXXXXXX, so parallel runs never clash),
    wait for health, run CMD, then remove the instance with its volumes — on success, failure or
    Ctrl-C — and exit with CMD's exit code.

    \b
    On the host, CMD gets the stack's addresses in its environment:
      DEVENV_PROJECT, DEVENV_INSTANCE,
      DEVENV_URL_<SERVICE>               e.g. DEVENV_URL_WEB=http://127.0.0.1:32781
      DEVENV_PORT_<SERVICE>_<PORT>       e.g. DEVENV_PORT_DB_5432=32782
    \b
    Examples:
      devenv test -- pytest -q tests/e2e
      devenv test -s web -- python -m pytest
    """

    out: Output = obj.output
    project = obj.acting_project("containers", trust)  # refused while it grants what is not trusted
    out.add_secrets(known_secret_values(project, profile or "test"))
    options = TestOptions(
        command=tuple(command), profile=profile, service=service, keep=keep, pull=pull, build=build
    )
    say = progress_printer(out)

    def started(instance: str, result: UpResult) -> None:
        out.add_secrets(result.secret_values)
        for warning in result.warnings:
            out.warn(warning)
        where = f"in {service}" if service else "on this host"
        out.info(
            f"{project.name} ({instance}): up in {result.seconds:.1f} s; running {' '.join(command)} {where}"
        )

    outcome = run_test(project, options, progress=say, waiting=out.info, started=started)
    if outcome.kept:
        out.info(
            f"kept {project.name} ({outcome.instance}); remove it with "
            f"`devenv down --instance {outcome.instance} --volumes`"
        )
    else:
        out.info(f"{project.name} ({outcome.instance}): removed; command exited {outcome.exit_code}")
    sys.stdout.flush()
    raise SystemExit(outcome.exit_code)
