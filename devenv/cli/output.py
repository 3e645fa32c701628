"""Output rendering: data to stdout, messages for people to stderr, colour only on a TTY."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Optional

import click

if TYPE_CHECKING:
    from collections.abc import Iterable

    from devenv.envvars.redact import Redactor

SCHEMA_PREFIX = "devenv"


class Output:
    """One per command run, made by the error boundary (`app.main`) and handed to the command,
    so what the command learnt (secrets to redact) holds for its error line too. `quiet` hides
    progress and notes; `verbose` shows details."""

    def __init__(self, verbosity: int = 0, quiet: bool = False):
        self.verbosity = verbosity
        self.quiet = quiet
        self.color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
        self.stdout_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self.redactor: Optional[Redactor] = None  # set once secrets are known; applied to every line
        self.secrets: set[str] = set()

    def configure(self, verbosity: int, quiet: bool) -> None:
        """The global options, once click has parsed them."""
        self.verbosity = verbosity
        self.quiet = quiet

    def add_secrets(self, values: Iterable[str]) -> None:
        """Redact these raw values from every line printed from now on (errors included)."""
        from devenv.envvars.redact import Redactor  # not at import: `devenv --help` needs no env layer

        self.secrets = self.secrets | set(values)
        self.redactor = Redactor(self.secrets)

    def _clean(self, text: str) -> str:
        return self.redactor.redact(text) if self.redactor is not None else text

    def style(self, text: str, *, fg: Optional[str] = None, bold: bool = False, stream: str = "err") -> str:
        enabled = self.color if stream == "err" else self.stdout_color
        return click.style(text, fg=fg, bold=bold) if enabled else text

    # --- for people (stderr) ---
    def info(self, message: str) -> None:
        if not self.quiet:
            click.echo(self._clean(message), err=True)

    def detail(self, message: str) -> None:
        if self.verbosity > 0 and not self.quiet:
            click.echo(self._clean(message), err=True)

    def warn(self, message: str) -> None:
        click.echo(self.style("warning: ", fg="yellow", bold=True) + self._clean(message), err=True)

    def error(self, message: str, hint: Optional[str] = None) -> None:
        click.echo(self.style("error: ", fg="red", bold=True) + self._clean(message), err=True)
        if hint:
            click.echo(self.style("hint: ", fg="cyan") + self._clean(hint), err=True)

    # --- for scripts (stdout) ---
    def line(self, text: str = "") -> None:
        click.echo(self._clean(text))

    def table(self, rows: list[list[str]], headers: list[str]) -> None:
        """A table on stdout, redacted cell by cell before it is laid out: a cell that is a
        `Shown` (a name, a public variable's value) stays as it is even when it equals a secret;
        any other cell is free text. Redacting the laid-out line instead would mask a public
        value that happens to equal a secret, and misalign the columns."""
        if self.redactor is not None:
            rows = [[self.redactor.redact_doc(cell) for cell in row] for row in rows]
        click.echo(table(rows, headers))

    def data(self, kind: str, payload: dict[str, Any]) -> None:
        """A schema-versioned JSON document on stdout; its values redacted before it is
        serialized (never the JSON text: a secret `true` would leave `"secret": ***`)."""
        doc: Any = {"schema": f"{SCHEMA_PREFIX}.{kind}/v1", **payload}
        if self.redactor is not None:
            doc = {"schema": doc["schema"], **self.redactor.redact_doc(payload)}  # the schema is a name
        click.echo(json.dumps(doc, indent=2, sort_keys=False, default=str))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Plain aligned columns (no box drawing: pastes cleanly into issues and chat)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def stack_title(project: str, instance: str, source: str = "", worktree: Optional[str] = None) -> str:
    """`shop (feature-x) [git worktree feature-x]`: which stack, and why this instance (a pin in
    `.devenv/instance` shows as `[.devenv/instance]`)."""
    title = f"{project} ({instance})"
    if source == "pinned":
        return f"{title} [.devenv/instance]"
    return f"{title} [git worktree {worktree}]" if source == "worktree" and worktree else title
