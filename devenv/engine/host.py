"""Where the engine is: DOCKER_HOST, else the current docker context, else the default socket."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from devenv.errors import EngineError

API_VERSION = "1.41"  # Debian's dockerd 20.10: pin API features to what it speaks
DEFAULT_TIMEOUT = 60
DEFAULT_HOST = "unix:///var/run/docker.sock"


def _docker_config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def context_host() -> Optional[str]:
    """The engine of the current docker context (`docker context use`), read from its files."""
    name = os.environ.get("DOCKER_CONTEXT")
    config_dir = _docker_config_dir()
    if not name:
        try:
            name = json.loads((config_dir / "config.json").read_text()).get("currentContext")
        except (OSError, ValueError):
            return None
    if not name or name == "default":
        return None
    import hashlib  # only with a context selected: every command asks where the engine is

    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        endpoint = json.loads(meta.read_text())["Endpoints"]["docker"]
    except (OSError, ValueError, KeyError, TypeError):
        raise EngineError(
            f'docker context "{name}" is selected but its definition is missing or unreadable ({meta})',
            "run `docker context use default` or fix the context",
        ) from None
    host = endpoint.get("Host")
    return str(host) if host else None


def engine_host() -> str:
    return os.environ.get("DOCKER_HOST") or context_host() or DEFAULT_HOST


def engine_socket() -> Optional[str]:
    """The engine's local unix socket, if it is on one (what `docker_socket = true` mounts)."""
    host = engine_host()
    return host[len("unix://") :] if host.startswith("unix://") else None
