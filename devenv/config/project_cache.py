"""devenv.toml as a built project, kept from the last command that built it.

Every command reads devenv.toml; parsing and validating it (tomllib, the declarations, the
checks that span keys) costs more than a no-op `up` or `status` does with the engine, and
importing the parser nearly as much again. A project built from the same text, by the same
devenv code, whose file-system answers (where paths lead, which folders and data paths exist,
what `~` stands for: `config.host_facts`) are all still the same, is the same project: it is read
from here instead, without loading the parser.

The entry is a pickle, read back with an unpickler that builds only the model's records and
paths: a file put here by someone else cannot make devenv run anything. Anything unexpected
(another format, a broken or foreign file, a record the model no longer has) is a miss, never an
error: the caller parses the file as if there were no cache. Entries are written owner-only,
atomically, one per devenv.toml path; they hold what devenv.toml says, which is committed anyway.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from devenv import paths
from devenv.config.host_facts import still_hold

if TYPE_CHECKING:
    from devenv.config.model import Project

FORMAT = 1  # what an entry holds changes with it
_CODE = Path(__file__).parent  # the modules that build a project: a change there is a new project

_ALLOWED = {
    "devenv.config.includes": {"IncludeSpec"},
    "pathlib": {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"},
}


class _ModelOnly(pickle.Unpickler):
    """Builds the model's records, paths and plain values; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "devenv.config.model" or name in _ALLOWED.get(module, ()):
            found = super().find_class(module, name)
            if isinstance(found, type) and (module != "devenv.config.model" or issubclass(found, tuple)):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a project")


def entry_path(config: Path) -> Path:
    """One entry per devenv.toml path (the entry names it: a shared name is a miss, not a mix-up)."""
    key = os.fsencode(str(config))
    return paths.cache_dir() / "projects" / f"{zlib.crc32(key):08x}-{len(key)}.pickle"


def code_identity() -> tuple[Any, ...]:
    """The interpreter and the exact sources of the config layer (name, size, mtime of each)."""
    files = sorted(
        (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
        for entry in os.scandir(_CODE)
        if entry.name.endswith(".py")
    )
    return (FORMAT, sys.version, *files)


def lookup(config: Path, text: str) -> Optional[Project]:
    """The project `text` (devenv.toml at `config`) built into last time, while it still holds."""
    try:
        raw = entry_path(config).read_bytes()
        entry = _ModelOnly(io.BytesIO(raw)).load()
    except Exception:
        return None
    if not isinstance(entry, dict):
        return None
    same = (
        entry.get("config") == str(config)
        and entry.get("text") == text
        and entry.get("code") == code_identity()
    )
    answers, project = entry.get("facts"), entry.get("project")
    try:
        holds = same and isinstance(answers, list) and still_hold(answers)
    except (TypeError, ValueError):  # not (question, path, answer) triples: not an entry of ours
        return None
    if not holds:
        return None
    from devenv.config.model import Project  # loaded already: the entry's records are its

    return project if isinstance(project, Project) else None


def store(config: Path, text: str, answers: list[tuple[str, str, str]], project: Project) -> None:
    """Keep `project` for the next command; a cache that cannot be written is only slower."""
    from devenv.fsutil import atomic_write

    entry = {
        "config": str(config),
        "text": text,
        "code": code_identity(),
        "facts": answers,
        "project": project,
    }
    try:
        target = entry_path(config)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(target, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), 0o600)
    except (OSError, pickle.PicklingError):
        pass
