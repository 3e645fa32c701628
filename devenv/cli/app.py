"""The `devenv` command group, its global options and the one error boundary."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Optional

import click

from devenv import __version__, interrupts, settings
from devenv.cli.output import Output
from devenv.errors import DevenvError, ExitCode
from devenv.paths import resolved

# name -> "module:attribute". Modules load only when their command runs (or for `--help`
# listings, which read just the short help), so `devenv --help` imports neither docker nor watchdog.
COMMANDS: dict[str, str] = {
    "up": "devenv.cli.up_cmds:up",
    "down": "devenv.cli.stack_cmds:down",
    "status": "devenv.cli.stack_cmds:status",
    "logs": "devenv.cli.debug_cmds:logs",
    "exec": "devenv.cli.debug_cmds:exec_",
    "shell": "devenv.cli.debug_cmds:shell",
    "watch": "devenv.cli.watch_cmds:watch",
    "env": "devenv.cli.env_cmds:env",
    "login": "devenv.cli.registry_cmds:login",
    "pull": "devenv.cli.registry_cmds:pull",
    "lock": "devenv.cli.registry_cmds:lock",
    "images": "devenv.cli.image_cmds:images",
    "config": "devenv.cli.config_cmds:config",
    "init": "devenv.cli.init_cmds:init",
    "export": "devenv.cli.export_cmds:export",
    "test": "devenv.cli.test_cmds:test",
    "doctor": "devenv.cli.doctor_cmds:doctor",
    "completion": "devenv.cli.completion_cmds:completion",
    "trust": "devenv.cli.trust_cmds:trust",
    "untrust": "devenv.cli.trust_cmds:untrust",
    "ui": "devenv.cli.ui_cmds:ui",
    "link": "devenv.cli.include_cmds:link",
    "unlink": "devenv.cli.include_cmds:unlink",
    "publish": "devenv.cli.publish_cmds:publish",
}

# Each command's one-line help, and its only copy: the command declares
# `short_help=SHORT_HELP[name]`, so `devenv --help` and TAB completion list it from here without
# importing the command's module (tests/unit/test_cli_help.py holds the two equal).
SHORT_HELP: dict[str, str] = {
    "up": "Create and start the stack (only what changed), then watch.",
    "down": "Remove the stack's containers and network; volumes and data stay.",
    "status": "Services, state, health, image digest, env hash, URLs.",
    "logs": "Show (or follow) service logs.",
    "exec": "Run a command in a service container, with its real env.",
    "shell": "Open an interactive shell in a service container.",
    "watch": "Watch files and reload services of a running stack.",
    "env": "Show, diff and check the layered environment.",
    "login": "Log in to a registry (stored the way docker stores it).",
    "pull": "Pull every service image (locked digests first).",
    "lock": "Pin every image tag to its digest in devenv.lock.",
    "images": "Build, push and list the team's standard images.",
    "config": "Inspect devenv.toml: validate, schema, reference.",
    "init": "Write a commented devenv.toml (or convert compose/devcontainer).",
    "export": "Export the stack to compose or Kubernetes manifests.",
    "test": "Run a command against a fresh, isolated stack, then tear it down.",
    "doctor": "Check this machine can run the stack; every problem with its fix.",
    "completion": "Print the shell completion script (bash, zsh, fish).",
    "trust": "List what devenv.toml grants beyond the project, and trust it.",
    "untrust": "Forget the trust given to this devenv.toml.",
    "ui": "A live dashboard of the stack in the browser (127.0.0.1).",
    "link": "Run one include from a local checkout (watched, reloaded on save).",
    "unlink": "Switch an include back from a local checkout to its devenv.toml source.",
    "publish": "Publish the stack to the team registry (images pinned, prod env files).",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Command names from SHORT_HELP, so `devenv <TAB>` imports no command module either."""
        from click.shell_completion import CompletionItem

        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        return [
            CompletionItem(name, help=SHORT_HELP.get(name))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing uses SHORT_HELP, so `devenv --help` imports no command module.
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="devenv")
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False),
    envvar=settings.PROJECT_DIR.env,
    help="Folder holding devenv.toml (default: search upward from the current folder).",
)
@click.option("-v", "--verbose", count=True, help="More detail (and a traceback on internal errors).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and requested data.")
@click.option(
    "--trust",
    is_flag=True,
    envvar=settings.TRUST.env,
    help="Act on what devenv.toml grants (privileged, host paths, ...) without `devenv trust` (CI).",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: Optional[str], verbose: int, quiet: bool, trust: bool) -> None:
    """devenv — production's stack on your machine, with your code mounted and reloaded.

    \b
    Quick start:  devenv doctor   then   devenv up
    Docs:         docs/ in the project, or `devenv COMMAND --help`.
    """
    from pathlib import Path  # here, not at import: `devenv --help` stays without it

    from devenv.cli.context import AppContext  # likewise: only a command that runs needs it

    out = ctx.obj if isinstance(ctx.obj, Output) else Output()  # main's, passed in as `obj`
    out.configure(verbose, quiet)
    ctx.obj = AppContext(resolved(Path(project_dir), "--project-dir") if project_dir else None, out, trust)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: run the command, turn every failure into one line and a named exit code."""
    verbose = any(a in ("-v", "--verbose") or a.startswith("-vv") for a in (argv or sys.argv[1:]))
    out = Output(verbosity=1 if verbose else 0)  # the command's too: it learns the secrets to redact
    installed = interrupts.install()  # the entry point did already, unless run in-process (tests)
    if settings.COMPLETE.env in os.environ:  # a TAB in the shell: click answers and exits
        from devenv.cli.completion import register_fish

        register_fish()
    try:
        code = cli.main(args=argv, prog_name="devenv", standalone_mode=False, obj=out)
    except DevenvError as err:
        out.error(str(err), err.hint)
        code = int(err.exit_code)
    except click.exceptions.Abort:
        out.error("interrupted")
        code = int(ExitCode.INTERRUPTED)
    except click.ClickException as err:
        err.show()
        code = err.exit_code
    except KeyboardInterrupt:
        out.error("interrupted")
        code = int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error worth a message.
        sys.stderr.close()
        code = int(ExitCode.OK)
    except Exception as err:  # the last line of defence: never a traceback unless asked
        if verbose:
            import traceback  # only here: every other run is spared its import

            traceback.print_exc()
        out.error(
            f"internal error: {type(err).__name__}: {err}",
            "this is a bug in devenv; run again with -v and report the trace",
        )
        code = int(ExitCode.INTERNAL)
    if installed:
        interrupts.restore()  # for callers that run main() in-process (tests)
    if code == ExitCode.INTERRUPTED and argv is None:
        # CPython re-kills itself with SIGINT at exit when a KeyboardInterrupt crossed certain
        # frames (exit status -2, not 130); everything is unwound by now, so leave directly.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code if isinstance(code, int) else 0)
