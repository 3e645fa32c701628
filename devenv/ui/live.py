"""The dashboard's live feed: one thread waits on the engine's event stream, one per running
container follows its log; what they bring is sent to every open page as server-sent events.
Nothing runs on a timer: a quiet stack costs no CPU. A state refresh follows an event (a few
together make one), log lines leave in batches at most every `FLUSH_S`."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.logs import lines_of
from devenv.engine.port import Engine, EventStream, LogStream
from devenv.engine.records import EngineEvent
from devenv.envvars.redact import Redactor
from devenv.errors import DevenvError
from devenv.ops.reload_journal import Cursor, journal_path, last_entries, read_entries
from devenv.ui.logbuf import Line, LogBuffers
from devenv.ui.views import Inspections, state_doc

FLUSH_S = 0.1  # log batches: at most ten sends a second, whatever the flood
SETTLE_S = 0.05  # events that come together (die, stop, start) make one refresh
BACKLOG = 2000  # lines a page gets when it opens
QUEUE = 512  # messages waiting for one page; a page that falls behind loses log batches, not state
RELOADS = 50  # the watcher's last reloads a page shows
QUIET_ACTIONS = ("exec_create", "exec_start", "exec_die", "exec_detach")  # health probes


def sse(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def log_message(lines: list[Line], dropped: int) -> dict[str, Any]:
    return {"lines": [[seq, service, text] for seq, service, text in lines], "dropped": dropped}


class Live:
    def __init__(self, project: Project, instance: str, engine: Engine, redactor: Redactor) -> None:
        self.project = project
        self.instance = instance
        self.engine = engine
        self.redactor = redactor
        self.logs = LogBuffers()
        self.inspections = Inspections(engine)
        self.state: dict[str, Any] = {"project": project.name, "instance": instance, "instances": []}
        self._pages: set[asyncio.Queue[Optional[str]]] = set()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._events: Optional[EventStream] = None
        self._followed: dict[str, LogStream] = {}
        self._follow_lock = threading.Lock()
        self._refresh_due = False
        self._flush_due = False
        self._closed = False
        self.journal = journal_path(project.root, project.name, instance)
        self.reloads: list[dict[str, Any]] = []
        self._journal_at = Cursor()
        self._journal_watch: Any = None  # watchdog's observer (untyped)

    # --- life ---
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._events = self.engine.events(L.selector(self.project.name))  # before the first read: nothing slips by
        threading.Thread(target=self._watch_events, daemon=True, name="ui-events").start()
        await self._refresh()
        self._tail_journal()
        for container in self.engine.containers(L.selector(self.project.name, self.instance)):
            # A stopped container's last lines are why it stopped: read once, not followed.
            self._follow(container.id, container.service, tail=200, follow=container.running)

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop

    def close_soon(self) -> None:
        """From a signal handler: ends the pages' streams on the loop, so the server's shutdown
        does not wait for them."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.close)

    def close(self) -> None:
        self._closed = True
        if self._events is not None:
            self._events.close()
        with self._follow_lock:
            streams = list(self._followed.values())
            self._followed.clear()
        for stream in streams:
            stream.close()
        if self._journal_watch is not None:
            self._journal_watch.stop()
        for page in list(self._pages):
            page.put_nowait(None)

    # --- pages ---
    def subscribe(self) -> asyncio.Queue[Optional[str]]:
        page: asyncio.Queue[Optional[str]] = asyncio.Queue(maxsize=QUEUE)
        page.put_nowait(sse("state", self.state))
        page.put_nowait(sse("logs", log_message(self.logs.tail(count=BACKLOG), 0)))
        page.put_nowait(sse("reloads", {"entries": self.reloads, "all": True}))
        self._pages.add(page)
        return page

    def unsubscribe(self, page: asyncio.Queue[Optional[str]]) -> None:
        self._pages.discard(page)

    def publish(self, kind: str, data: Any) -> None:
        message = sse(kind, data)
        for page in list(self._pages):
            if page.full():
                if kind == "logs":
                    continue  # that page lost a batch; the next one still comes
                page.get_nowait()  # state: the newest must arrive
            page.put_nowait(message)

    # --- engine events (a thread) ---
    def _watch_events(self) -> None:
        assert self._events is not None and self._loop is not None
        try:
            for event in self._events:
                if event.action.startswith(QUIET_ACTIONS):
                    continue
                self._loop.call_soon_threadsafe(self._on_event, event)
        except DevenvError as err:
            if not self._closed:
                self._loop.call_soon_threadsafe(self.publish, "notice", {"message": f"engine events ended: {err}"})

    def _on_event(self, event: EngineEvent) -> None:
        self.inspections.forget(event.container)
        if event.action == "start" and event.instance == self.instance:
            self._follow(event.container, event.service, since=int(event.time))
        if not self._refresh_due:
            self._refresh_due = True
            assert self._loop is not None
            self._loop.call_later(SETTLE_S, lambda: asyncio.ensure_future(self._refresh()))

    async def _refresh(self) -> None:
        self._refresh_due = False
        try:
            self.state = await asyncio.to_thread(
                state_doc, self.project, self.instance, self.engine, self.inspections, self.redactor
            )
        except DevenvError as err:
            self.publish("notice", {"message": str(err)})
            return
        self.publish("state", self.state)

    # --- logs (a thread per container) ---
    def _follow(
        self,
        container: str,
        service: str,
        *,
        tail: Optional[int] = None,
        since: Optional[int] = None,
        follow: bool = True,
    ) -> None:
        with self._follow_lock:
            if container in self._followed or self._closed:
                return
            try:
                stream = self.engine.follow_logs(container, follow=follow, tail=tail, since=since)
            except DevenvError:
                return  # gone already
            self._followed[container] = stream
        threading.Thread(
            target=self._read_log, args=(container, service, stream), daemon=True, name=f"ui-logs-{service}"
        ).start()

    def _read_log(self, container: str, service: str, stream: LogStream) -> None:
        assert self._loop is not None
        try:
            for text in lines_of(stream):
                if self.logs.add(service, self.redactor.redact(text)):
                    self._loop.call_soon_threadsafe(self._schedule_flush)
        except DevenvError:
            pass  # removed mid-stream
        finally:
            with self._follow_lock:
                if self._followed.get(container) is stream:
                    del self._followed[container]

    def _schedule_flush(self) -> None:
        if not self._flush_due:
            self._flush_due = True
            assert self._loop is not None
            self._loop.call_later(FLUSH_S, self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        lines, dropped = self.logs.take()
        if lines or dropped:
            self.publish("logs", log_message(lines, dropped))

    # --- the watcher's reloads: its journal, followed by inotify (watchdog), not by a timer ---
    def _tail_journal(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        entries, self._journal_at = last_entries(self.journal, RELOADS)
        self.reloads = self.redactor.redact_doc(entries)
        live = self
        folder = self.journal.parent
        folder.mkdir(parents=True, exist_ok=True)

        class Changed(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Not "opened" / "closed_no_write": this reader's own reads would wake it again.
                if event.event_type not in ("created", "modified", "moved"):
                    return
                if os.fsdecode(event.src_path).startswith(str(live.journal)) and live._loop is not None:
                    live._loop.call_soon_threadsafe(live._read_journal)

        observer = Observer()
        observer.daemon = True
        observer.schedule(Changed(), str(folder), recursive=False)
        observer.start()
        self._journal_watch = observer

    def _read_journal(self) -> None:
        entries, self._journal_at = read_entries(self.journal, self._journal_at)
        if not entries:
            return
        shown = self.redactor.redact_doc(entries)
        self.reloads = (self.reloads + shown)[-RELOADS:]
        self.publish("reloads", {"entries": shown, "all": False})
