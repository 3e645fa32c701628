"""The watcher's folder scan: leaf folders recognised by their link count are not listed, and
the result is the same folders either way (ignored ones pruned)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devenv.watch import observer


def _tree(root: Path) -> None:
    for rel in ("a/b/c", "a/d", "e", "node_modules/pkg/lib", "e/node_modules/x"):
        (root / rel).mkdir(parents=True)
    for folder in ("a/b/c", "a/d", "e"):
        for i in range(5):
            (root / folder / f"f{i}.py").write_text("x")


def _prune(path: Path) -> bool:
    return path.name == "node_modules"


def test_leaf_trust_gives_the_same_folders(tmp_path: Path) -> None:
    _tree(tmp_path)
    listed = observer._scan(tmp_path, _prune, trust_nlink=False)
    trusted = observer._scan(tmp_path, _prune, trust_nlink=True)
    expected = {tmp_path, *(tmp_path / r for r in ("a", "a/b", "a/b/c", "a/d", "e"))}
    assert set(listed.folders) == expected
    assert set(trusted.folders) == expected
    assert trusted.clean == listed.clean
    assert set(trusted.inodes.values()) == set(listed.inodes.values())


def test_leaf_folders_are_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    if os.stat(tmp_path / "a/b/c").st_nlink != 2:
        pytest.skip("this file system does not count subfolders in a folder's links")
    listed: list[str] = []
    real = os.scandir

    def counting(path):  # type: ignore[no-untyped-def]
        listed.append(str(path))
        return real(path)

    monkeypatch.setattr(observer.os, "scandir", counting)
    observer._scan(tmp_path, _prune, trust_nlink=True)
    assert str(tmp_path / "a/b/c") not in listed and str(tmp_path / "a/d") not in listed
    assert str(tmp_path / "a") in listed  # has subfolders: listed
