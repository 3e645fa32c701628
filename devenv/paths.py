"""Where devenv keeps its own files: a platformdirs location, overridable by an env var."""

from __future__ import annotations

import os
from pathlib import Path


def _dir(env_var: str, kind: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        path = Path(override)
    else:
        import platformdirs  # lazy: keeps `devenv --help` fast

        path = Path(getattr(platformdirs, f"user_{kind}_dir")("devenv", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """Locks, per-instance state, the supervisor shim copy. `DEVENV_STATE_DIR` overrides."""
    return _dir("DEVENV_STATE_DIR", "state")
