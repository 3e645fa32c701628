"""Compose/devcontainer mounts → devenv `code`, `data`, `volumes` and `docker_socket`.

A bind of the project folder becomes `code`; so does a bind of one of its folders that holds
the app's source (mounted at the service's working dir or its Dockerfile's WORKDIR, or holding
code files): `code = { source = "vote", target = "/usr/local/app" }`, watched for that service.
A bind of any other folder becomes a `data` entry (project-relative where the source was
relative); a named volume stays a volume.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from devenv.config.model import DOCKER_SOCKET
from devenv.convert.draft import Draft, safe_name

_MODES = {"ro", "rw", "z", "Z", "cached", "delegated", "consistent", "nocopy"}
# Files that say "this folder is an app's source" (not data, config or database scripts).
_CODE_SUFFIXES = {".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".go", ".php", ".java", ".kt", ".rs", ".ex", ".cs"}
_CODE_FILES = {"package.json", "requirements.txt", "pyproject.toml", "Gemfile", "go.mod", "Cargo.toml", "composer.json"}


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
        why = None if mount.read_only or "code" in svc else self._app_source(svc, absolute, mount.target)
        if why:
            rel = absolute.relative_to(self.root).as_posix()
            svc["code"] = {"source": rel, "target": mount.target}
            self.draft.note(
                where,
                f'"{mount.source}:{mount.target}" is the app\'s source ({why}): code = {{ source = "{rel}", '
                f'target = "{mount.target}" }}, so a save in {rel}/ reloads the service',
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

    def _app_source(self, svc: dict[str, Any], folder: Path, target: str) -> Optional[str]:
        """Why a bind of a project folder is the app's code, or None (then it is data)."""
        if folder == self.root or not folder.is_relative_to(self.root) or not folder.is_dir():
            return None
        target = posixpath.normpath(target)
        if svc.get("workdir") and posixpath.normpath(str(svc["workdir"])) == target:
            return "mounted at the service's working_dir"
        workdir = self._dockerfile_workdir(svc.get("build"))
        if workdir is not None and workdir[1] == target:
            return f"mounted at the WORKDIR of {workdir[0]}"
        found = sorted(
            p.name for p in folder.iterdir() if p.is_file() and (p.suffix in _CODE_SUFFIXES or p.name in _CODE_FILES)
        )
        return f"it holds {found[0]}" if found else None

    def _dockerfile_workdir(self, build: Any) -> Optional[tuple[str, str]]:
        """(the Dockerfile, the last WORKDIR it sets), when the service is built from one."""
        if not isinstance(build, dict):
            return None
        context = self.root / str(build.get("context", "."))
        dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
        try:
            lines = dockerfile.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        workdirs = [line.split(None, 1)[1].strip() for line in lines if line.strip().upper().startswith("WORKDIR ")]
        if not workdirs or "$" in workdirs[-1] or not workdirs[-1].startswith("/"):
            return None
        label = os.path.relpath(dockerfile, self.root).replace(os.sep, "/")
        return label, posixpath.normpath(workdirs[-1].strip("\"'"))

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
                "with its code mounted, devenv runs the service as your uid:gid "
                '(user = "host"); set user to keep the image\'s user',
            )
