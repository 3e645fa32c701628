"""The sync helper's answers as the engine frames them: 8-byte headers, stdout and stderr
interleaved, cut anywhere by the socket. A socketpair stands in for the attached exec stream."""

from __future__ import annotations

import socket
import threading

import pytest

from devenv.watch.sync_agent import STDERR, STDOUT, AgentFailed, AgentUnavailable, SyncAgent


def frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def _agent_on(sock: socket.socket) -> SyncAgent:
    agent = SyncAgent(None, "c0ffee")  # type: ignore[arg-type]  # the engine is never asked: started already
    sock.settimeout(5)
    agent._raw = sock  # as if started: the protocol is what is under test
    return agent


def _serve(peer: socket.socket, answer: bytes, chunk: int) -> threading.Thread:
    """Read one message (verb, size, payload), then send `answer` in `chunk`-byte pieces."""

    def run() -> None:
        head = b""
        while not head.endswith(b"\n"):
            head += peer.recv(1)
        size = int(head.split()[1])
        got = b""
        while len(got) < size:
            got += peer.recv(size - len(got))
        for i in range(0, len(answer), chunk):
            peer.sendall(answer[i : i + chunk])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("chunk", [1, 3, 7, 4096])
def test_an_answer_cut_anywhere_is_read_whole(chunk: int) -> None:
    ours, peer = socket.socketpair()
    agent = _agent_on(ours)
    _serve(peer, frame(STDOUT, b"=") + frame(STDOUT, b"0\n"), chunk).join(0)
    agent.extract(b"archive bytes")  # no exception: status 0


def test_a_failure_carries_what_tar_said_on_stderr() -> None:
    ours, peer = socket.socketpair()
    agent = _agent_on(ours)
    answer = frame(STDERR, b"tar: app/pkg: Not a directory\n") + frame(STDOUT, b"=1\n")
    _serve(peer, answer, 5)
    with pytest.raises(AgentFailed) as failed:
        agent.extract(b"x")
    assert failed.value.status == "1" and "Not a directory" in failed.value.output


def test_a_closed_stream_makes_the_agent_unavailable_until_restarted() -> None:
    ours, peer = socket.socketpair()
    agent = _agent_on(ours)
    peer.close()
    with pytest.raises(AgentUnavailable):
        agent.extract(b"x")
    assert agent._raw is None and agent._broken is None  # the next message may start a new one


def test_nothing_to_send_sends_nothing() -> None:
    ours, peer = socket.socketpair()
    agent = _agent_on(ours)
    agent.extract(b"")
    agent.delete([])
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.recv(1)
