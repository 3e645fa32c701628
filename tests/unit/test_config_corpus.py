"""The bad-config corpus: every broken devenv.toml in tests/corpus/bad_config gives one clean
line naming file, line and key — through the loader and through the real CLI boundary.

Each corpus file starts with `# expect: LINE KEY :: TEXT` (LINE 0 and KEY "-" where the problem
has no line or key of its own, e.g. a TOML syntax error names only the line).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.errors import ConfigError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_config"
FILES = sorted(CORPUS.glob("*.toml"))
_EXPECT = re.compile(r"# expect: (\d+) (\S+) :: (.+)")


def expectation(path: Path) -> tuple[int, str, str]:
    match = _EXPECT.fullmatch(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: first line must be `# expect: LINE KEY :: TEXT`"
    return int(match[1]), match[2], match[3]


def expected_prefix(line: int, key: str) -> str:
    location = f"devenv.toml:{line}" if line else "devenv.toml"
    return f"{location} {key}: " if key != "-" else f"{location}: "


def test_the_corpus_has_at_least_fifty_files() -> None:
    assert len(FILES) >= 50


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_loader_names_file_line_and_key(path: Path, tmp_path: Path, monkeypatch) -> None:
    line, key, text = expectation(path)
    target = tmp_path / "devenv.toml"
    shutil.copyfile(path, target)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        parse_project(target.read_text(encoding="utf-8"), target)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(expected_prefix(line, key)), message
    assert text in message, message


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cli_prints_one_error_line_and_exits_1(path: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from devenv.cli.app import main

    line, key, text = expectation(path)
    shutil.copyfile(path, tmp_path / "devenv.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    with pytest.raises(SystemExit) as exited:
        main(["config", "validate"])
    captured = capsys.readouterr()
    assert exited.value.code == 1, captured.err
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: " + expected_prefix(line, key)), captured.err
    assert text in lines[0], captured.err
    assert all(extra.startswith("hint: ") for extra in lines[1:]), captured.err
