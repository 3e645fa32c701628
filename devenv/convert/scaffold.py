"""A fresh devenv.toml from a few answers, and the file writes `devenv init` does.

Nothing is lost: an existing devenv.toml is replaced only on request, and then a `.bak` copy
is kept; `.gitignore` gets `.devenv/` once, whatever else it holds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from devenv.convert.draft import safe_name
from devenv.convert.toml_text import key, value
from devenv.errors import ConfigError
from devenv.fsutil import atomic_write, inside, read_text

CONFIG_NAME = "devenv.toml"
GITIGNORE_LINES = (".devenv/",)


@dataclass(frozen=True)
class ScaffoldAnswers:
    name: str
    registry: Optional[str] = None
    image: Optional[str] = None
    port: Optional[str] = None  # "8000" or "HOST:CONTAINER"
    code: Optional[str] = None  # container path the project folder is mounted at
    service: str = "app"


@dataclass(frozen=True)
class WriteResult:
    path: Path
    backup: Optional[Path]  # the previous file, kept when --force replaced it


def port_string(raw: str) -> str:
    """ "8000" → "8000:8000"; "8080:80" as is. Anything else is a usage error with an example."""
    text = raw.strip()
    pieces = text.split(":")
    if not all(p.isdigit() and 0 < int(p) < 65536 for p in pieces) or len(pieces) > 2:
        raise ConfigError(
            f'--port "{raw}" is not PORT or HOST:CONTAINER', "e.g. --port 8000 or --port 8080:80"
        )
    return text if len(pieces) == 2 else f"{text}:{text}"


def scaffold(answers: ScaffoldAnswers) -> str:
    """The commented devenv.toml for a new project."""
    lines = [
        "# devenv.toml — one file describes the stack; `devenv up` runs it. Written by `devenv init`.",
        "# Reference: `devenv config schema`, docs/init.md. Check this machine with `devenv doctor`.",
        "",
        "[project]",
        f"name = {value(safe_name(answers.name))}  # containers, networks and volumes are labelled with it",
    ]
    registry = f"registry = {value(answers.registry or 'registry.example.com/team')}"
    lines.append(
        ("" if answers.registry else "# ") + registry + "  # team registry; DEVENV_REGISTRY overrides"
    )
    lines += [
        "",
        "# [env]                                  # production config is the single source of truth",
        '# prod = ["deploy/k8s/configmap.yaml"]   # dotenv, k8s ConfigMap/Secret/Deployment, compose file',
        '# secrets = ".devenv/secrets.env"        # local values for secret keys; never committed',
        "",
        f"[services.{key(safe_name(answers.service))}]",
        f"image = {value(answers.image or 'busybox:latest')}  # short names resolve against [project] registry; "
        "`devenv lock` pins the digest",
    ]
    if not answers.image:
        lines.append(
            'command = ["sh", "-c", "while sleep 1000; do :; done"]  # replace with your service\'s command'
        )
    else:
        lines.append('# command = ["python", "-m", "app"]   # default: the image\'s command')
    if answers.port:
        lines.append(
            f"ports = [{value(port_string(answers.port))}]  # host side binds 127.0.0.1; a taken port "
            "moves to the next free one"
        )
    else:
        lines.append('# ports = ["8000:8000"]                # host side binds 127.0.0.1')
    if answers.code:
        lines.append(
            f"code = {value(answers.code)}  # the project folder, mounted read-write (runs as your uid:gid)"
        )
    else:
        lines.append('# code = "/app"                         # mount the project folder here')
    lines += [
        '# data = [{ source = "~/datasets", target = "/data" }]   # host folders, read-only unless read_only = false',
        '# volumes = ["cache:/var/cache/app"]    # named volumes, kept across `devenv down`',
        '# depends_on = ["db"]                  # started (and healthy) first',
        '# health = { cmd = ["sh", "-c", "wget -qO- localhost:8000/health"], interval = "1s" }',
    ]
    if answers.code:
        lines += [
            "",
            f"[services.{key(safe_name(answers.service))}.watch]",
            'action = "restart"  # restart | restart-container | sync | rebuild | exec | none',
            '# paths = ["src/"]                     # project-relative; .gitignore is honoured',
        ]
    return "\n".join(lines) + "\n"


def write_config(root: Path, text: str, force: bool = False) -> WriteResult:
    """Write devenv.toml in `root`; refuse to replace one unless `force`, and then keep the old
    one in the first free `.bak` name: an earlier backup is never overwritten (a second
    `init --force` must not lose the user's original)."""
    path = inside(root, CONFIG_NAME, "devenv init")
    backup: Optional[Path] = None
    if path.exists():
        if not force:
            raise ConfigError(
                f"{path} already exists",
                "use --force to replace it (the old file is kept as devenv.toml.bak, or .bak.1, .bak.2 ...)",
            )
        old = path.read_bytes()
        if old != text.encode():
            backup = _keep_backup(root, old)
    atomic_write(path, text)
    return WriteResult(path, backup)


def _keep_backup(root: Path, data: bytes) -> Path:
    """`data` in devenv.toml.bak, else .bak.1, .bak.2, ... (created exclusively: never over a file)."""
    for number in range(0, 1000):
        name = CONFIG_NAME + ".bak" + (f".{number}" if number else "")
        path = inside(root, name, "devenv init")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path
    raise ConfigError(
        f"{root}: devenv.toml.bak to devenv.toml.bak.999 all exist", "remove the backups you do not need"
    )


def ensure_gitignore(root: Path, lines: tuple[str, ...] = GITIGNORE_LINES) -> list[str]:
    """Add `lines` to root/.gitignore (creating it) unless present; returns the lines added."""
    path = inside(root, ".gitignore", "devenv init")
    current = read_text(path, ".gitignore") if path.exists() else ""
    # ".devenv", "/.devenv" and "/.devenv/" already ignore the folder: do not add a second spelling.
    present = {line.strip().strip("/") for line in current.splitlines()}
    missing = [line for line in lines if line.strip("/") not in present]
    if missing:
        prefix = current if not current or current.endswith("\n") else current + "\n"
        atomic_write(path, prefix + "".join(f"{line}\n" for line in missing))
    return missing


def _dotenv_value(value: str) -> str:
    """A value as the dotenv parser reads it back unchanged (double quotes escape the rest)."""
    if re.fullmatch(r"[A-Za-z0-9_./:@%+,=-]*", value) and " #" not in value:
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def write_local_secrets(root: Path, rel_path: str, values: dict[str, str]) -> list[str]:
    """Add `values` to the local secrets file (created 0600). A key already there keeps its value:
    nothing the developer wrote is replaced. Returns the keys added."""
    from devenv.envvars.dotenv import parse_dotenv

    path = inside(root, rel_path, "devenv init")
    current = read_text(path, rel_path) if path.exists() else ""
    present = {e.key for e in parse_dotenv(current, rel_path).entries} if current else set()
    added = [k for k in values if k not in present]
    if not added:
        return []
    prefix = current if not current or current.endswith("\n") else current + "\n"
    if not current:
        prefix = "# Local secret values (devenv init --from). Never commit this file.\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600 before the rename: the file never exists readable by others, not even for a moment
    atomic_write(path, prefix + "".join(f"{k}={_dotenv_value(values[k])}\n" for k in added), mode=0o600)
    return added
