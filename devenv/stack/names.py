"""Names and labels of everything devenv creates: the labels are the source of truth
for what runs, so `up` is idempotent and `down` removes exactly what it owns."""

from __future__ import annotations

import re

LABEL_PREFIX = "dev.devenv"
PROJECT = f"{LABEL_PREFIX}.project"
INSTANCE = f"{LABEL_PREFIX}.instance"
SERVICE = f"{LABEL_PREFIX}.service"
CONFIG_HASH = f"{LABEL_PREFIX}.config-hash"
ENV_HASH = f"{LABEL_PREFIX}.env-hash"
IMAGE_REF = f"{LABEL_PREFIX}.image"
IMAGE_DIGEST = f"{LABEL_PREFIX}.image-digest"
PROJECT_DIR = f"{LABEL_PREFIX}.project-dir"
PROFILE = f"{LABEL_PREFIX}.profile"
OWNER_PID = f"{LABEL_PREFIX}.owner-pid"  # set on `devenv test` instances: stale once that pid is gone
OWNER_HOST = f"{LABEL_PREFIX}.owner-host"
SECURITY = f"{LABEL_PREFIX}.security"  # "privileged", "docker-socket": shown in status
VOLUME_NAME = f"{LABEL_PREFIX}.volume"

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


def base_labels(project: str, instance: str) -> dict[str, str]:
    return {PROJECT: project, INSTANCE: instance}


def label_filters(project: str, instance: str | None = None) -> list[str]:
    filters = [f"{PROJECT}={project}"]
    if instance is not None:
        filters.append(f"{INSTANCE}={instance}")
    return filters
