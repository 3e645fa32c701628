"""The observer on a real file system: ignored folders are never watched, new folders are,
and an inotify limit that runs out is reported with the fix and covered by polling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from devenv.watch.ignore import IgnoreMatcher
from devenv.watch.inotify import inotify_watched_inodes
from devenv.watch.observer import TreeWatcher
from tests.integration.test_watch_support import wait_for


def _watcher(root: Path, seen: set[str], **kw) -> TreeWatcher:
    matcher = IgnoreMatcher(root, [])
    lock = threading.Lock()

    def on_change(path: str, is_dir: bool, created: bool = False) -> None:
        with lock:
            seen.add(os.path.relpath(path, root))

    return TreeWatcher(
        [root], lambda p: matcher.ignored(p.relative_to(root).as_posix(), True), on_change, **kw
    )


def test_ignored_folders_get_no_watch_and_new_folders_do(tmp_path):
    root = tmp_path / "p"
    for d in ("src/pkg", "node_modules/lib/deep", ".git/objects", "src/pkg/__pycache__"):
        (root / d).mkdir(parents=True)
    seen: set[str] = set()
    watcher = _watcher(root, seen)
    try:
        report = watcher.start()
        assert report.folders == 3  # p, src, src/pkg
        assert report.watched == 3 and report.polled == 0 and not report.notes
        if sys.platform.startswith("linux"):
            held = set(inotify_watched_inodes() or [])
            assert (root / "node_modules").stat().st_ino not in held
            assert (root / "src" / "pkg" / "__pycache__").stat().st_ino not in held
        (root / "node_modules" / "lib" / "x.js").write_text("x")
        (root / "newdir").mkdir()  # under the root, which has a non-recursive watch
        wait_for(lambda: "newdir" in seen, what="the new folder")
        (root / "newdir" / "inside.txt").write_text("x")
        (root / "src" / "pkg" / "m.py").write_text("x")
        wait_for(lambda: {"newdir/inside.txt", "src/pkg/m.py"} <= seen, what="events in watched folders")
        assert not any(s.startswith("node_modules") for s in seen)
    finally:
        watcher.stop()
        watcher.stop()  # idempotent


def test_polling_mode_sees_changes_without_walking_ignored_folders(tmp_path):
    root = tmp_path / "p"
    (root / "a").mkdir(parents=True)
    (root / "node_modules").mkdir()
    seen: set[str] = set()
    watcher = _watcher(root, seen, force_polling=True, poll_interval_s=0.1)
    try:
        report = watcher.start()
        assert report.mode == "polling" and report.polled == 2
        (root / "node_modules" / "x.js").write_text("x")
        (root / "a" / "b.txt").write_text("x")
        wait_for(lambda: "a/b.txt" in seen, what="a polled change")
        assert "node_modules/x.js" not in seen
    finally:
        watcher.stop()


SHORTFALL = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from devenv.watch.observer import TreeWatcher
    root = Path(sys.argv[1])
    seen = set()
    watcher = TreeWatcher([root], lambda p: False, lambda p, d, c: seen.add(os.path.relpath(p, root)),
                          poll_interval_s=0.1)
    report = watcher.start()
    for i in range(120):
        (root / f"d{i:03d}" / "f.txt").write_text("x")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len([s for s in seen if s.endswith("f.txt")]) < 120:
        time.sleep(0.05)
    watcher.stop()
    print(json.dumps({"report": report.__dict__, "seen": len([s for s in seen if s.endswith("f.txt")])}))
    """
)


def _in_namespace_with_limit(tmp_path: Path, setting: str, limit: int) -> dict:
    """The SHORTFALL script on a 121-folder tree, in a user namespace whose inotify `setting`
    (max_inotify_watches, max_inotify_instances) is `limit`: a limit really used up."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-Ur", "true"], capture_output=True).returncode != 0:
        pytest.skip("no unprivileged user namespaces here (unshare -Ur)")
    root = tmp_path / "tree"
    for i in range(120):
        (root / f"d{i:03d}").mkdir(parents=True)
    script = tmp_path / "shortfall.py"
    script.write_text(SHORTFALL)
    proc = subprocess.run(
        [
            unshare,
            "-Ur",
            "sh",
            "-c",
            f'echo {limit} > /proc/sys/user/{setting} && exec "$@"',
            "sh",
            sys.executable,
            str(script),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_inotify_limit_shortfall_is_reported_and_polled(tmp_path):
    """In a user namespace with a 40-watch limit, 121 folders cannot all be watched: the
    recursive watch that does not fit becomes one a folder, as many as fit, the rest polled."""
    result = _in_namespace_with_limit(tmp_path, "max_inotify_watches", 40)
    report = result["report"]
    assert report["mode"] == "native+polling"
    assert report["folders"] == 121
    assert report["watched"] == 40
    assert report["polled"] == 81
    (note,) = report["notes"]
    assert "watching 40 of 121 folders" in note
    assert "sudo sysctl fs.inotify.max_user_watches=524288" in note
    assert "/etc/sysctl.d/" in note
    assert result["seen"] == 120  # every change arrives, watched or polled


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_no_watch_left_at_all_polls_everything(tmp_path):
    """Not even the root's watch can be added (another program holds them all): watchdog
    raises ENOSPC for it, and every folder is polled, with the fix."""
    result = _in_namespace_with_limit(tmp_path, "max_inotify_watches", 0)
    report = result["report"]
    assert (report["folders"], report["watched"], report["polled"]) == (121, 0, 121)
    (note,) = report["notes"]
    assert "watching 0 of 121 folders" in note
    assert "sudo sysctl fs.inotify.max_user_watches=" in note
    assert result["seen"] == 120


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_no_inotify_instance_left_polls_everything(tmp_path):
    """No inotify instance can be created (max_user_instances used up): the native observer
    cannot start at all; the whole tree is polled and the instances fix is named."""
    result = _in_namespace_with_limit(tmp_path, "max_inotify_instances", 0)
    report = result["report"]
    assert report["mode"] == "polling"
    assert report["polled"] == 121
    (note,) = report["notes"]
    assert "no inotify instance is left" in note
    assert "sudo sysctl fs.inotify.max_user_instances=1024" in note
    assert result["seen"] == 120


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_a_new_file_is_told_apart_from_a_file_saved_in_place_or_renamed_into_place(tmp_path):
    # The watcher settles sooner after the save itself than after a new (temp) file's close.
    root = tmp_path / "p"
    root.mkdir()
    (root / "page.py").write_text("v1\n")
    events: list[tuple[str, bool]] = []
    watcher = TreeWatcher([root], lambda p: False, lambda p, d, c: events.append((os.path.relpath(p, root), c)))
    try:
        watcher.start()
        (root / "page.py").write_text("v2\n")  # in place
        (root / ".page.py.tmp").write_text("v3\n")  # a new file...
        (root / ".page.py.tmp").replace(root / "page.py")  # ...renamed into place
        wait_for(lambda: events.count(("page.py", False)) >= 2, what="the in-place save and the rename")
        assert (".page.py.tmp", True) in events
        assert ("page.py", True) not in events
    finally:
        watcher.stop()
