"""`devenv watch SERVICE` as a user runs it, in the background of a test: its stderr collected
line by line, stopped with Ctrl-C (SIGINT) as a user stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Optional

from tests.integration.real_stack import wait_for


class Watcher:
    def __init__(self, root: Path, env: dict[str, str], service: str = "web"):
        self.service = service
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devenv", "watch", service],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        stream = self.process.stderr
        assert stream is not None
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True)
        self.reader.start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def __enter__(self) -> Watcher:
        try:
            wait_for(lambda: f"watching {self.service}" in self.text, "the watcher starts", timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)

    @property
    def returncode(self) -> Optional[int]:
        return self.process.returncode
