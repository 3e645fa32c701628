"""The fault tests' stack and runner: a three-service stack, what the engine holds for a project,
and devenv run as a child process whose stderr is read as it comes (to interrupt it mid-way)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from tests.conftest import Result

TRIALS = int(os.environ.get("DEVENV_FAULT_TRIALS", "6"))  # CI's bounded sample; slow variants run 20
SEED = int(os.environ.get("DEVENV_FAULT_SEED", "20261125"))
PROJECT_LABEL = "dev.devenv.project"


def stack_toml(name: str, image: str, *, api_env: str = "1", extra: str = "") -> str:
    """db (health-checked, named volume) ← api ← web (published port): three dependency waves."""
    return f"""
[project]
name = "{name}"

[services.db]
image = "{image}"
command = ["sh", "-c", "touch /tmp/ready; exec sleep 100000"]
supervise = false
health = {{ cmd = ["test", "-f", "/tmp/ready"], interval = "100ms", retries = 100 }}
volumes = ["dbdata:/var/lib/db"]

[services.api]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
environment = {{ VERSION = "{api_env}" }}
depends_on = ["db"]

[services.web]
image = "{image}"
command = ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
supervise = false
ports = ["0:8080"]
depends_on = ["api"]
{extra}
"""


def labelled(client: Any, project: str) -> dict[str, list[str]]:
    """Everything on the engine labelled for `project`."""
    label = f"{PROJECT_LABEL}={project}"
    return {
        "containers": sorted(c.name for c in client.containers.list(all=True, filters={"label": label})),
        "networks": sorted(n.name for n in client.networks.list(filters={"label": label})),
        "volumes": sorted(v.name for v in client.volumes.list(filters={"label": label})),
    }


class Running:
    """`devenv ARGS` as a child process whose stderr is collected line by line as it comes."""

    def __init__(self, project: Any, *args: str, **env: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devenv", *args],
            cwd=project.root,
            env=project.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.err_lines: list[str] = []
        self._seen = threading.Condition()
        self._out: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=lambda: self._out.append(self.proc.stdout.read()), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            with self._seen:
                self.err_lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        """Block until a stderr line contains `text` (a hang guard, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.err_lines:
                    if text in line:
                        return line
                if not self._readers[0].is_alive():
                    raise AssertionError(f"stderr ended before {text!r}:\n{''.join(self.err_lines)}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {text!r} within {timeout}s:\n{''.join(self.err_lines)}")
                self._seen.wait(min(left, 0.5))

    def signal(self, signum: int = signal.SIGINT) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def finish(self, timeout: float = 90) -> Result:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"devenv did not exit within {timeout}s:\n{''.join(self.err_lines)}"
            ) from None
        for reader in self._readers:
            reader.join(timeout=10)
        return Result(self.proc.returncode, "".join(self._out), "".join(self.err_lines))


def assert_clean(result: Result) -> None:
    """No traceback, ever; a failure is `error: ...` (+ `hint: ...`)."""
    assert "Traceback" not in result.err, str(result)
    assert "internal error" not in result.err, str(result)
