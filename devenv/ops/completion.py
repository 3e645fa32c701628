"""Names for shell completion: services and profiles from devenv.toml, instances from the
engine's labels. Each TAB runs devenv once, so this stays cheap: devenv.toml is read as plain
TOML (no validation: a half-written file still completes), the engine is asked one read-only
question over its unix socket with the standard library and a short deadline, never docker-py,
and any failure means "no suggestions" rather than an error in the middle of a command line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

CONFIG_NAME = "devenv.toml"
ENGINE_DEADLINE_S = 1.0


def _config(start: Optional[Path]) -> tuple[Optional[Path], dict[str, Any]]:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            from devenv.config import bounded  # a hostile file costs a TAB no more than a load
            from devenv.errors import DevenvError

            try:
                return path, bounded.toml_loads(bounded.read_text(path), CONFIG_NAME)
            except (OSError, ValueError, DevenvError):
                return path, {}
    return None, {}


def service_names(start: Optional[Path] = None) -> list[str]:
    _, doc = _config(start)
    services = doc.get("services")
    return sorted(services) if isinstance(services, dict) else []


def profile_names(start: Optional[Path] = None) -> list[str]:
    _, doc = _config(start)
    env = doc.get("env") if isinstance(doc.get("env"), dict) else {}
    declared = env.get("profiles") if isinstance(env, dict) else None
    from devenv.config.profiles import known_profiles

    return known_profiles(declared if isinstance(declared, dict) else ())


def target_names(start: Optional[Path] = None) -> list[str]:
    """`prod` and the names of [env.targets] (`up --target`, `env check --target`, `--between`)."""
    _, doc = _config(start)
    env = doc.get("env") if isinstance(doc.get("env"), dict) else {}
    declared = env.get("targets") if isinstance(env, dict) else None
    return sorted({"prod", *(declared if isinstance(declared, dict) else ())})


def project_name(start: Optional[Path] = None) -> Optional[str]:
    """The name containers are labelled with: [project] name, else the folder's (as the loader does)."""
    path, doc = _config(start)
    if path is None:
        return None
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str) and name:
        return name
    folder = re.sub(r"[^a-z0-9_-]+", "-", path.parent.name.lower()).strip("-_")
    return folder[:63] or "project"


def instance_names(start: Optional[Path] = None) -> list[str]:
    """The project's instances that have containers on the engine (labels only, read-only)."""
    name = project_name(start)
    if name is None:
        return []
    from devenv.engine import labels as L
    from devenv.engine.host import engine_host
    from devenv.engine.lite import LiteEngine
    from devenv.errors import DevenvError

    host = engine_host()
    if not host.startswith("unix://"):
        return []  # a remote engine: no round trip to another machine on every TAB
    engine = LiteEngine(host, host[len("unix://") :], timeout=ENGINE_DEADLINE_S)
    try:
        found = engine.containers(L.selector(name))
    except (DevenvError, OSError, ValueError):
        return []  # no engine, no suggestions: never an error in the middle of a command line
    return sorted({c.instance for c in found if c.instance})
