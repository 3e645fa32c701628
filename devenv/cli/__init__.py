"""The command line: the only package that imports click or prints."""

from devenv.cli.app import cli, main

__all__ = ["cli", "main"]
