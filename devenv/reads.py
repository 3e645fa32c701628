"""Files devenv reads on a project's behalf stay inside the project folder (symlinks resolved),
unless the user trusted the devenv.toml that names them: the trust gate allows each such path
for this process. A path the gate did not list is refused here, never read, so a reader the
grant detection does not know about fails closed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from devenv.errors import UntrustedError

_allowed: set[Path] = set()
_commands: set[str] = set()  # render commands, as " ".join(argv)


class Located(NamedTuple):
    path: Path  # resolved when it leaves the project; as written below the root otherwise
    inside: bool


def locate(root: Path, written: str) -> Located:
    """Where `written` (relative to `root`, absolute, or `~/...`) leads, and whether it stays in
    `root`. A plain relative path costs one lstat per part below the root (the usual case, on
    every `up`); one that is absolute, climbs with `..` or passes a symlink is resolved whole."""
    expanded = os.path.expanduser(written)
    parts = [p for p in expanded.split(os.sep) if p and p != "."]
    if not os.path.isabs(expanded) and ".." not in parts:
        current = os.fspath(root)  # strings: pathlib's parsing would cost more than the lstat calls
        for part in parts:
            current = os.path.join(current, part)
            if os.path.islink(current):
                break
        else:
            return Located(Path(current), True)
    resolved = (root / expanded).resolve()
    base = root.resolve()
    return Located(resolved, resolved == base or base in resolved.parents)


def allow(paths: Iterable[str]) -> None:
    """Let this process read `paths` (absolute, resolved): the user trusted them."""
    _allowed.update(Path(p) for p in paths)


def check(root: Path, written: str, label: str) -> None:
    """Raise unless `written` (as `locate` reads it) stays in `root` or was allowed. `label`
    says who named the file ("[env] prod in devenv.toml", "deploy/compose.yaml:7")."""
    where = locate(root, written)
    if where.inside or where.path in _allowed or not _allowed.isdisjoint(where.path.parents):
        return  # a trusted folder (a Kustomize base outside the project) covers what it holds
    raise UntrustedError(
        f"{label} names {where.path}, outside the project; devenv reads it only once you trust devenv.toml",
        "`devenv trust` lists what devenv.toml grants and accepts it (in CI: --trust or DEVENV_TRUST=1)",
    )


def allow_commands(commands: Iterable[str]) -> None:
    """Let this process run these render commands (`" ".join(argv)`): the user trusted them."""
    _commands.update(commands)


def check_command(argv: list[str], label: str) -> None:
    """Raise unless the trust gate let this render command through: like a file outside the
    project, a command that runs on the host is run only once devenv.toml is trusted."""
    if " ".join(argv) in _commands:
        return
    raise UntrustedError(
        f"{label} runs a command on this machine; devenv runs it only once you trust devenv.toml",
        "`devenv trust` lists what devenv.toml grants and accepts it (in CI: --trust or DEVENV_TRUST=1)",
    )
