"""devenv.toml → `Project`, as every command gets it: from `config.project_cache` while the
file and what it names are as they were, else parsed by `config.loader` (and kept)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from devenv.config import bounded, project_cache
from devenv.config.find import find_config, shown
from devenv.errors import ConfigError

if TYPE_CHECKING:
    from devenv.config.model import Project


def load_project(start: Path, explicit: bool = False) -> Project:
    path = find_config(start, explicit)
    try:
        text = bounded.read_text(path, shown(path))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"{shown(path)}: cannot read: {err}", "check the file's permissions and encoding"
        ) from None
    cached = project_cache.lookup(path, text)
    if cached is not None:
        return cached
    from devenv.config.host_facts import HostFacts
    from devenv.config.loader import parse_project  # the parser: only when the cache cannot answer

    facts = HostFacts()
    project = parse_project(text, path, facts=facts)
    project_cache.store(path, text, facts.answers, project)
    return project
