"""The bad-config corpus through the real `devenv up -d` process: exit 1, one `error:` line
naming file:line and key, never a traceback (a seeded sample; all files under -m slow)."""

from __future__ import annotations

import random
import shutil

import pytest

from tests.faults.stack_harness import SEED, assert_clean
from tests.unit.test_config_corpus import FILES, expectation, expected_prefix

SAMPLE = random.Random(SEED).sample(FILES, 12)


def up_rejects(project, path) -> None:
    line, key, text = expectation(path)
    shutil.copyfile(path, project.root / "devenv.toml")
    result = project.run("up", "-d")
    assert_clean(result)
    assert result.code == 1, str(result)
    first = result.err.splitlines()[0]
    assert first.startswith("error: " + expected_prefix(line, key)) and text in first, str(result)


@pytest.mark.parametrize("path", SAMPLE, ids=[p.stem for p in SAMPLE])
def test_up_rejects_broken_files_cleanly(offline_project, path) -> None:
    up_rejects(offline_project, path)


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_up_rejects_every_corpus_file(offline_project, path) -> None:
    up_rejects(offline_project, path)
