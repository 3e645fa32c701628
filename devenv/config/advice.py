"""What a valid devenv.toml probably did not mean: warnings `config validate` prints (exit 0)."""

from __future__ import annotations

from devenv.config.model import Project


def env_advice(project: Project) -> list[str]:
    """A service with its own `environment` and no `env` key receives nothing from [env] prod:
    production's env is mirrored into it only when it says env = "prod"."""
    if not project.env.prod:
        return []
    label = project.config_file.name
    sources = ", ".join(e if isinstance(e, str) else e.entry for e in project.env.prod)
    return [
        f"{label}:{svc.line} services.{svc.name}: has an `environment` table and no `env` key, so it "
        f"receives nothing from [env] prod ({sources}) — add env = \"prod\" to mirror production's env "
        f'into it (its table goes on top), or env = "none" to say it needs none'
        for svc in project.services
        if svc.environment is not None and svc.env is None
    ]
