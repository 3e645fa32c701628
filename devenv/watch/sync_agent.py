"""A long-lived copy helper inside the container, so a one-file `sync` costs one round trip.

Every `put_archive` makes the engine start a fresh extraction process (and every `exec` a fresh
runc exec): tens of milliseconds before the first byte is written. Tools that sync fast
(mutagen, DevSpace) keep an agent in the container instead. Ours is a shell loop on one attached
`exec` stream, using only what the image already has (`sh`, `dd`, `tar`, `xargs`):

    x SIZE\\n <SIZE bytes: a tar archive>   extract it at /
    d SIZE\\n <SIZE bytes: NUL-separated>   rm -rf those paths

and it answers `=STATUS` per message on stdout (tar's complaints arrive on stderr). `dd
iflag=fullblock` reads exactly SIZE bytes, so messages never run into each other. An image
without these tools, an old `dd`, or an agent that died (the container restarted) makes the
caller fall back to `put_archive`: slower, never wrong.
"""

from __future__ import annotations

import socket
from typing import NoReturn, Optional

from devenv.engine.port import Engine, ExecSession
from devenv.errors import DevenvError

# Written for POSIX sh; `=ready` only after a probe proved `dd` reads full blocks.
AGENT_SCRIPT = r"""
for tool in dd tar xargs rm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "=missing $tool"; exit 0; }
done
[ "$(printf ab | dd bs=2 count=1 iflag=fullblock 2>/dev/null)" = ab ] || { echo "=missing dd iflag=fullblock"; exit 0; }
echo "=ready"
while read -r verb size; do
  case "$verb" in
    x) dd bs="$size" count=1 iflag=fullblock 2>/dev/null | tar -x -f - -C / ;;
    d) dd bs="$size" count=1 iflag=fullblock 2>/dev/null | xargs -0 rm -rf -- ;;
    *) echo "=bad message"; exit 2 ;;
  esac
  echo "=$?"
done
"""
MAX_MESSAGE = 8 * 1024 * 1024  # larger archives go through put_archive: `dd bs=SIZE` holds SIZE in memory
ANSWER_TIMEOUT_S = 30.0
RESTARTS = 3  # an agent that keeps dying (the container restarts in a loop) is given up
STDOUT, STDERR = 1, 2


class AgentUnavailable(Exception):
    """The agent cannot be used (or stopped answering): copy another way."""


class AgentFailed(Exception):
    """The agent ran the message and the tool failed; `output` is what it said."""

    def __init__(self, status: str, output: str):
        super().__init__(f"exit {status}: {output}".strip())
        self.status = status
        self.output = output


class SyncAgent:
    """One agent in one container; `send` raises AgentUnavailable when it is not (or no longer) usable."""

    def __init__(self, engine: Engine, container_id: str):
        self.container_id = container_id
        self._engine = engine
        self._session: Optional[ExecSession] = None  # held so the stream lives as long as we use it
        self._raw: Optional[socket.socket] = None  # its socket, read and written directly
        self._buffer = b""
        self._broken: Optional[str] = None  # why it will not be tried again
        self._deaths = 0

    def warm(self) -> bool:
        """Start the agent now (watching starts), so the first save does not wait for it."""
        try:
            self._ensure_started()
            return True
        except AgentUnavailable:
            return False

    def extract(self, archive: bytes) -> None:
        self._send(b"x", archive)

    def delete(self, container_paths: list[str]) -> None:
        self._send(b"d", b"\0".join(p.encode() for p in container_paths))

    def close(self) -> None:
        if self._raw is not None:
            try:
                self._raw.close()
            except OSError:
                pass
        self._session = self._raw = None
        self._buffer = b""

    # --- protocol ---
    def _send(self, verb: bytes, payload: bytes) -> None:
        if not payload:
            return
        if len(payload) > MAX_MESSAGE:
            raise AgentUnavailable(f"{len(payload)} bytes is more than one message carries")
        raw = self._ensure_started()
        try:
            raw.sendall(verb + b" %d\n" % len(payload) + payload)
            status, output = self._answer()
        except (OSError, AgentUnavailable) as err:
            # Died with its container (restart-container, a crash): the next message starts a new one.
            self._died(f"the agent stopped answering ({err})")
        self._deaths = 0
        if status != "0":
            raise AgentFailed(status, output)

    def _ensure_started(self) -> socket.socket:
        if self._broken is not None:
            raise AgentUnavailable(self._broken)
        if self._raw is not None:
            return self._raw
        try:
            session = self._engine.exec_attach(
                self.container_id, ["/bin/sh", "-c", AGENT_SCRIPT], stdin=True, tty=False, user="0"
            )
            raw = session.sock
            if not hasattr(raw, "sendall"):
                raise AgentUnavailable(f"cannot write to a {type(raw).__name__}")
            raw.settimeout(ANSWER_TIMEOUT_S)
            self._session, self._raw = session, raw
            status, _ = self._answer()
        except AgentUnavailable as err:
            self._fail(str(err), lasting=True)
        except (DevenvError, OSError) as err:  # no /bin/sh, a stopped container, a closed stream
            self._died(f"could not start ({err})")
        if status != "ready":
            self._fail(f"the image lacks what it needs ({status.removeprefix('missing ')})", lasting=True)
        return raw

    def _died(self, why: str) -> NoReturn:
        """A failure that may pass (the container restarting); lasting after RESTARTS in a row."""
        self._deaths += 1
        self._fail(why, lasting=self._deaths >= RESTARTS)

    def _fail(self, why: str, *, lasting: bool) -> NoReturn:
        if lasting:
            self._broken = why
        self.close()
        raise AgentUnavailable(why)

    def _answer(self) -> tuple[str, str]:
        """Read frames until an `=STATUS` line on stdout; returns (status, stderr text)."""
        errors: list[bytes] = []
        while True:
            line, sep, rest = self._buffer.partition(b"\n")
            if sep and line.startswith(b"="):
                self._buffer = rest
                return line[1:].decode(errors="replace"), b"".join(errors).decode(errors="replace").strip()
            if sep:  # an unexpected stdout line: keep it for the error text
                self._buffer = rest
                errors.append(line + b"\n")
                continue
            stream, data = self._frame()
            if stream == STDERR:
                errors.append(data)
            else:
                self._buffer += data

    def _frame(self) -> tuple[int, bytes]:
        """One frame of the engine's multiplexed stream: 8-byte header (stream, 0, 0, 0, size)."""
        header = self._read_exactly(8)
        size = int.from_bytes(header[4:8], "big")
        return header[0], self._read_exactly(size)

    def _read_exactly(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            if self._raw is None:
                raise AgentUnavailable("the stream closed")
            try:
                chunk = self._raw.recv(left)
            except socket.timeout:
                raise AgentUnavailable(f"no answer in {ANSWER_TIMEOUT_S:g} s") from None
            if not chunk:
                raise AgentUnavailable("the stream closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
