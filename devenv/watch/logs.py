"""Follow the services' logs while watching: one thread per service, whole lines, a crash
of the supervised process (the shim's exit line) reported with the lines before it."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Optional, Protocol

from devenv.engine.logs import lines_of
from devenv.engine.port import Engine, LogStream
from devenv.engine.records import ContainerDetails
from devenv.errors import DevenvError
from devenv.watch.actions import LOG_SETTLE_S, last_log_lines
from devenv.watch.supervisor import EXIT_MARKER

GetContainer = Callable[[str], ContainerDetails]  # service -> its current container


class LogSink(Protocol):
    def log(self, service: str, line: str) -> None: ...

    def failed(self, service: str, message: str, last_logs: list[str]) -> None: ...


class LogFollower:
    """Streams the logs of one service, re-attaching when its container restarts or is
    replaced (rebuild). `get_container` returns the service's current container."""

    def __init__(
        self, service: str, engine: Engine, get_container: GetContainer, sink: LogSink, *, keep: int = 20
    ):
        self.service = service
        self.engine = engine
        self.get_container = get_container
        self.sink = sink
        self.recent: deque[str] = deque(maxlen=keep)
        self._stop = threading.Event()
        self._stream: Optional[LogStream] = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"devenv-logs-{service}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            try:
                stream.close()  # unblocks the reading thread
            except Exception:
                pass

    def _run(self) -> None:
        since = int(time.time())
        while not self._stop.is_set():
            try:
                container = self.get_container(self.service)
                stream = self.engine.follow_logs(container.id, follow=True, since=since)
            except DevenvError:  # gone for now (rebuild in progress): try again shortly
                self._stop.wait(0.5)
                continue
            with self._lock:
                self._stream = stream
            if self._stop.is_set():
                break
            try:
                self._pump(stream)
            except DevenvError:  # the stream broke (container removed): re-attach
                pass
            since = int(time.time())
            self._stop.wait(0.2)

    def _pump(self, stream: LogStream) -> None:
        for line in lines_of(stream):
            if self._stop.is_set():
                return
            self._line(line)

    def _line(self, line: str) -> None:
        if EXIT_MARKER in line:
            code = line.split(EXIT_MARKER, 1)[1].split()[0]
            self.sink.failed(self.service, f"exited with code {code}", self._crash_lines())
            self.recent.clear()
            return
        self.recent.append(line)
        self.sink.log(self.service, line)

    def _crash_lines(self) -> list[str]:
        """The lines before the crash: the engine's own tail once both streams have settled
        (stdout may trail the shim's stderr line), else what this follower saw."""
        try:
            container = self.get_container(self.service)
        except DevenvError:  # a courtesy for the report: fall back to what we saw
            return list(self.recent)
        tail = last_log_lines(self.engine, container, len(self.recent) + 5, settle_s=LOG_SETTLE_S)
        lines = [line for line in tail if EXIT_MARKER not in line]
        return lines or list(self.recent)


def stream_logs(
    services: list[str], engine: Engine, get_container: GetContainer, sink: LogSink
) -> list[LogFollower]:
    """Start a follower per service; call `.stop()` on each when done."""
    followers = [LogFollower(name, engine, get_container, sink) for name in services]
    for follower in followers:
        follower.start()
    return followers
