"""The converters' working document: what will become devenv.toml, plus what could not.

Converters fill a `Draft` key by key; `Draft.conversion()` renders the commented TOML and
returns it with the list of unconverted items (each "dotted.source.key: reason") and notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from devenv.convert import toml_text
from devenv.convert.toml_text import Table

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")

# One line of help per key, written as a trailing comment the first time the key appears.
KEY_HELP = {
    "image": "short names resolve against [project] registry; devenv.lock pins the digest",
    "build": "built from the working tree",
    "ports": "host side binds 127.0.0.1 unless an IP is given; a taken port moves to the next free one",
    "code": "the app's code (the project, or one folder of it), mounted read-write",
    "data": "host folders; read-only unless read_only = false; never deleted",
    "volumes": "named volumes, shared by every service naming them",
    "env": "receive the layered project env ([env] prod sources + profile)",
    "environment": 'literal env (on top of the layered env when env = "prod")',
    "depends_on": "started (and healthy) first",
    "health": "dependants wait until this passes",
    "user": '"host" = your uid:gid',
    "read_only": "read-only root filesystem, tmpfs /tmp",
}


# The order keys are written in, whatever order a converter filled them.
KEY_ORDER = (
    "image",
    "build",
    "command",
    "entrypoint",
    "workdir",
    "ports",
    "code",
    "data",
    "volumes",
    "env",
    "environment",
    "depends_on",
    "health",
    "user",
    "read_only",
    "privileged",
    "docker_socket",
    "stop_timeout",
    "supervise",
    "watch",
)


@dataclass(frozen=True)
class Conversion:
    """The result of converting a compose file or a devcontainer."""

    toml_text: str
    unconverted: list[str]  # "services.web.build.ssh: not supported by devenv — ..."
    notes: list[str]  # changes of meaning worth knowing, e.g. a port now bound to 127.0.0.1
    secrets: dict[str, str] = field(default_factory=dict)  # for the local secrets file, never devenv.toml


def safe_name(raw: str) -> str:
    """A devenv name (a-z, 0-9, _ -) from any compose/devcontainer name."""
    name = re.sub(r"[^a-z0-9_-]+", "-", raw.lower()).strip("-_")
    name = name[:63] or "app"
    return name if NAME_RE.fullmatch(name) else f"x{name}"[:63]


@dataclass
class Draft:
    source_label: str  # e.g. "docker-compose.yml", shown in the header
    project_name: str
    registry: Optional[str] = None
    env_prod: list[str] = field(default_factory=list)
    secret_keys: list[str] = field(default_factory=list)  # [env] secret_keys
    secrets: dict[str, str] = field(default_factory=dict)  # their local values (never in devenv.toml)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_comments: dict[str, list[str]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    unconverted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        self.unconverted.append(f"{where}: {reason}")

    def note(self, where: str, text: str) -> None:
        self.notes.append(f"{where}: {text}")

    def service(self, name: str) -> dict[str, Any]:
        return self.services.setdefault(name, {})

    def add_volume(self, name: str, decl: Optional[dict[str, Any]] = None) -> None:
        current = self.volumes.setdefault(name, {})
        if decl:
            current.update(decl)

    def tables(self) -> list[Table]:
        project = Table("project", {"name": self.project_name})
        project.key_comments["name"] = "containers, networks and volumes are labelled with it"
        if self.registry:
            project.values["registry"] = self.registry
        else:
            project.commented_out["registry"] = "registry.example.com/team"
        project.key_comments["registry"] = "the team registry; DEVENV_REGISTRY overrides"
        tables = [project]
        if self.env_prod or self.secret_keys:
            env = Table("env", {"prod": list(self.env_prod)} if self.env_prod else {})
            if self.env_prod:
                env.key_comments["prod"] = "production config: the single source of truth, later files win"
            if self.secret_keys:
                env.values["secrets"] = ".devenv/secrets.env"
                env.values["secret_keys"] = list(self.secret_keys)
                env.key_comments["secret_keys"] = "their values are local only: never in this file"
            else:
                env.commented_out["secrets"] = ".devenv/secrets.env"
            env.key_comments["secrets"] = "local values for secret keys (gitignored)"
            tables.append(env)
        helped: set[str] = set()
        for name, values in self.services.items():
            ordered = {k: values[k] for k in KEY_ORDER if k in values}
            ordered.update((k, v) for k, v in values.items() if k not in ordered)
            table = Table(f"services.{toml_text.key(name)}", ordered)
            table.comments = list(self.service_comments.get(name, ()))
            for key in values:
                if key in KEY_HELP and key not in helped:
                    helped.add(key)
                    table.key_comments[key] = KEY_HELP[key]
            tables.append(table)
        for name, decl in self.volumes.items():
            if decl:
                tables.append(Table(f"volumes.{toml_text.key(name)}", dict(decl)))
        return tables

    def conversion(self) -> Conversion:
        header = [
            f"devenv.toml — converted from {self.source_label} by `devenv init --from`.",
            "Reference: `devenv config schema`, docs/init.md. Start with `devenv doctor`, then `devenv up`.",
        ]
        if self.unconverted:
            header += ["", "Not converted (review these by hand):"]
            header += [f"  - {item}" for item in self.unconverted]
        if self.notes:
            header += ["", "Notes:"]
            header += [f"  - {item}" for item in self.notes]
        text = toml_text.render(self.tables(), header)
        return Conversion(text, list(self.unconverted), list(self.notes), dict(self.secrets))
