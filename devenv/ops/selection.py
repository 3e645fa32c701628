"""What a command is pointed at: an instance name and services of the project, checked once."""

from __future__ import annotations

from collections.abc import Iterable

from devenv.config.model import Project
from devenv.config.selection import require_services
from devenv.stack.names import check_instance


def check_selection(project: Project, selected: Iterable[str], instance: str) -> None:
    check_instance(instance)
    require_services(project, selected)
