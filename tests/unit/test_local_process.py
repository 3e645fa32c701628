"""The direct signal's guards: only a container's own PID 1 is ever signalled from here."""

from __future__ import annotations

import subprocess
import sys

from devenv.engine import local_process

SOME_ID = "f" * 64


def test_a_process_outside_the_container_is_not_its_init():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not local_process.is_container_init(child.pid, SOME_ID)
        assert not local_process.send(child.pid, SOME_ID, "SIGTERM")
        assert child.poll() is None  # never signalled
    finally:
        child.kill()
        child.wait()


def test_no_pid_a_gone_pid_or_an_unknown_signal_leave_it_to_the_engine():
    assert not local_process.send(0, SOME_ID, "SIGHUP")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert not local_process.send(gone.pid, SOME_ID, "SIGHUP")
    assert not local_process.send(1, SOME_ID, "SIGNOPE")
    assert not local_process.is_container_init(1, "short")
