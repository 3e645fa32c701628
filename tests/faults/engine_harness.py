"""An engine the fault tests may kill: `EngineCut`, a socket forwarder in front of the shared
engine whose `kill()` looks to devenv exactly like a dockerd that died, and `PrivateEngine`, a
real second dockerd with its own roots, socket and address pool (a machine of your own only)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional


class PrivateEngine:
    def __init__(self, root: Path):
        self.root = root
        self.sock = root / "d.sock"
        self.host = f"unix://{self.sock}"
        self.proc: Optional[subprocess.Popen] = None
        self.bridge = f"dvflt{os.getpid() % 100000}"  # interface names: at most 15 characters

    def start(self) -> None:
        if not Path(f"/sys/class/net/{self.bridge}").exists():
            for step in (
                ["ip", "link", "add", self.bridge, "type", "bridge"],
                ["ip", "addr", "add", "10.214.0.1/24", "dev", self.bridge],
                ["ip", "link", "set", self.bridge, "up"],
            ):
                subprocess.run(step, check=True)
        with open(self.root / "dockerd.log", "ab") as log:  # the child keeps its own copy of the fd
            self.proc = self._spawn(log)
        self.wait_ready()

    def _spawn(self, log: Any) -> subprocess.Popen:
        return subprocess.Popen(
            [
                "dockerd",
                "--host", self.host,
                "--data-root", str(self.root / "data"),
                "--exec-root", str(self.root / "exec"),
                "--pidfile", str(self.root / "dockerd.pid"),
                # Its own default bridge: `--bridge=none` would DELETE docker0, the shared engine's.
                "--bridge", self.bridge,
                "--iptables=false",
                "--ip-masq=false",
                "--default-address-pool", "base=10.213.0.0/16,size=24",
            ],
            stdout=log,
            stderr=log,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"private dockerd exited: {(self.root / 'dockerd.log').read_text()[-2000:]}"
                )
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError("private dockerd did not answer within 60 s")

    def ping(self) -> bool:
        try:
            conn = _UnixHTTP(str(self.sock))
            conn.request("GET", "/_ping")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL dockerd (its containerd and shims survive, as after a real crash)."""
        containerd = self._containerd_pid()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # Its containerd dies with it (parent-death signal), but not at once; a dockerd started
        # meanwhile would find the dying one's pid file and time out connecting to it.
        deadline = time.monotonic() + 30
        while containerd and _alive(containerd) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _containerd_pid(self) -> Optional[int]:
        try:
            return int((self.root / "exec" / "containerd" / "containerd.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # A containerd left by a killed dockerd belongs to this engine only: its pid file says which.
        pidfile = self.root / "exec" / "containerd" / "containerd.pid"
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass

    def remove_leftovers(self) -> None:
        """Shims and mounts of this engine only (their command line or path holds our root)."""
        mine = str(self.root)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "containerd-shim" in cmdline and mine in cmdline:
                for child in _children(int(entry.name)):
                    _kill(child)
                _kill(int(entry.name))
        # Bridges of its networks (its address pool 10.213/16 only) and its default bridge.
        for net in Path("/sys/class/net").iterdir():
            addresses = subprocess.run(
                ["ip", "-o", "-4", "addr", "show", "dev", net.name], capture_output=True, text=True
            ).stdout
            if net.name == self.bridge or (net.name.startswith("br-") and " 10.213." in addresses):
                subprocess.run(["ip", "link", "del", net.name], check=False)
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(mine + "/")), reverse=True):
            subprocess.run(["umount", "-l", mount], check=False)

    def client(self) -> Any:
        import docker

        return docker.DockerClient(base_url=self.host, version="1.41", timeout=60)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=2)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(2)
        self.sock.connect(self.path)


class EngineCut:
    """A unix-socket forwarder in front of the shared engine: devenv talks to it, and `kill()` cuts
    every connection and the socket at once — to devenv, exactly a dockerd that died — while the
    shared engine itself runs on. `start()` brings the socket back ("dockerd restarted")."""

    def __init__(self, root: Path, upstream: str):
        self.sock = root / "engine.sock"
        self.host = f"unix://{self.sock}"
        self.upstream = upstream
        self.listener: Optional[socket.socket] = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        if self.sock.exists():
            self.sock.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.sock))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.upstream)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def kill(self) -> None:
        with self.lock:
            if self.listener is not None:
                self.listener.close()
                self.listener = None
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns = []
        if self.sock.exists():
            self.sock.unlink()

    stop = kill

    def client(self) -> Any:
        import docker

        return docker.DockerClient(base_url=self.host, version="1.41", timeout=60)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
