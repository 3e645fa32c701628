"""`devenv init`: compose files and devcontainers → a commented devenv.toml; plain scaffolds."""

from __future__ import annotations

from devenv.convert.compose import convert_compose
from devenv.convert.devcontainer import convert_devcontainer
from devenv.convert.draft import Conversion
from devenv.convert.scaffold import ScaffoldAnswers, ensure_gitignore, scaffold, write_config

__all__ = [
    "Conversion",
    "ScaffoldAnswers",
    "convert_compose",
    "convert_devcontainer",
    "ensure_gitignore",
    "scaffold",
    "write_config",
]
