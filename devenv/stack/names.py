"""Names of everything devenv creates for a project instance (its labels: `engine.labels`)."""

from __future__ import annotations

import re

from devenv.errors import DevenvError

DEFAULT_INSTANCE = "default"
_INSTANCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")
_MAX = 31


def valid_instance(name: str) -> bool:
    return bool(_INSTANCE.fullmatch(name))


def instance_from(text: str) -> str:
    """A valid instance name for free text (a git worktree's name): lower-case, every other
    character run as one `-`. A name too long (or with nothing left) keeps a prefix and gains a
    short hash of the whole text, so two long names that share a prefix still differ."""
    name = re.sub(r"[^a-z0-9_-]+", "-", _ascii(text).lower()).strip("-_")
    if name and len(name) <= _MAX:
        return name
    import hashlib  # only for a long name: every command names its instance

    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    head = name[: _MAX - len(digest) - 1].rstrip("-_") or "wt"
    return f"{head}-{digest}"


def _ascii(text: str) -> str:
    """`Über` → `Uber`: accents dropped rather than the letters (only for non-ASCII names)."""
    if text.isascii():
        return text
    import unicodedata  # only for the rare non-ASCII name

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


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
