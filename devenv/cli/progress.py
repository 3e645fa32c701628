"""Progress of image transfers (pull, push) and builds: a redrawn bar on a TTY, one plain line
per finished layer otherwise. Nothing is created with --json or -q."""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from devenv.cli.output import Output
from devenv.ops.progress import Progress


def progress_printer(out: Output) -> Progress:
    """The `Progress` of a use case, as lines: the subject in a column, then the message."""
    width = 12

    def say(subject: str, message: str) -> None:
        out.info(f"{out.style(subject.ljust(width), bold=True)} {message}")

    return say


def human_bytes(n: Optional[int]) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


_DONE = {"Pull complete", "Already exists", "Pushed", "Layer already exists"}


class TransferProgress:
    """Renders PullEvents: a redrawn line on a TTY, one plain line per finished layer otherwise.
    Create it only when progress is wanted (not with --json or -q)."""

    def __init__(self, output: Output, verb: str = "pulled"):
        self.output = output
        self.verb = verb
        self.tty = sys.stderr.isatty()
        self.layers: dict[str, dict[str, Optional[int]]] = {}
        self.done: set[str] = set()
        self.image: Optional[str] = None

    def __call__(self, event: Any) -> None:
        if isinstance(event, str):  # a build output line: detail for -v
            self.output.detail(event.rstrip())
            return
        if self.image is not None and event.image != self.image:
            self.finish()  # the next image's events: close the summary of the one before
        self.image = event.image
        layer = event.layer
        if not layer or ":" in layer or event.status.startswith(("Pulling from", "Digest:", "Status:")):
            return  # whole-image events carry the tag or digest as their id: not a layer
        info = self.layers.setdefault(layer, {"current": 0, "total": None})
        if event.total and event.status in ("Downloading", "Pushing"):
            info["total"], info["current"] = event.total, event.current or 0
        if event.status in _DONE and layer not in self.done:
            self.done.add(layer)
            info["current"] = info["total"] or info["current"]
            if not self.tty:
                size = human_bytes(info["total"]) if info["total"] else "cached"
                self.output.info(f"  {layer}: {event.status.lower()} ({size})")
        if self.tty:
            self._redraw()

    def _redraw(self) -> None:
        total = sum(v["total"] or 0 for v in self.layers.values())
        current = sum(v["current"] or 0 for v in self.layers.values())
        width = 24
        filled = int(width * current / total) if total else 0
        line = (
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {len(self.done)}/{len(self.layers)} layers "
            f"{human_bytes(current)}/{human_bytes(total)}"
        )
        click.echo(line + "\033[K", nl=False, err=True)

    def finish(self) -> None:
        if self.image is None:
            return
        if self.tty:
            click.echo("\r\033[K", nl=False, err=True)
        total = sum(v["total"] or 0 for v in self.layers.values())
        self.output.info(
            f"{self.verb} {self.image}: {len(self.layers)} layers, {human_bytes(total)} transferred"
        )
        self.layers.clear()
        self.done.clear()
        self.image = None
