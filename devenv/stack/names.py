"""Names of everything devenv creates for a project instance (its labels: `engine.labels`)."""

from __future__ import annotations

import re

from devenv.errors import DevenvError

DEFAULT_INSTANCE = "default"
_INSTANCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")


def valid_instance(name: str) -> bool:
    return bool(_INSTANCE.fullmatch(name))


def prefix(project: str, instance: str) -> str:
    return f"{project}-{instance}"


def container_name(project: str, instance: str, service: str) -> str:
    return f"{prefix(project, instance)}-{service}"


def network_name(project: str, instance: str) -> str:
    return prefix(project, instance)


def volume_name(project: str, instance: str, volume: str) -> str:
    return f"{prefix(project, instance)}-{volume}"


def check_instance(name: str) -> None:
    if not valid_instance(name):
        raise DevenvError(
            f'instance name "{name}" is not valid', "use 1-31 characters: lower-case letters, digits, - and _"
        )
