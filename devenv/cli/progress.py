"""Progress of image transfers (pull, push) and builds: a redrawn line on a TTY, plain lines
otherwise (no control codes). Nothing is created with --json or -q."""

from __future__ import annotations

import os
import re
import sys
import threading
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


class BuildBoard:
    """Renders catalog builds that run side by side: on a colour TTY one redrawn line with each
    running image's step or push progress, and a line per image as it is ready; otherwise (a
    pipe, NO_COLOR) plain lines only — each build step as it starts, each image as it is done.
    Called from the build threads: every method takes the lock. Create it only when progress
    is wanted (not with --json or -q)."""

    def __init__(self, output: Output, *, live: Optional[bool] = None):
        self.output = output
        self.live = output.color if live is None else live
        self.lock = threading.Lock()
        self.state: dict[str, str] = {}  # running image → what it does now
        self.layers: dict[str, dict[str, list[int]]] = {}  # image → layer → [current, total]
        self.drawn = False

    def event(self, event: Any) -> None:
        """An `ImageEvent` of devenv.images.publish."""
        with self.lock:
            if event.phase == "building":
                self.state[event.name] = "checking what is built"
                if not self.live:
                    self.output.info(f"  {event.name}: started")
            elif event.phase == "pushing":
                self.state[event.name] = "pushing"
            elif event.phase == "ready" and event.status == "built":
                self.state[event.name] = "built"
            elif event.phase == "done":
                self.state.pop(event.name, None)
                how = _HOW.get(event.status or "", event.status or "")
                self._say(f"  {event.name} {self._tick()} {event.seconds:.0f} s ({how})")
            self._redraw()

    def build_line(self, name: str, line: str) -> None:
        """A line of an image's build output: its steps show progress, the rest is detail (-v)."""
        step = _STEP.match(line)
        with self.lock:
            if step is None:
                self._clear()
                self.output.detail(f"{name}: {line}")
            else:
                self.state[name] = f"step {step.group(1)}/{step.group(2)}"
                if not self.live:
                    self.output.info(f"  {name}: step {step.group(1)}/{step.group(2)} {step.group(3)[:70]}")
            self._redraw()

    def push_event(self, event: Any) -> None:
        """A `PullEvent` of a push: layer progress of the image it belongs to."""
        name = event.image.rpartition("/")[2].partition(":")[0].partition("@")[0]
        layer = event.layer
        if not layer or ":" in layer:
            return
        with self.lock:
            info = self.layers.setdefault(name, {}).setdefault(layer, [0, 0])
            if event.total and event.status == "Pushing":
                info[0], info[1] = event.current or 0, event.total
            elif event.status in _DONE:
                info[0] = info[1]
            layers = self.layers[name]
            done = sum(1 for v in layers.values() if v[1] and v[0] >= v[1])
            sent, total = sum(v[0] for v in layers.values()), sum(v[1] for v in layers.values())
            self.state[name] = f"pushing {done}/{len(layers)} layers {human_bytes(sent)}/{human_bytes(total)}"
            self._redraw()

    def finish(self) -> None:
        with self.lock:
            self._clear()

    def _tick(self) -> str:
        return self.output.style("✔", fg="green") if self.live else "✔"

    def _say(self, text: str) -> None:
        self._clear()
        self.output.info(text)

    def _clear(self) -> None:
        if self.drawn:
            click.echo("\r\033[K", nl=False, err=True)
            self.drawn = False

    def _redraw(self) -> None:
        if not self.live or not self.state:
            return
        line = " · ".join(f"{name} {what}" for name, what in sorted(self.state.items()))
        width = _columns() - 3
        click.echo(f"\r  {line[:width]}\033[K", nl=False, err=True)
        self.drawn = True


def _columns() -> int:
    """The terminal's width (what shutil.get_terminal_size gives, without importing shutil and
    its compression modules on every command)."""
    try:
        return int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(sys.stderr.fileno()).columns
    except (ValueError, OSError):
        return 100


_STEP = re.compile(r"^Step (\d+)/(\d+) : ?(.*)")
_HOW = {"built": "built", "local": "built earlier", "registry": "in the registry"}
