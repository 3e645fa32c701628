"""Env targets: the environments a project can mirror or compare (`[env.targets]`; `prod`, the
default, is `[env] prod`). A target is only another list of sources: picking one gives an
EnvSpec whose `prod` holds its sources, so layering, drift and hashing read it unchanged."""

from __future__ import annotations

from typing import Union

from devenv.config.model import EnvSpec, Project, RenderSource
from devenv.errors import ConfigError

DEFAULT = "prod"


def declared(spec: EnvSpec) -> dict[str, tuple[Union[str, RenderSource], ...]]:
    """name -> sources of every target, `prod` first (it exists even with no sources)."""
    found = dict(spec.targets)
    found[spec.target] = spec.prod  # the mirrored one, as the spec holds it now
    return {DEFAULT: found.get(DEFAULT, ()), **{k: v for k, v in sorted(found.items()) if k != DEFAULT}}


def for_target(spec: EnvSpec, name: str) -> EnvSpec:
    """The spec that mirrors target `name`; an unknown name is one line listing the declared."""
    targets = declared(spec)
    if name not in targets:
        raise ConfigError(
            f'unknown env target "{name}"; declared: {", ".join(targets)}',
            f"declare it in devenv.toml: [env.targets] {name} = [...], or use one of those",
        )
    return spec._replace(prod=targets[name], target=name)


def with_target(project: Project, name: str) -> Project:
    """The project mirroring target `name`."""
    return project._replace(env=for_target(project.env, name))


def all_sources(spec: EnvSpec) -> tuple[Union[str, RenderSource], ...]:
    """Every target's sources, each once, in order: what devenv.lock records and trust grants."""
    return tuple(dict.fromkeys(entry for sources in declared(spec).values() for entry in sources))
