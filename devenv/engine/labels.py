"""Every label devenv puts on what it creates, in this one module: the labels are the state
(what runs, for which project, instance and service, from which config), so `up` is idempotent
and `down` removes exactly what it owns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

LABEL_PREFIX = "dev.devenv"
PROJECT = f"{LABEL_PREFIX}.project"
INSTANCE = f"{LABEL_PREFIX}.instance"
SERVICE = f"{LABEL_PREFIX}.service"
CONFIG_HASH = f"{LABEL_PREFIX}.config-hash"
# What the config hash is made of, a short digest per part ("command=1a2b3c4d,env=…"), and the
# names (never the values) of the variables devenv set: they say why a hash changed. Neither is
# in the hash itself.
CONFIG_PARTS = f"{LABEL_PREFIX}.config-parts"
ENV_KEYS = f"{LABEL_PREFIX}.env-keys"
ENV_HASH = f"{LABEL_PREFIX}.env-hash"
IMAGE_REF = f"{LABEL_PREFIX}.image"
IMAGE_DIGEST = f"{LABEL_PREFIX}.image-digest"
PROJECT_DIR = f"{LABEL_PREFIX}.project-dir"
PROFILE = f"{LABEL_PREFIX}.profile"
TARGET = f"{LABEL_PREFIX}.target"  # the env target mirrored, when not prod (`up --target staging`)
OWNER_PID = f"{LABEL_PREFIX}.owner-pid"  # set on `devenv test` instances: stale once that pid is gone
OWNER_HOST = f"{LABEL_PREFIX}.owner-host"
SECURITY = f"{LABEL_PREFIX}.security"  # "privileged", "docker-socket": shown in status
INCLUDE = f"{LABEL_PREFIX}.include"  # on an included stack's containers: the include's name
INCLUDE_SOURCE = f"{LABEL_PREFIX}.include-source"  # "git" (pinned commit), "image" (released stack), "path" or "link"
VOLUME_NAME = f"{LABEL_PREFIX}.volume"
BUILD_INPUTS = f"{LABEL_PREFIX}.build-inputs"  # on a service's own image: what it was built from
CATALOG = f"{LABEL_PREFIX}.catalog"  # on catalog images: the image's name in images/<name>/
CATALOG_INPUTS = f"{CATALOG}.inputs"  # on catalog images: the hash of what they were built from
RELEASE = f"{LABEL_PREFIX}.release"  # on release images (exports to clusters): <project>/<service>
OCI = "org.opencontainers.image"  # the OCI annotation keys catalog images carry


def base_labels(project: str, instance: str) -> dict[str, str]:
    return {PROJECT: project, INSTANCE: instance}


def service_build_labels(project: str, service: str) -> dict[str, str]:
    """A service's own image (built from the working tree) names its project and service."""
    return {PROJECT: project, SERVICE: service}


def selector(project: str, instance: Optional[str] = None, service: Optional[str] = None) -> list[str]:
    """The label filter for what a project (instance, service) owns."""
    filters = [f"{PROJECT}={project}"]
    if instance is not None:
        filters.append(f"{INSTANCE}={instance}")
    if service is not None:
        filters.append(f"{SERVICE}={service}")
    return filters


def carries(labels: Optional[Mapping[str, str]], selector: Sequence[str]) -> bool:
    """Whether `labels` carry every item of a label filter ("key=value" or a bare "key"), as
    the engine's filter is meant to match (all of them, not any)."""
    found = labels or {}
    for item in selector:
        key, has_value, value = item.partition("=")
        if key not in found or (has_value and found[key] != value):
            return False
    return True


def owner_labels(pid: int, host: str) -> dict[str, str]:
    return {OWNER_PID: str(pid), OWNER_HOST: host}


def owner_of(labels: dict[str, str]) -> Optional[tuple[int, str]]:
    """(pid, host) of the `devenv test` run that owns an object, if it is one's."""
    pid, host = labels.get(OWNER_PID, ""), labels.get(OWNER_HOST, "")
    return (int(pid), host) if pid.isdigit() and host else None


def owned_only(labels: dict[str, str], keys: Sequence[str] = (OWNER_PID, OWNER_HOST)) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k in keys}


def without_owner(labels: dict[str, str]) -> dict[str, str]:
    """What identifies an object's config: owner labels vary per run and never count."""
    return {k: v for k, v in labels.items() if k not in (OWNER_PID, OWNER_HOST)}
