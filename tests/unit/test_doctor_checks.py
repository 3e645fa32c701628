"""The pure parts of `devenv doctor`: verdicts, timestamps, folder counting, socket modes."""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

import pytest

from devenv.ops.doctor import DoctorReport
from devenv.ops.doctor_checks import (
    GIB,
    Check,
    api_tuple,
    clock_check,
    count_watch_dirs,
    disk_verdict,
    engine_check,
    inotify_check,
    inotify_verdict,
    parse_engine_time,
    socket_check,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-25T16:24:00Z", dt.datetime(2024, 11, 25, 16, 24, tzinfo=dt.timezone.utc)),
        ("2024-11-25T16:24:00.123456789Z", dt.datetime(2024, 11, 25, 16, 24, 0, 123456, dt.timezone.utc)),
        ("2024-11-25T17:24:00.5+01:00", dt.datetime(2024, 11, 25, 16, 24, 0, 500000, dt.timezone.utc)),
    ],
)
def test_engine_time_keeps_the_zone_and_cuts_nanoseconds(text: str, expected: dt.datetime) -> None:
    assert parse_engine_time(text) == expected.timestamp()


def test_engine_time_rejects_other_text() -> None:
    with pytest.raises(ValueError):
        parse_engine_time("yesterday")


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_clock_within_the_slack_is_ok_and_beyond_warns_with_a_fix() -> None:
    now = 1_700_000_000.0
    assert clock_check(_iso(now + 1.5), now, now).status == "ok"
    ahead = clock_check(_iso(now + 30), now, now)
    assert ahead.status == "warn" and "30.0 s ahead of" in ahead.detail and "timedatectl" in (ahead.fix or "")
    behind = clock_check(_iso(now - 30), now, now)
    assert "behind" in behind.detail
    # a slow round trip widens what counts as agreement
    assert clock_check(_iso(now + 5), now, now + 8).status == "ok"
    assert clock_check(None, now, now).status == "skip"


def test_disk_verdicts() -> None:
    assert disk_verdict(GIB // 2, 100 * GIB) == "fail"
    assert disk_verdict(3 * GIB, 100 * GIB) == "warn"
    assert disk_verdict(50 * GIB, 100 * GIB) == "ok"


def test_inotify_verdicts() -> None:
    assert inotify_verdict(10, 8192) == "ok"
    assert inotify_verdict(5000, 8192) == "high"
    assert inotify_verdict(9000, 8192) == "over"


def test_count_watch_dirs_skips_vcs_dependencies_and_symlinks(tmp_path: Path) -> None:
    for folder in [
        "src/a/b",
        "src/c",
        ".git/objects/aa",
        "node_modules/x/y",
        ".venv/lib",
        "web/node_modules/z",
    ]:
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "src" / "file.py").write_text("x")
    os.symlink(tmp_path / "src", tmp_path / "link-to-src")
    # root, src, src/a, src/a/b, src/c, web
    assert count_watch_dirs(tmp_path) == 6
    assert count_watch_dirs(tmp_path, stop_after=2) == 3  # stops early on huge trees


def test_inotify_check_reads_the_limit_and_gives_a_sysctl_fix(tmp_path: Path) -> None:
    tree = tmp_path / "proj"
    for i in range(6):
        (tree / f"d{i}").mkdir(parents=True)
    limit = tmp_path / "max_user_watches"
    limit.write_text("100\n")
    assert inotify_check(tree, limit).status == "ok"
    limit.write_text("5\n")
    over = inotify_check(tree, limit)
    assert over.status == "warn" and "7 folders" in over.detail and "poll" in over.detail
    assert "fs.inotify.max_user_watches=524288" in (over.fix or "") and "sysctl" in (over.fix or "")
    assert inotify_check(tree, tmp_path / "missing").status == "skip"


def test_engine_check_needs_api_1_41() -> None:
    assert api_tuple("1.41") == (1, 41) and api_tuple("1.9") == (1, 9)
    assert engine_check("unix:///s", {"Version": "20.10.24", "ApiVersion": "1.41"}, None).status == "ok"
    old = engine_check("unix:///s", {"Version": "19.03", "ApiVersion": "1.40"}, None)
    assert old.status == "fail" and old.exit_code == 3 and "20.10" in (old.fix or "")


def test_socket_check_reads_mode_and_access(tmp_path: Path) -> None:
    path = tmp_path / "engine.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert socket_check(f"unix://{path}").status == "ok"
        assert socket_check("tcp://10.0.0.1:2376").status == "skip"
        assert socket_check(f"unix://{tmp_path}/absent.sock").status == "skip"
    plain = tmp_path / "plain"
    plain.write_text("")
    not_socket = socket_check(f"unix://{plain}")
    assert not_socket.status == "fail" and "not a socket" in not_socket.detail


@pytest.mark.skipif(os.getuid() == 0, reason="root may use any socket")
def test_socket_without_access_names_the_group_fix(tmp_path: Path) -> None:
    path = tmp_path / "engine.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        os.chmod(path, 0)
        denied = socket_check(f"unix://{path}")
    assert denied.status == "fail" and "usermod -aG" in (denied.fix or "")


def test_report_exit_code_is_the_first_blocker() -> None:
    report = DoctorReport(
        [
            Check("a", "a", "ok", "fine"),
            Check("b", "b", "warn", "meh", "do x"),
            Check("c", "c", "fail", "engine", "start it", 3),
            Check("d", "d", "fail", "registry", "login", 4),
        ]
    )
    assert not report.ok and report.exit_code == 3
    doc = report.to_dict()
    assert [c["exit_code"] for c in doc["checks"]] == [None, None, 3, 4]
    assert DoctorReport([Check("b", "b", "warn", "meh", "do x")]).exit_code == 0
