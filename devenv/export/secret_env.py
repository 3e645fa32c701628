"""Secret env for engines whose secrets are files (Swarm mounts each at /run/secrets/<name>).

Apps read env vars, so a service that receives secrets gets a tiny POSIX `sh` prologue as its
entrypoint: it reads each secret file, exports the variables (a value built from secrets, like
`postgresql://$(DB_USER):$(DB_PASSWORD)@db/shop`, is rebuilt from the files), then `exec`s the
service's real command — so the process is PID 1 and receives the stop signal itself. No secret
value is ever written into the exported file or the service definition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple, Union

from devenv.errors import ConfigError
from devenv.export.common import EnvLike, secret_parts

SECRETS_DIR = "/run/secrets"
PROLOGUE_NAME = "devenv-secret-env"  # $0 of the prologue: names it in `ps` and error lines
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretRef(NamedTuple):
    key: str  # the secret variable whose file is read


Part = Union[str, SecretRef]  # literal text, or a secret file's content


class SecretEnv(NamedTuple):
    keys: tuple[str, ...]  # secret files the service reads (mount each)
    exports: tuple[tuple[str, tuple[Part, ...]], ...]  # variable -> how its value is built


def secret_env(service: str, env: Mapping[str, EnvLike]) -> SecretEnv:
    """Which secret files `service` reads and how each secret variable is rebuilt from them.
    A value built from secrets refers to those secrets; any other secret is its own file."""
    keys: list[str] = []
    exports: list[tuple[str, tuple[Part, ...]]] = []
    for name, item in env.items():
        if not item.secret:
            continue
        parts = secret_parts(name, item)
        built: tuple[Part, ...]
        if parts is None or any(p.secret and p.ref is None for p in parts):
            built = (SecretRef(name),)
        else:
            built = tuple(SecretRef(p.ref) if p.secret and p.ref else p.text for p in parts)
        for part in built:
            if isinstance(part, SecretRef) and part.key not in keys:
                keys.append(part.key)
        exports.append((name, built))
    for name, _ in exports:
        if not _SHELL_NAME.fullmatch(name):
            raise ConfigError(
                f"service {service}: secret variable {name!r} is not a shell name, so the Swarm "
                "export cannot set it from a secret file",
                "rename it to letters, digits and _ (or give the value as a plain variable)",
            )
    return SecretEnv(tuple(keys), tuple(exports))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def prologue(secrets: SecretEnv, directory: str = SECRETS_DIR) -> str:
    """The `sh -c` script: read the files into shell variables, export the env, exec "$@"."""
    var = {key: f"s{i}" for i, key in enumerate(secrets.keys, start=1)}
    lines = ["set -e"]
    for key, name in var.items():
        path = f"{directory}/{key}"
        lines.append(
            f"{name}=$(cat {_quote(path)}) || "
            f'{{ echo "{PROLOGUE_NAME}: secret {key} is not mounted at {path}" >&2; exit 1; }}'
        )
    for name, parts in secrets.exports:
        merged: list[Part] = []
        for part in parts:  # adjacent literal text: one quoted run
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        value = "".join(
            f'"${var[p.key]}"' if isinstance(p, SecretRef) else _quote(p) for p in merged if p != ""
        )
        lines.append(f"export {name}={value or _quote('')}")
    lines.append('exec "$@"')
    return "\n".join(lines)
