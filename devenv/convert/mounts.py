"""Compose/devcontainer mounts → devenv `code`, `data`, `volumes` and `docker_socket`.

A bind of the project folder becomes `code`; a bind of any other folder becomes a `data`
entry (project-relative where the source was relative); a named volume stays a volume.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from devenv.config.model import DOCKER_SOCKET
from devenv.convert.draft import Draft, safe_name

_MODES = {"ro", "rw", "z", "Z", "cached", "delegated", "consistent", "nocopy"}


@dataclass(frozen=True)
class Mount:
    kind: str  # bind | volume | tmpfs | other
    source: str  # as written ("" for an anonymous volume)
    target: str
    read_only: bool = False


def parse_short(text: str) -> Optional[Mount]:
    """ "SRC:DST[:MODE]" or "DST" (an anonymous volume)."""
    parts = text.split(":")
    mode = ""
    if (
        len(parts) >= 2
        and parts[-1]
        and set(parts[-1].split(",")) <= _MODES
        and not parts[-1].startswith("/")
    ):
        mode = parts.pop()
    if len(parts) == 1:
        return Mount("volume", "", parts[0], "ro" in mode.split(","))
    if len(parts) != 2 or not parts[1]:
        return None
    source, target = parts
    kind = "bind" if source.startswith(("/", ".", "~", "$")) else "volume"
    return Mount(kind, source, target, "ro" in mode.split(","))


def parse_long(raw: dict[str, Any]) -> Mount:
    read_only = bool(raw.get("read_only", False)) or raw.get("readonly") is True
    return Mount(
        str(raw.get("type", "volume")),
        str(raw.get("source", "") or ""),
        str(raw.get("target", "")),
        read_only,
    )


class MountMapper:
    """Places mounts on a draft service. `base` is the folder relative sources are relative to."""

    def __init__(self, draft: Draft, base: Path, project_root: Path):
        self.draft = draft
        self.base = base
        self.root = project_root.resolve()

    def place(self, service: str, mount: Mount, where: str) -> None:
        svc = self.draft.service(service)
        if not mount.target.startswith("/"):
            self.draft.skip(where, f'target "{mount.target}" is not an absolute container path')
        elif mount.kind == "bind":
            self._bind(service, svc, mount, where)
        elif mount.kind == "volume":
            self._volume(service, svc, mount, where)
        elif mount.kind == "tmpfs":
            self.draft.skip(
                where, "tmpfs mounts are not supported by devenv (read_only = true gives a tmpfs /tmp)"
            )
        else:
            self.draft.skip(where, f"mount type {mount.kind} is not supported by devenv")

    def _bind(self, service: str, svc: dict[str, Any], mount: Mount, where: str) -> None:
        if mount.source == DOCKER_SOCKET and mount.target == DOCKER_SOCKET:
            svc["docker_socket"] = True
            self.draft.note(where, "the engine socket becomes docker_socket = true")
            return
        if "$" in mount.source:
            self.draft.skip(where, f'source "{mount.source}" uses a variable devenv cannot resolve')
            return
        if mount.source.startswith("~"):
            absolute, written = Path(mount.source).expanduser(), mount.source
        else:
            absolute = (self.base / mount.source).resolve()
            written = mount.source
            if not os.path.isabs(mount.source):
                written = os.path.relpath(absolute, self.root).replace(os.sep, "/")
        if absolute == self.root and not mount.read_only and svc.get("code", mount.target) == mount.target:
            svc["code"] = mount.target  # (a second spelling of the same mount adds nothing)
            return
        if self.root.is_relative_to(absolute) and not mount.read_only and "code" not in svc:
            # `../..:/workspaces` (devcontainer compose files): the project's parent, so that the
            # project is at /workspaces/<folder>. devenv mounts the project alone, at that path.
            inside = self.root.relative_to(absolute).as_posix()
            svc["code"] = mount.target.rstrip("/") + "/" + inside
            self.draft.note(
                where,
                f'"{mount.source}:{mount.target}" mounts the project\'s parent folder; devenv mounts '
                f"only the project, at {svc['code']} (where it was inside {mount.target})",
            )
            return
        svc.setdefault("data", []).append(
            {"source": written, "target": mount.target, "read_only": mount.read_only}
        )
        if not absolute.exists():
            self.draft.note(
                where,
                f'data source "{written}" does not exist here; devenv needs it to exist '
                "(create the folder or fix the path)",
            )

    def _volume(self, service: str, svc: dict[str, Any], mount: Mount, where: str) -> None:
        if mount.source:
            name = safe_name(mount.source)
            if name != mount.source:
                self.draft.note(
                    where, f'volume "{mount.source}" is named "{name}" (devenv names are a-z, 0-9, _ -)'
                )
        else:
            name = safe_name(f"{service}-{mount.target.rstrip('/').rsplit('/', 1)[-1]}")
            self.draft.note(where, f'anonymous volume at {mount.target} becomes the named volume "{name}"')
        entry = f"{name}:{mount.target}" + (":ro" if mount.read_only else "")
        svc.setdefault("volumes", []).append(entry)
        self.draft.add_volume(name)

    def finish(self, service: str, where: str) -> None:
        svc = self.draft.service(service)
        if "code" in svc and "user" not in svc:
            self.draft.note(
                where,
                "with the project folder mounted, devenv runs the service as your uid:gid "
                '(user = "host"); set user to keep the image\'s user',
            )
