"""The shim's host copy and the command wrapping (the shim itself runs in integration tests)."""

from __future__ import annotations

import stat

from devenv.watch import supervisor


def test_shim_host_dir_copies_once_per_content(tmp_path, monkeypatch):
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path))
    first = supervisor.shim_host_dir()
    assert first.parent == tmp_path / "shim"
    assert (first / "supervise.sh").read_bytes() == (supervisor._SOURCE / "supervise.sh").read_bytes()
    assert stat.S_IMODE((first / "restart.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE(first.stat().st_mode) == 0o755
    mtime = (first / "supervise.sh").stat().st_mtime_ns
    assert supervisor.shim_host_dir() == first
    assert (first / "supervise.sh").stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "shim").iterdir()] == [first.name]  # no staging left


def test_wrap_and_restart_commands():
    wrapped = supervisor.wrap_command(["python", "-m", "app"])
    assert wrapped == ["/bin/sh", "/.devenv/supervise.sh", "python", "-m", "app"]
    assert supervisor.is_supervised(wrapped)
    assert not supervisor.is_supervised(["python", "-m", "app"])
    assert supervisor.restart_command()[:2] == ["/bin/sh", "/.devenv/restart.sh"]


def test_parse_status():
    assert supervisor.parse_status("1 3 exited - 2\n") == {
        "shim_pid": "1",
        "generation": "3",
        "state": "exited",
        "pid": "-",
        "code": "2",
    }
    assert supervisor.parse_status("") == {}
