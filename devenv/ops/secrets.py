"""Every secret value this project knows — production's (from Secret manifests) and the local
ones a profile injects — so the CLI can redact them from everything it prints, including what
containers log and what errors quote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from devenv.config.model import Project
from devenv.envvars import resolve_env, service_env
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.reconcile.resolve import Envs


def known_secret_values(
    project: Project, profile: Optional[str] = None, envs: Optional[Envs] = None
) -> set[str]:
    """Best effort by design: a source that fails to resolve here fails loudly in the command
    that needs it; redaction takes every value it can find. `envs`: the services' envs, when
    the caller resolved them already (they are not resolved again)."""
    spec = project.env
    if not (spec.prod or spec.secrets or spec.profiles):
        return set()
    values: set[str] = set()
    try:
        values |= resolve_env(project.root, spec, "prod").secret_values()
    except DevenvError:
        pass
    if envs is not None:
        return values | envs.secret_values
    for service in project.services:
        try:
            values |= service_env(project, service.name, profile).secret_values()
        except DevenvError:
            continue
    return values
