"""Why a container is recreated, from the labels it was created with: which parts of its config
hash changed, its image digest before and after, the names of the variables that changed.
Pure; names only, never a value (an env value may be a secret)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from devenv.engine import labels as L
from devenv.engine.records import ContainerSpec
from devenv.reconcile.parts import parse_parts

# The parts of the hash a cause names in words of their own; the rest are named as they are.
_SAID_APART = ("image", "env", "labels")
_PART_NAMES = {"init": "supervision", "read_only": "read_only", "stop_timeout": "stop_timeout"}
# Labels that say something a user wrote or chose (the rest follow from image, env or folder).
_LABEL_NAMES = {
    L.PROFILE: "profile",
    L.TARGET: "target",  # `up --target staging`; no label: prod
    L.IMAGE_REF: "image",
    L.SECURITY: "security",
    L.PROJECT_DIR: "project folder",
}
MAX_KEYS = 5


def short_digest(digest: str) -> str:
    """`sha256:0123456789ab…`: enough to tell two apart."""
    algorithm, _, hexa = digest.rpartition(":")
    if len(hexa) <= 12:
        return digest or "none"
    return f"{algorithm + ':' if algorithm else ''}{hexa[:12]}…"


def recreate_cause(
    spec: ContainerSpec, labels: Mapping[str, str], env: Optional[Mapping[str, str]] = None
) -> str:
    """Why the container with `labels` (and, when read, `env`) is not the one `spec` asks for.
    A container made before devenv wrote the parts label gets what its other labels tell."""
    old = parse_parts(labels.get(L.CONFIG_PARTS, ""))
    new = parse_parts(spec.labels.get(L.CONFIG_PARTS, ""))
    causes: list[str] = []
    old_digest = labels.get(L.IMAGE_DIGEST, "")
    if old_digest != spec.image_digest:
        causes.append(f"image digest changed {short_digest(old_digest)}→{short_digest(spec.image_digest)}")
    elif old and old.get("image") != new.get("image"):
        causes.append("image changed")
    env_changed = old.get("env") != new.get("env") if old else labels.get(L.ENV_HASH) != spec.env_hash
    if env_changed:
        causes.append(env_cause(spec, labels, env))
    for part in sorted(new):
        if old and part not in _SAID_APART and old.get(part) != new.get(part):
            causes.append(f"{_PART_NAMES.get(part, part)} changed")
    for key, name in _LABEL_NAMES.items():
        if labels.get(key, "") != spec.labels.get(key, ""):
            unset = "prod" if key == L.TARGET else "none"
            before, after = labels.get(key) or unset, spec.labels.get(key) or unset
            shown = key in (L.PROFILE, L.TARGET, L.IMAGE_REF)  # a folder or the security list: too long to say
            causes.append(f"{name} changed {before}→{after}" if shown else f"{name} changed")
    if not causes and old and old.get("labels") != new.get("labels"):
        causes.append("labels changed")
    return "; ".join(causes) or "configuration changed"


def env_cause(spec: ContainerSpec, labels: Mapping[str, str], env: Optional[Mapping[str, str]]) -> str:
    """`env changed (DATABASE_URL, +NEW, -OLD)`: the names of the variables set, added or
    dropped. A value is compared in memory only; when the container's env was not read (or
    only a secret's value moved in a way the names cannot show), no names."""
    desired = dict(spec.environment)
    listed = labels.get(L.ENV_KEYS)
    before = set(listed.split(",")) - {""} if listed is not None else None
    names: list[str] = []
    if env is not None:
        names += [
            k
            for k in sorted(desired)
            if (before is None or k in before) and k in env and env[k] != desired[k]
        ]
    if before is not None:
        names += [f"+{k}" for k in sorted(set(desired) - before)]
        names += [f"-{k}" for k in sorted(before - set(desired))]
    elif env is not None:
        names += [f"+{k}" for k in sorted(desired) if k not in env]
    if not names:
        return "env changed"
    shown = names[:MAX_KEYS] + ([f"{len(names) - MAX_KEYS} more"] if len(names) > MAX_KEYS else [])
    return f"env changed ({', '.join(shown)})"
