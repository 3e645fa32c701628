"""Where devenv keeps its own files: a platformdirs location, overridable by an env var."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devenv import settings

APP = "devenv"


def _linux_state_dir() -> Path:
    """platformdirs' rule for `user_state_dir` on Linux (the XDG base directory spec), spelled out:
    importing platformdirs loads tempfile, shutil and the compressors, a tenth of a `devenv
    down`. A unit test holds the two equal; other systems ask platformdirs itself."""
    base = os.environ.get("XDG_STATE_HOME", "")
    return Path(base if base.strip() else os.path.expanduser("~/.local/state")) / APP


def state_dir() -> Path:
    """Locks, per-instance state, the supervisor shim copy. `DEVENV_STATE_DIR` overrides."""
    override = settings.STATE_DIR.get()
    if override:
        path = Path(override)
    elif sys.platform.startswith("linux"):
        path = _linux_state_dir()
    else:
        import platformdirs  # lazy: keeps `devenv --help` fast

        path = Path(platformdirs.user_state_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolved(path: Path, what: str) -> Path:
    """`path.resolve()`, with a symlink loop (which Python reports as a RuntimeError or an OSError
    by version) as one line naming the path and what it was meant to be."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as err:
        from devenv.errors import ConfigError

        reason = "is a symlink loop" if "loop" in str(err).lower() else f"cannot be resolved ({err})"
        raise ConfigError(f"{what} {path} {reason}", "point the link at a real folder or file") from None


def cache_dir() -> Path:
    """What devenv can make again (rendered prod sources): under the state folder, so
    `DEVENV_STATE_DIR` isolates it too. Created by the writer, not here."""
    return state_dir() / "cache"
