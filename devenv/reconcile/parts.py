"""The CONFIG_PARTS label: a short digest per part of the config hash, "command=1a2b3c4d,…"."""

from __future__ import annotations

from collections.abc import Mapping


def format_parts(parts: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(parts.items()))


def parse_parts(label: str) -> dict[str, str]:
    """The label read back; {} for a container made before devenv wrote it."""
    return dict(item.partition("=")[::2] for item in label.split(",") if "=" in item)
