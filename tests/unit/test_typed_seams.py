"""The seams a newcomer reads through stay typed for the checker: the names the lazy
`devenv.envvars` facade loads on first use, and the AppContext every command is handed.

mypy reads `typecheck/seams.py` with the project's own configuration (and its cache, so a run after
`mypy` is quick); each line marked `# E: code` must be reported with that code, and nothing else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEAMS = Path(__file__).resolve().parent / "typecheck" / "seams.py"
MARK = re.compile(r"#\s*E:\s*([a-z-]+)\s*$")
REPORTED = re.compile(r"^[^:]+:(\d+): error: .*\[([a-z-]+)\]$")


def _expected() -> set[tuple[int, str]]:
    return {
        (number, match.group(1))
        for number, line in enumerate(SEAMS.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := MARK.search(line))
    }


def test_the_checker_sees_the_real_types_behind_the_seams(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api")
    monkeypatch.chdir(ROOT)  # so mypy finds this checkout's devenv before an installed one
    stdout, stderr, _ = api.run(
        ["--config-file", "pyproject.toml", "--show-error-codes", "--no-error-summary", str(SEAMS)]
    )
    reported = {(int(m.group(1)), m.group(2)) for m in map(REPORTED.match, stdout.splitlines()) if m}
    assert not stderr
    assert reported == _expected(), stdout


def test_commands_take_the_typed_context_not_ctx_obj() -> None:
    # `ctx.obj` and `click.pass_obj` are `Any`: a command reached through them is unchecked.
    untyped = []
    for path in sorted((ROOT / "devenv" / "cli").glob("*.py")):
        if path.name == "app.py":  # the group's callback is what puts the AppContext there
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("obj", "pass_obj"):
                untyped.append(f"{path.name}:{node.lineno}")
    assert not untyped, f"use devenv.cli.context.pass_app / app_of instead: {untyped}"
