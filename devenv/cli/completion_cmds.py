"""`devenv completion bash|zsh|fish`: the shell's completion script (click's own)."""

from __future__ import annotations

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import COMPLETE_VAR, SHELLS, register_fish
from devenv.cli.context import app_of


@click.command("completion", short_help=SHORT_HELP["completion"])
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL: commands, options, and the project's service,
    profile and instance names.

    \b
    bash:  eval "$(devenv completion bash)"            # in ~/.bashrc
    zsh:   eval "$(devenv completion zsh)"             # in ~/.zshrc, after compinit
    fish:  devenv completion fish > ~/.config/fish/completions/devenv.fish
    """
    from click.shell_completion import get_completion_class

    register_fish()
    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one of click's
    root = ctx.find_root().command
    app_of(ctx).output.line(cls(root, {}, "devenv", COMPLETE_VAR).source().rstrip("\n"))
