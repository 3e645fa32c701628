"""What both exporters share: the env-value protocol, env selection, durations, YAML text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Protocol

from devenv.config.model import Project, Service
from devenv.envvars.model import Piece
from devenv.errors import ConfigError


class EnvLike(Protocol):
    """A layered env value: `devenv.envvars.EnvValue` fits, so does any object with these three."""

    @property
    def value(self) -> str: ...

    @property
    def secret(self) -> bool: ...

    @property
    def pieces(self) -> tuple[Piece, ...]:
        """What a derived value is built from (empty for a plain value)."""
        ...


class _Literal:
    """A literal `environment` value from devenv.toml (never secret: it is committed in the file)."""

    secret = False
    pieces: tuple[Piece, ...] = ()

    def __init__(self, value: str):
        self.value = value


def secret_parts(key: str, item: EnvLike) -> Optional[tuple[Piece, ...]]:
    """The pieces of a secret value built from other variables, when every secret part of it
    is a named variable (so an export can refer to those instead of the whole value); else None.
    A value built from its own name (compose's `KEY: ${KEY}`) is a plain secret: None."""
    if not item.secret or not item.pieces:
        return None
    refs = [p.ref for p in item.pieces if p.secret and p.ref is not None]
    if not refs or key in refs:
        return None
    return item.pieces


Envs = Mapping[str, Mapping[str, EnvLike]]


def service_env(service: Service, envs: Envs) -> dict[str, EnvLike]:
    """The env a service's container receives: `envs[name]` when given (the CLI passes what
    `devenv.envvars.service_env` resolves: the layered env with a literal `environment` on top),
    else its literal `environment`, else nothing."""
    if service.name in envs:
        return dict(envs[service.name])
    return {key: _Literal(value) for key, value in service.environment or ()}


def pinned_image(project: Project, service: Service, images: Mapping[str, str]) -> Optional[str]:
    """The locked reference of a service's image; None for a service that builds and has no lock entry."""
    ref = images.get(service.name)
    if ref:
        return ref
    if service.build is not None:
        return None
    raise ConfigError(
        f"devenv.lock has no digest for service {service.name} ({service.image})",
        "run `devenv lock` so the export pins every image to its digest",
    )


def duration(seconds: float) -> str:
    """Seconds as a compose duration: "500ms", "5s"."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def dump_yaml(doc: Any, header: Optional[list[str]] = None) -> str:
    import yaml  # lazy: only export needs it

    class Dumper(yaml.SafeDumper):
        pass

    def text_block(dumper: Any, data: str) -> Any:
        # A script (the Swarm secret prologue) reads as lines: a literal block, not one quoted line.
        style = "|" if "\n" in data and not any(line.endswith(" ") for line in data.split("\n")) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, text_block)
    text = yaml.dump(
        doc, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header or [])
    return comments + text
