"""`watch.preload` on the real engine with the catalog's real Python: a restart forks the new
process from a parent that keeps the packages from outside the project imported, the project's
own modules are imported afresh (every edit runs), a crash after a restart is reported and the
next save recovers, an import that starts a thread turns forking off (fresh interpreters), and
`down` stops it at once."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DevenvProject, free_port
from tests.integration.real_stack import wait_for
from tests.integration.watcher import Watcher

pytestmark = pytest.mark.engine

# The app: an http.server on 8000. It reports whether its "installed packages" (stdlib modules
# standing in for Flask and the like, plus one on a data disk outside the project) were in
# sys.modules before it imported them: only a fork of the preloading parent has them.
MAIN = '''
import http.server, json, os, sys
PRELOADED = "xml.dom.minidom" in sys.modules
import xml.dom.minidom, email.mime.text
if os.environ.get("WITH_THREADER"):
    import threader
from app import page

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = page.TEXT if self.path == "/" else json.dumps(
            {"pid": os.getpid(), "ppid": os.getppid(), "preloaded": PRELOADED})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
'''
# A package outside the project that starts a thread when imported (as some agents do).
THREADER = "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"


def config(registry: str, port: int, *, threader: bool = False) -> str:
    extra = ""
    if threader:
        extra = (
            'data = [{ source = "ext", target = "/opt/ext" }]\n'
            'environment = { PYTHONPATH = "/opt/ext", WITH_THREADER = "1" }\n'
        )
    return f"""
[services.web]
image = "{registry}/python:latest"
command = ["python3", "-u", "-m", "app"]
code = "/app"
ports = ["{port}:8000"]
{extra}health = {{ cmd = ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/', timeout=2)"], interval = "200ms", retries = 100 }}

[services.web.watch]
paths = ["app/"]
preload = true
"""


def get(port: int, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return answer.read().decode()


def state(port: int) -> dict:
    return json.loads(get(port, "/state"))


@pytest.fixture
def app(project: DevenvProject, real_catalog: str) -> Iterator[tuple[DevenvProject, int]]:
    (project.root / "app").mkdir()
    (project.root / "app" / "__init__.py").write_text("")
    (project.root / "app" / "__main__.py").write_text(MAIN)
    (project.root / "app" / "page.py").write_text('TEXT = "one"\n')
    port = free_port()
    project.write(config(real_catalog, port))
    yield project, port


def save(project: DevenvProject, text: str) -> None:
    (project.root / "app" / "page.py").write_text(text)


def test_a_restart_forks_from_the_preloading_parent_and_runs_every_edit(app) -> None:
    project, port = app
    project.ok("up", "-d")
    assert get(port) == "one"
    first = state(port)
    assert first["preloaded"] is False  # the first process imported everything itself
    time.sleep(1.5)  # it lists its imports after a second; the parent preloads them
    with Watcher(project.root, project.env()) as watcher:
        for n, text in enumerate(("two", "three", "four"), 1):
            save(project, f'TEXT = "{text}"\n')
            wait_for(lambda t=text: get(port) == t, f"the edit {text!r} is served")
            wait_for(lambda n=n: watcher.text.count("web   reloaded in") >= n, f"restart {n} is reported")
            now = state(port)
            assert now["preloaded"] is True and now["ppid"] == first["ppid"] and now["pid"] != first["pid"]

        save(project, "raise RuntimeError('half-written')\n")  # the new process dies at once
        # Reported by the log follower (the supervisor's exit line), whether or not the restart
        # found the process dead already (a loaded machine: the fork can outrun its crash).
        wait_for(lambda: "web: exited with code 1" in watcher.text, "the crash is reported")
        assert "RuntimeError: half-written" in watcher.text  # with its log lines
        save(project, 'TEXT = "fixed"\n')
        wait_for(lambda: get(port) == "fixed", "the next save recovers")

        # A crash after the restart said "reloaded" (the process ran a while) is the log
        # follower's to report, with its lines.
        save(project, "import time\ntime.sleep(0.5)\nraise RuntimeError('later')\n")
        wait_for(lambda: "RuntimeError: later" in watcher.text, "the later crash is reported")
        assert watcher.text.count("web: exited with code 1") == 2  # each crash once
        assert "exited right after the restart" not in watcher.text
        save(project, 'TEXT = "fixed again"\n')
        wait_for(lambda: get(port) == "fixed again", "the save after it recovers")
    assert watcher.returncode == 0, watcher.text
    started = time.monotonic()
    project.ok("down")
    assert time.monotonic() - started < 10  # SIGTERM reaches the app through the supervisor
    assert "not created" in project.ok("status").out


def test_an_import_that_starts_a_thread_turns_forking_off(app, real_catalog) -> None:
    project, port = app
    (project.root / "ext").mkdir()
    (project.root / "ext" / "threader.py").write_text(THREADER)
    project.write(config(real_catalog, port, threader=True))
    project.ok("up", "-d")
    wait_for(lambda: "started a thread" in project.ok("logs", "web").out + project.ok("logs", "web").err,
             "the parent notices the thread and stops forking", timeout=30)  # fmt: skip
    with Watcher(project.root, project.env()):
        save(project, 'TEXT = "fresh"\n')
        wait_for(lambda: get(port) == "fresh", "the edit is served by a fresh interpreter")
        assert state(port)["preloaded"] is False


def test_preload_needs_a_python_command(project: DevenvProject) -> None:
    project.write("""
[services.web]
image = "busybox:latest"
command = ["node", "server.js"]
code = "/app"
[services.web.watch]
preload = true
""")
    result = project.run("up", "-d")
    assert result.code == 1
    assert result.err.startswith(
        'error: devenv.toml:9 services.web.watch.preload: preload needs a Python command, and the service has command ["node", "server.js"]'
    ), result.err
    assert Path(project.root / "devenv.toml").exists()


# An app that takes its time to stop (a graceful shutdown) and writes when it started and when
# it finished stopping, on the project folder.
GRACEFUL = '''
import http.server, os, signal, sys, time
def mark(what):
    with open("/app/lifecycle.log", "a") as log:
        log.write(f"{what} {os.getpid()} {time.time():.6f}\\n")
def stop(*_):
    time.sleep(0.4)  # closing connections, flushing...
    mark("stopped")
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
mark("started")
from app import page
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(page.TEXT.encode())
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
'''


def test_the_next_process_runs_nothing_before_the_old_one_has_stopped(app) -> None:
    # The next process starts only once the old one has finished its graceful stop: never two
    # of the app at once (a fork held at a gate while the old one stops was measured: no faster).
    project, port = app
    (project.root / "app" / "__main__.py").write_text(GRACEFUL)
    project.ok("up", "-d")
    assert get(port) == "one"
    time.sleep(1.5)  # the parent preloads: later processes are forked
    with Watcher(project.root, project.env()):
        for text in ("two", "three"):
            save(project, f'TEXT = "{text}"\n')
            wait_for(lambda t=text: get(port) == t, f"the edit {text!r} is served")
    project.ok("down")
    events = [line.split() for line in (project.root / "lifecycle.log").read_text().splitlines()]
    starts = [(float(t), pid) for what, pid, t in events if what == "started"]
    stops = {pid: float(t) for what, pid, t in events if what == "stopped"}
    assert len(starts) == 3, events
    for (_, old), (new_start, _) in zip(starts, starts[1:]):
        assert stops[old] <= new_start, events  # the old one had finished stopping
