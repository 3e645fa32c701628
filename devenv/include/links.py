"""`devenv link NAME PATH`: an include switched to a local checkout, recorded in
.devenv/links.toml (local to this machine, never committed)."""

from __future__ import annotations

import json
from pathlib import Path

from devenv.config import toml as tomllib
from devenv.errors import ConfigError
from devenv.fsutil import atomic_write

LINKS = Path(".devenv") / "links.toml"


def read_links(root: Path) -> dict[str, Path]:
    path = root / LINKS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}", "remove it, then `devenv link` again") from None
    links = data.get("links") or {}
    return {str(k): Path(str(v)) for k, v in links.items() if isinstance(v, str)}


def write_links(root: Path, links: dict[str, Path]) -> None:
    path = root / LINKS
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        atomic_write(ignore, "*\n")
    lines = ["# devenv link / unlink: includes run from a local checkout (this machine only)", "[links]"]
    lines += [f"{json.dumps(k)} = {json.dumps(str(v))}" for k, v in sorted(links.items())]
    atomic_write(path, "\n".join(lines) + "\n")
