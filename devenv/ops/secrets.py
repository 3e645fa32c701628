"""Every secret value this project knows — production's (from Secret manifests) and the local
ones a profile injects — so the CLI can redact them from everything it prints, including what
containers log and what errors quote."""

from __future__ import annotations

from typing import Optional

from devenv.config.model import Project
from devenv.envvars import resolve_env, service_env
from devenv.errors import DevenvError


def known_secret_values(project: Project, profile: Optional[str] = None) -> set[str]:
    """Best effort by design: a source that fails to resolve here fails loudly in the command
    that needs it; redaction takes every value it can find."""
    spec = project.env
    if not (spec.prod or spec.secrets or spec.profiles):
        return set()
    values: set[str] = set()
    try:
        values |= resolve_env(project.root, spec, "prod").secret_values()
    except DevenvError:
        pass
    for service in project.services:
        try:
            values |= service_env(project, service.name, profile).secret_values()
        except DevenvError:
            continue
    return values
