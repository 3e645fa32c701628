"""Service logs: the tail, or followed live, from several containers at once, line by line."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Callable, Optional

from devenv.engine.port import Engine
from devenv.errors import DevenvError, about

LineSink = Callable[[str, str], None]  # (service, line)


def lines_of(chunks: Iterable[bytes]) -> Iterator[str]:
    """Whole lines from a byte stream cut anywhere (the last one even without its newline)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield raw.decode(errors="replace").rstrip("\r")
    if buffer:
        yield buffer.decode(errors="replace")


def show_logs(
    engine: Engine,
    targets: Sequence[tuple[str, str]],
    sink: LineSink,
    *,
    follow: bool = False,
    tail: Optional[int] = None,
    stop: Optional[threading.Event] = None,
) -> None:
    """`targets`: (service, container id). Without `follow`, gives each service's tail in order;
    with it, interleaves lines as they come until every stream ends or `stop` is set."""
    if not follow:
        for service, container_id in targets:
            with about(service):
                for line in lines_of(engine.follow_logs(container_id, follow=False, tail=tail)):
                    sink(service, line)
        return
    lines: queue.Queue[Optional[tuple[str, str]]] = queue.Queue()

    def reader(service: str, container_id: str) -> None:
        try:
            for line in lines_of(engine.follow_logs(container_id, follow=True, tail=tail)):
                lines.put((service, line))
        except DevenvError as err:  # a container removed mid-stream ends its stream, not the others
            lines.put((service, f"[log stream ended: {err.message}]"))
        finally:
            lines.put(None)

    for service, container_id in targets:
        threading.Thread(
            target=reader, args=(service, container_id), daemon=True, name=f"logs-{service}"
        ).start()
    open_streams = len(targets)
    while open_streams and not (stop and stop.is_set()):
        try:
            item = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if item is None:
            open_streams -= 1
        else:
            sink(*item)
