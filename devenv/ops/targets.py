"""`up --target NAME`: the project mirroring that env target, and the label that says so."""

from __future__ import annotations

from devenv.config.model import Project
from devenv.engine.labels import TARGET
from devenv.envvars.targets import DEFAULT, with_target


def mirror(project: Project, target: str) -> tuple[Project, dict[str, str]]:
    """(project whose prod sources are the target's, extra container labels). Prod gets no label:
    `up` and `up --target prod` are one stack; any other target is part of the config hash, so
    switching target recreates the containers and `status` shows which one they mirror."""
    mirrored: Project = with_target(project, target)
    return mirrored, ({} if target == DEFAULT else {TARGET: target})
