"""Which paths a watcher ignores: editor temp files and `.git/` always; bulky tool folders
(`node_modules`, `.venv`, ...) unless asked; the service's `ignore` globs; `.gitignore`
(nested ones too) and `.dockerignore`.

Paths are project-relative POSIX strings. Patterns use gitignore syntax via pathspec.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

# Never a reason to reload: editor swap/backup files and vim's write test file "4913".
TEMP_FILE_PATTERNS = ("*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", "4913", ".DS_Store")
ALWAYS_IGNORED_DIRS = frozenset({".git", ".hg", ".svn"})
# Big, tool-managed folders: watching them costs thousands of inotify watches for nothing.
DEFAULT_IGNORED_DIRS = frozenset(
    {"node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", ".ruff_cache"}
)


def _spec(lines: Sequence[str]) -> Optional[Any]:
    import pathspec  # lazy: the CLI imports watch modules only when watching

    cleaned = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(cleaned) if cleaned else None


def _dockerignore_lines(text: str) -> list[str]:
    """.dockerignore patterns are anchored at the context root; gitignore ones float."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line[1:] if negate else line
        body = body.lstrip("/")
        if body.startswith("./"):
            body = body[2:]
        anchored = body if body.startswith("**") else "/" + body
        lines.append(("!" if negate else "") + anchored)
    return lines


class IgnoreMatcher:
    """Decides whether a project-relative path is ignored. Thread-safe; caches per folder."""

    def __init__(
        self,
        root: Path,
        patterns: Sequence[str],
        *,
        use_gitignore: bool = True,
        use_dockerignore: bool = True,
        include_ignored: bool = False,
    ):
        self.root = Path(root)
        self.include_ignored = include_ignored
        self.use_gitignore = use_gitignore
        self._user = _spec(list(patterns))
        docker = self.root / ".dockerignore"
        self._docker = (
            _spec(_dockerignore_lines(docker.read_text(errors="replace")))
            if use_dockerignore and docker.is_file()
            else None
        )
        self._gitignores: dict[str, Optional[Any]] = {}  # folder -> spec of its .gitignore
        self._dir_cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        if use_gitignore:
            exclude = self.root / ".git" / "info" / "exclude"
            if exclude.is_file():
                self._gitignores["\0exclude"] = _spec(exclude.read_text(errors="replace").splitlines())

    def ignored(self, rel_posix_path: str, is_dir: bool) -> bool:
        rel = rel_posix_path.strip("/")
        if not rel or rel == ".":
            return False
        parent, _, name = rel.rpartition("/")
        if not is_dir and any(fnmatch.fnmatchcase(name, pat) for pat in TEMP_FILE_PATTERNS):
            return True
        if parent and self._dir_ignored(parent):
            return True
        return self._own_match(rel, name, is_dir)

    def _dir_ignored(self, rel_dir: str) -> bool:
        with self._lock:
            cached = self._dir_cache.get(rel_dir)
        if cached is not None:
            return cached
        parent, _, name = rel_dir.rpartition("/")
        result = (bool(parent) and self._dir_ignored(parent)) or self._own_match(rel_dir, name, True)
        with self._lock:
            if len(self._dir_cache) > 100_000:  # bound memory on enormous trees
                self._dir_cache.clear()
            self._dir_cache[rel_dir] = result
        return result

    def _own_match(self, rel: str, name: str, is_dir: bool) -> bool:
        """The path itself (its folders already checked) against every rule."""
        if is_dir and name in ALWAYS_IGNORED_DIRS:
            return True
        if is_dir and not self.include_ignored and name in DEFAULT_IGNORED_DIRS:
            return True
        probe = rel + "/" if is_dir else rel
        if self._docker is not None and self._docker.match_file(probe):
            return True
        if self.use_gitignore and self._gitignored(rel, probe):
            return True
        return self._user is not None and self._user.match_file(probe)

    def _gitignored(self, rel: str, probe: str) -> bool:
        exclude = self._gitignores.get("\0exclude")
        if exclude is not None and exclude.match_file(probe):
            return True
        # Every .gitignore from the root down to the path's folder, matched relative to its folder.
        folders = [""]
        parts = rel.split("/")[:-1]
        for i in range(len(parts)):
            folders.append("/".join(parts[: i + 1]))
        verdict = False
        for folder in folders:
            spec = self._gitignore_of(folder)
            if spec is None:
                continue
            sub = probe[len(folder) + 1 :] if folder else probe
            result = spec.check_file(sub)
            if result.include is not None:
                verdict = bool(result.include)  # a deeper file overrides (also with `!negation`)
        return verdict

    def _gitignore_of(self, folder: str) -> Optional[Any]:
        with self._lock:
            if folder in self._gitignores:
                return self._gitignores[folder]
        path = self.root / folder / ".gitignore" if folder else self.root / ".gitignore"
        try:
            spec = _spec(path.read_text(errors="replace").splitlines())
        except OSError:
            spec = None
        with self._lock:
            self._gitignores[folder] = spec
        return spec

    def forget_gitignore(self, rel_posix_path: str) -> None:
        """A .gitignore changed: drop what was cached so the next check reads it again."""
        folder = rel_posix_path.rpartition("/")[0]
        with self._lock:
            self._gitignores.pop(folder, None)
            self._dir_cache.clear()
