"""Where devenv keeps its own files: a platformdirs location, overridable by an env var."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "devenv"


def _linux_state_dir() -> Path:
    """platformdirs' rule for `user_state_dir` on Linux (the XDG base directory spec), spelled out:
    importing platformdirs loads tempfile, shutil and the compressors, a tenth of a `devenv
    down`. A unit test holds the two equal; other systems ask platformdirs itself."""
    base = os.environ.get("XDG_STATE_HOME", "")
    return Path(base if base.strip() else os.path.expanduser("~/.local/state")) / APP


def state_dir() -> Path:
    """Locks, per-instance state, the supervisor shim copy. `DEVENV_STATE_DIR` overrides."""
    override = os.environ.get("DEVENV_STATE_DIR")
    if override:
        path = Path(override)
    elif sys.platform.startswith("linux"):
        path = _linux_state_dir()
    else:
        import platformdirs  # lazy: keeps `devenv --help` fast

        path = Path(platformdirs.user_state_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
