"""What the file system answered while devenv.toml was built into a project: where a path
leads (symlinks resolved), whether a folder or path exists, what `~` stands for. A project
built before holds only while every answer is still the same (`config.project_cache`)."""

from __future__ import annotations

import os
from pathlib import Path

from devenv.errors import ConfigError
from devenv.paths import resolved

RESOLVE, IS_DIR, EXISTS, HOME = "resolve", "is_dir", "exists", "home"


def _answer(question: str, path: str) -> str:
    if question == RESOLVE:
        return str(resolved(Path(path), "path"))
    if question == IS_DIR:
        return "1" if os.path.isdir(path) else "0"
    if question == EXISTS:
        return "1" if os.path.exists(path) else "0"
    return os.path.expanduser(path)  # HOME


class HostFacts:
    """Asks the file system and notes each question with its answer (as text)."""

    __slots__ = ("answers",)

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, str]] = []  # (question, path, answer)

    def _ask(self, question: str, path: str) -> str:
        answer = _answer(question, path)
        self.answers.append((question, path, answer))
        return answer

    def resolve(self, path: Path) -> Path:
        """`path.resolve()` (a symlink loop: ConfigError, as `paths.resolved` words it)."""
        return Path(self._ask(RESOLVE, str(path)))

    def is_dir(self, path: Path) -> bool:
        return self._ask(IS_DIR, str(path)) == "1"

    def exists(self, path: Path) -> bool:
        return self._ask(EXISTS, str(path)) == "1"

    def expanduser(self, written: str) -> str:
        return self._ask(HOME, written)


def still_hold(answers: list[tuple[str, str, str]]) -> bool:
    """Whether the file system answers every question as it did."""
    for question, path, answer in answers:
        try:
            if _answer(question, path) != answer:
                return False
        except (ConfigError, OSError):
            return False
    return True
