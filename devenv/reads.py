"""Files devenv reads on a project's behalf stay inside the project folder (symlinks resolved),
unless the user trusted the devenv.toml that names them: the trust gate allows each such path
for this process. A path the gate did not list is refused here, never read, so a reader the
grant detection does not know about fails closed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from devenv.errors import UntrustedError

_allowed: set[Path] = set()


def allow(paths: Iterable[str]) -> None:
    """Let this process read `paths` (absolute, resolved): the user trusted them."""
    _allowed.update(Path(p) for p in paths)


def check(root: Path, file: Path, label: str) -> None:
    """Raise unless `file` is inside `root` or allowed."""
    resolved = file.resolve()
    base = root.resolve()
    if resolved == base or base in resolved.parents or resolved in _allowed:
        return
    raise UntrustedError(
        f"{label}: {resolved} is outside the project; devenv reads it only once you trust devenv.toml",
        "`devenv trust` lists what devenv.toml grants and accepts it (in CI: --trust or DEVENV_TRUST=1)",
    )
