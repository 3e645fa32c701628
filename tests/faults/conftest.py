"""Fault-injection fixtures: a private dockerd we may kill, a registry that misbehaves on demand,
a three-service stack, and helpers that run devenv as a subprocess and interrupt it.

The shared engine (DOCKER_HOST) is never stopped: engine faults use `private_engine`, a second
dockerd with its own data/exec roots, socket and address pool, started and killed by these tests.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.conftest import Result, remove_project_objects

TRIALS = int(os.environ.get("DEVENV_FAULT_TRIALS", "6"))  # CI's bounded sample; slow variants run 20
SEED = int(os.environ.get("DEVENV_FAULT_SEED", "20261125"))
PROJECT_LABEL = "dev.devenv.project"


def pytest_collection_modifyitems(config, items) -> None:
    """CI runs the bounded sample; the long random variants run with DEVENV_FAULT_SLOW=1 or -m slow."""
    if os.environ.get("DEVENV_FAULT_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long random variant: DEVENV_FAULT_SLOW=1 (or -m slow) runs it")
    for item in items:
        if "slow" in item.keywords and "tests/faults" in str(item.fspath):
            item.add_marker(skip)


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


@pytest.fixture
def rng(request) -> random.Random:
    """Seeded per test, so a failing trial reruns identically (DEVENV_FAULT_SEED)."""
    return random.Random(f"{SEED}:{request.node.name}")


# --- a private engine we are allowed to kill ----------------------------------------------


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


@pytest.fixture(scope="session")
def private_engine(tmp_path_factory, busybox_image, docker_client) -> Any:
    """An engine the tests may kill and restart.

    By default an `EngineCut` in front of the shared engine. With DEVENV_FAULT_PRIVATE_DOCKERD=1
    (a machine of your own only), a real second dockerd that is SIGKILLed: beware that a second
    dockerd started with `--bridge=none` or its own `--bridge` DELETES the host's docker0, which
    breaks every other engine's default bridge."""
    if os.environ.get("DEVENV_FAULT_PRIVATE_DOCKERD") != "1":
        root = tmp_path_factory.mktemp("engine-cut")
        upstream = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").replace("unix://", "")
        cut = EngineCut(root, upstream)
        cut.start()
        yield cut
        cut.kill()
        return
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("a private dockerd needs the dockerd binary and root")
    root = Path(f"/tmp/devenv-faults-{os.getpid()}")  # unix socket paths must stay short
    root.mkdir(parents=True, exist_ok=True)
    engine = PrivateEngine(root)
    engine.start()
    try:
        client = engine.client()
        client.images.pull(busybox_image)
        client.close()
        yield engine
    finally:
        engine.stop()
        engine.remove_leftovers()
        shutil.rmtree(root, ignore_errors=True)


# --- a registry that misbehaves on demand ---------------------------------------------------


class BadRegistry:
    """An HTTP server in front of the real test registry. `mode`: proxy | 401 | 404 | 500 | stall.
    `down()` closes the port (connection refused)."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.mode = "proxy"
        self.release = threading.Event()  # ends stalled requests at teardown
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

            do_HEAD = do_GET

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, req: Any) -> None:
        mode = self.mode
        if mode == "stall":
            self.release.wait(120)
            return
        if mode in ("401", "404", "500"):
            body = json.dumps(
                {
                    "errors": [
                        {
                            "code": {"401": "UNAUTHORIZED", "404": "MANIFEST_UNKNOWN", "500": "UNKNOWN"}[
                                mode
                            ],
                            "message": "injected fault",
                        }
                    ]
                }
            ).encode()
            req.send_response(int(mode))
            if mode == "401":
                req.send_header("WWW-Authenticate", 'Basic realm="faults"')
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            if req.command != "HEAD":
                req.wfile.write(body)
            return
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() in ("accept", "authorization")}
        conn.request(req.command, req.path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        req.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                req.send_header(key, value)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def down(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def close(self) -> None:
        self.release.set()
        try:
            self.down()
        except OSError:
            pass


@pytest.fixture
def bad_registry(registry, busybox_image, docker_client) -> Any:
    """A misbehaving registry on a free port; the images it served are untagged afterwards."""
    reg = BadRegistry(registry)
    yield reg
    reg.close()
    for image in docker_client.images.list(name=f"{reg.address}/busybox"):
        for tag in image.tags:
            if tag.startswith(reg.address + "/"):
                docker_client.images.remove(tag, noprune=True)
    for image in docker_client.images.list():
        for digest in image.attrs.get("RepoDigests") or []:
            if digest.startswith(reg.address + "/"):
                try:
                    docker_client.images.remove(digest, noprune=True)
                except Exception:  # another tag of ours may have taken it with it
                    pass


@pytest.fixture
def faults_project(project, docker_client):
    """The shared `project` fixture, plus removal of anything labelled for it left by a fault."""
    yield project
    remove_project_objects(docker_client, project.name)
