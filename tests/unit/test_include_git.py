"""The git cache of includes, on a local bare repository (no engine): cloned once, a commit
exported once and shared, nothing fetched when the lock's commit is cached, a missing ref one
line; devenv.lock round-trips the pins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devenv.errors import DevenvError, ExitCode
from devenv.include import gitcache
from devenv.registry.lockfile import LockedInclude, LockFile


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))  # the cache is under it
    src, bare = tmp_path / "src", tmp_path / "notify.git"
    src.mkdir()
    (src / "devenv.toml").write_text('[project]\nname = "notify"\n')
    git("init", "-q", "--bare", str(bare), cwd=tmp_path)
    git("init", "-q", "-b", "main", cwd=src)
    git("add", "-A", cwd=src)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one", cwd=src)
    git("tag", "v1", cwd=src)
    git("push", "-q", str(bare), "main", "v1", cwd=src)
    return src, bare


def test_cloned_once_exported_once_and_offline_from_a_pinned_commit(
    repo: tuple[Path, Path], tmp_path: Path
) -> None:
    src, bare = repo
    url = f"file://{bare}"
    commit = gitcache.resolve_commit(url, "v1", "here")
    assert commit == git("rev-parse", "v1", cwd=src)
    tree = gitcache.export_tree(url, commit, "here")
    assert (tree / "devenv.toml").read_text() == '[project]\nname = "notify"\n'
    marker = tree / "marker"
    marker.write_text("kept")  # present: never reset or exported again
    bare.rename(tmp_path / "gone.git")  # the server unreachable
    assert gitcache.resolve_commit(url, "v1", "here", pinned=commit) == commit
    assert gitcache.resolve_commit(url, "v1", "here") == commit  # the ref as cached
    assert gitcache.export_tree(url, commit, "here") == tree and marker.read_text() == "kept"
    with pytest.raises(DevenvError, match="here: git fetch failed") as err:
        gitcache.resolve_commit(url, "v1", "here", refresh=True)
    assert err.value.exit_code == ExitCode.REGISTRY


def test_a_missing_ref_is_one_line_naming_where(repo: tuple[Path, Path]) -> None:
    _, bare = repo
    with pytest.raises(DevenvError, match=r"^devenv.toml:3 include.n: ref 'v9' not found in file://") as err:
        gitcache.resolve_commit(f"file://{bare}", "v9", "devenv.toml:3 include.n")
    assert err.value.exit_code == ExitCode.USER_ERROR and "\n" not in str(err.value)


def test_a_moved_tag_is_seen_only_when_refreshed(repo: tuple[Path, Path]) -> None:
    src, bare = repo
    url = f"file://{bare}"
    first = gitcache.resolve_commit(url, "v1", "here")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "two", cwd=src)
    git("tag", "-f", "v1", cwd=src)
    git("push", "-q", "-f", str(bare), "main", "v1", cwd=src)
    assert gitcache.resolve_commit(url, "v1", "here") == first  # `up` does not go to the network
    assert gitcache.resolve_commit(url, "v1", "here", refresh=True) != first  # `lock` does


def test_lock_round_trips_include_pins(tmp_path: Path) -> None:
    lock = LockFile(includes={"notify": LockedInclude("file:///x.git", "v1", "a" * 40)})
    lock.save(tmp_path / "devenv.lock")
    loaded = LockFile.load(tmp_path / "devenv.lock")
    assert loaded == lock and loaded is not None
    assert loaded.pinned_commit("file:///x.git", "v1") == "a" * 40
    assert loaded.pinned_commit("file:///x.git", "v2") is None
    (tmp_path / "devenv.lock").write_text(
        'version = 1\n[includes.notify]\ngit = "x"\nref = "v1"\ncommit = "abc"\n'
    )
    with pytest.raises(
        DevenvError, match=r"devenv.lock:2 includes.notify.commit: 'abc' is not a 40-hex commit"
    ):
        LockFile.load(tmp_path / "devenv.lock")
