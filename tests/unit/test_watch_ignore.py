"""Ignore matching: temp files, .git, default tool folders, globs, .gitignore, .dockerignore."""

from __future__ import annotations

import pytest

from devenv.watch.ignore import IgnoreMatcher


@pytest.mark.parametrize("name", ["a.py.swp", ".a.py.swp", "a.py~", ".#a.py", "4913", "#a.py#"])
def test_editor_temp_files_are_always_ignored(tmp_path, name):
    matcher = IgnoreMatcher(tmp_path, [], include_ignored=True)
    assert matcher.ignored(f"src/{name}", False)
    assert matcher.ignored(name, False)


def test_git_folder_is_always_ignored(tmp_path):
    matcher = IgnoreMatcher(tmp_path, [], include_ignored=True)
    assert matcher.ignored(".git", True)
    assert matcher.ignored(".git/index", False)
    assert matcher.ignored("sub/.git/HEAD", False)
    assert not matcher.ignored(".gitignore", False)


def test_default_tool_folders_unless_included(tmp_path):
    matcher = IgnoreMatcher(tmp_path, [])
    for path in [
        "node_modules/x/index.js",
        "web/node_modules/y.js",
        ".venv/bin/python",
        "a/__pycache__/m.pyc",
    ]:
        assert matcher.ignored(path, False), path
    assert matcher.ignored("node_modules", True)
    assert not matcher.ignored("src/app.py", False)
    included = IgnoreMatcher(tmp_path, [], include_ignored=True)
    assert not included.ignored("node_modules/x/index.js", False)
    assert not included.ignored("node_modules", True)


def test_user_globs_with_negation(tmp_path):
    matcher = IgnoreMatcher(tmp_path, ["**/*.pyc", "build/", "*.log", "!keep.log"], use_gitignore=False)
    assert matcher.ignored("a/b/c.pyc", False)
    assert matcher.ignored("build", True)
    assert matcher.ignored("build/out.js", False)
    assert matcher.ignored("x/build/out.js", False)
    assert matcher.ignored("debug.log", False)
    assert not matcher.ignored("keep.log", False)
    assert not matcher.ignored("a/b/c.py", False)


def test_gitignore_root_and_nested(tmp_path):
    (tmp_path / ".gitignore").write_text("# comment\n*.tmp\n/dist\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / ".gitignore").write_text("generated/\n!important.tmp\n")
    matcher = IgnoreMatcher(tmp_path, [])
    assert matcher.ignored("a.tmp", False)
    assert matcher.ignored("deep/x/a.tmp", False)
    assert matcher.ignored("dist", True)
    assert matcher.ignored("dist/app.js", False)
    assert not matcher.ignored("web/dist/app.js", False)  # anchored to the root
    assert matcher.ignored("web/generated/a.js", False)
    assert not matcher.ignored("generated/a.js", False)  # the nested rule stays in web/
    assert not matcher.ignored("web/important.tmp", False)  # re-included deeper down
    assert not IgnoreMatcher(tmp_path, [], use_gitignore=False).ignored("a.tmp", False)


def test_gitignore_change_is_picked_up_after_forget(tmp_path):
    matcher = IgnoreMatcher(tmp_path, [])
    assert not matcher.ignored("out/a.js", False)
    (tmp_path / ".gitignore").write_text("out/\n")
    matcher.forget_gitignore(".gitignore")
    assert matcher.ignored("out/a.js", False)


def test_dockerignore_is_anchored_and_honoured(tmp_path):
    (tmp_path / ".dockerignore").write_text("secrets\n**/*.bak\n!keep.bak\n")
    matcher = IgnoreMatcher(tmp_path, [])
    assert matcher.ignored("secrets/key", False)
    assert not matcher.ignored("app/secrets/key", False)
    assert matcher.ignored("app/x.bak", False)
    assert not matcher.ignored("keep.bak", False)
    assert not IgnoreMatcher(tmp_path, [], use_dockerignore=False).ignored("secrets/key", False)


def test_root_is_never_ignored(tmp_path):
    matcher = IgnoreMatcher(tmp_path, ["*"])
    assert not matcher.ignored("", True)
    assert matcher.ignored("anything", False)
