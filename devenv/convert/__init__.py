"""`devenv init`: compose files and devcontainers → a commented devenv.toml; plain scaffolds."""

from __future__ import annotations

from devenv.convert.compose import convert_compose
from devenv.convert.compose_secrets import SECRETS_FILE
from devenv.convert.devcontainer import convert_devcontainer
from devenv.convert.draft import Conversion
from devenv.convert.scaffold import (
    ScaffoldAnswers,
    ensure_gitignore,
    scaffold,
    write_config,
    write_local_secrets,
)

__all__ = [
    "SECRETS_FILE",
    "Conversion",
    "ScaffoldAnswers",
    "convert_compose",
    "convert_devcontainer",
    "ensure_gitignore",
    "scaffold",
    "write_config",
    "write_local_secrets",
]
