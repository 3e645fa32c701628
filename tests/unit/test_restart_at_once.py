"""restart.sh and supervise.sh run on this machine's /bin/sh: a process that fails on start is
reported as exited at once (exit 1), however quickly the wait first looks; one that stays up is
reported running (exit 0). The same scripts run in containers in the integration tests."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from devenv.watch import actions, supervisor

SHIM = supervisor._SOURCE


def hup_as_in_a_container() -> None:
    """A container's first process starts with SIGHUP at its default; a test run may not (under
    `nohup` it is ignored, and a shell cannot trap a signal ignored when it started)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start_supervisor(tmp_path: Path, app: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {"PATH": "/usr/bin:/bin", "DEVENV_STATUS": str(tmp_path / "status")}
    proc = subprocess.Popen(["/bin/sh", str(SHIM / "supervise.sh"), "/bin/sh", "-c", app], env=env, cwd=tmp_path,
                            stderr=subprocess.DEVNULL, preexec_fn=hup_as_in_a_container)  # fmt: skip
    status = tmp_path / "status"
    deadline = time.monotonic() + 10
    while not (status.exists() and "running" in status.read_text()):
        assert time.monotonic() < deadline, "the supervisor did not start"
        time.sleep(0.01)
    return proc, env


def restart(env: dict[str, str]) -> tuple[int, str]:
    """restart.sh's exit code, and what it printed (its error line after a " | ", if any)."""
    done = subprocess.run(["/bin/sh", str(SHIM / "restart.sh"), "10"], env=env, capture_output=True, text=True)
    said = done.stdout.strip() + (f" | {done.stderr.strip()}" if done.stderr.strip() else "")
    return done.returncode, said


@pytest.fixture
def supervised(tmp_path):
    procs = []

    def start(app: str) -> dict[str, str]:
        proc, env = start_supervisor(tmp_path, app)
        procs.append(proc)
        return env

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_a_process_that_fails_just_after_its_start_is_reported_exited(supervised, tmp_path):
    # It runs ~10 ms before it fails: the supervisor's "running" comes first, every time.
    env = supervised("[ -f crash ] && { sleep 0.01; exit 3; }; exec sleep 1000")
    (tmp_path / "crash").write_text("")
    for _ in range(5):
        code, out = restart(env)
        assert code == 1, out
        assert out.split()[0] == "exited" and out.split()[3] == "3", out


def test_a_process_that_stays_up_is_reported_running(supervised):
    env = supervised("exec sleep 1000")
    code, out = restart(env)
    assert code == 0, out
    assert out.split()[0] == "running"


def test_the_shell_wait_and_the_python_wait_agree_on_at_once():
    script = (SHIM / "restart.sh").read_text()
    assert re.search(r"^at_once=([0-9.]+)$", script, re.M).group(1) == str(actions.AT_ONCE_S)
