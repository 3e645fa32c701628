"""`exec` and `shell`: run a command in a container over the engine API, streaming its
output (and our stdin) and returning its exit code. A TTY gets raw mode and resizing."""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Optional

from devenv.engine.port import Engine
from devenv.errors import DevenvError, about


def run_in_container(
    engine: Engine,
    container_id: str,
    command: Sequence[str],
    *,
    service: str,
    tty: bool,
    stdin: bool,
    user: Optional[str] = None,
    workdir: Optional[str] = None,
    env: Optional[dict[str, str]] = None,
) -> int:
    """Run `command` attached to our terminal (or pipes); returns its exit code."""
    with about(service):
        session = engine.exec_attach(
            container_id, command, stdin=stdin, tty=tty, user=user or "", workdir=workdir, env=env
        )
    exec_id, raw = session.exec_id, session.sock
    try:
        if tty:
            _resize(engine, exec_id)
            previous = signal.signal(signal.SIGWINCH, lambda *_: _resize(engine, exec_id))
            try:
                with _raw_terminal():
                    _pump(raw, stdin, framed=False)
            finally:
                signal.signal(signal.SIGWINCH, previous)
        else:
            _pump(raw, stdin, framed=True)
    finally:
        raw.close()
    with about(service):
        code = engine.exec_exit_code(exec_id)
    return 0 if code is None else code


def _resize(engine: Engine, exec_id: str) -> None:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        engine.exec_resize(exec_id, height=size.lines, width=size.columns)
    except (OSError, DevenvError):  # resizing is cosmetic; never fail the session over it
        pass


@contextmanager
def _raw_terminal() -> Iterator[None]:
    import termios  # only for a terminal session (and POSIX only)
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _pump(sock: socket.socket, forward_stdin: bool, *, framed: bool) -> None:
    """Copy the socket to stdout/stderr (demultiplexing docker's frames) and stdin to the socket."""
    out = {1: sys.stdout.buffer, 2: sys.stderr.buffer}
    stdin_fd = sys.stdin.fileno() if forward_stdin else None
    pending = b""
    sources = [sock] + ([stdin_fd] if stdin_fd is not None else [])
    while True:
        readable, _, _ = select.select(sources, [], [])
        if stdin_fd is not None and stdin_fd in readable:
            data = os.read(stdin_fd, 65536)
            if data:
                sock.sendall(data)
            else:  # EOF on our stdin: close the write side so the command sees EOF too
                try:
                    sock.shutdown(1)
                except OSError:
                    pass
                sources.remove(stdin_fd)
                stdin_fd = None
        if sock in readable:
            data = sock.recv(65536)
            if not data:
                break
            if not framed:
                out[1].write(data)
                out[1].flush()
                continue
            pending += data
            while len(pending) >= 8:
                stream, size = pending[0], struct.unpack(">I", pending[4:8])[0]
                if len(pending) < 8 + size:
                    break
                target = out.get(stream, out[1])
                target.write(pending[8 : 8 + size])
                target.flush()
                pending = pending[8 + size :]
