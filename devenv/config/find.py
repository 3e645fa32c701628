"""Where devenv.toml is: the folder given, or the nearest parent that has one. Apart from the
loader so that a command whose project comes from the cache loads none of the parser."""

from __future__ import annotations

import os
from pathlib import Path

from devenv.errors import ConfigError
from devenv.paths import resolved

CONFIG_NAME = "devenv.toml"


def find_config(start: Path, explicit: bool = False) -> Path:
    """`start/devenv.toml`, or (unless `explicit`) the nearest one in a parent folder."""
    start = resolved(start, "project folder")
    candidates = [start] if explicit else [start, *start.parents]
    for folder in candidates:
        path = folder / CONFIG_NAME
        try:
            if path.is_file():
                return path
        except PermissionError:
            raise ConfigError(
                f"cannot read {path}: permission denied",
                "check the folder's permissions (or use --project-dir)",
            ) from None
    where = str(start) if explicit else f"{start} or any parent folder"
    raise ConfigError(
        f"no {CONFIG_NAME} in {where}",
        "run `devenv init` to write one, or pass --project-dir to the folder that has it",
    )


def shown(path: Path) -> str:
    """A file as messages name it: relative to the working folder when it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
