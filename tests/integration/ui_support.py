"""A small stack for the `devenv ui` tests (a web server with a health check, a worker that
logs its secret, a service that crashes at start), and the dashboard served for it by the real
`devenv ui` in a subprocess. Module-scoped: the stack comes up once per test file."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import IN_CI, DevenvProject, remove_project_objects

SECRET = "hunter2-" + uuid.uuid4().hex[:12]  # never in any answer of the dashboard
STACK = """
[env]
prod = [".env.production"]
secret_keys = ["DB_PASSWORD"]
secrets = ".devenv/secrets.env"

[services.web]
image = "{image}"
command = ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"]
ports = ["8080"]
health = {{ cmd = ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"], interval = "1s", retries = 30 }}
watch = {{ paths = ["site/"], action = "restart" }}

[services.worker]
image = "{image}"
command = ["sh", "-c", "echo connecting with $DB_PASSWORD; i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done"]
supervise = false

[services.crasher]
image = "{image}"
command = ["sh", "-c", "echo starting crasher; echo 'fatal: cannot reach the queue' >&2; exit 3"]
supervise = false
"""


class Dashboard(NamedTuple):
    project: DevenvProject
    url: str  # with the token
    port: int
    process: subprocess.Popen

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def write_stack(project: DevenvProject, image: str) -> None:
    project.write(STACK.format(image=image))
    (project.root / ".env.production").write_text("DATABASE_URL=postgres://app@db:5432/app\nDB_PASSWORD=\n")
    (project.root / "site").mkdir(exist_ok=True)
    (project.root / "site" / "index.html").write_text("v1\n")
    (project.root / ".devenv").mkdir(exist_ok=True)
    (project.root / ".devenv" / "secrets.env").write_text(f"DB_PASSWORD={SECRET}\n")


def start_ui(project: DevenvProject, *args: str) -> Dashboard:
    process = subprocess.Popen(
        [sys.executable, "-m", "devenv", "ui", "--no-open", *args],
        cwd=project.root,
        env=project.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()  # the URL, once listening
    found = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", line)
    if found is None:
        process.kill()
        raise AssertionError(f"devenv ui printed {line!r}; stderr: {process.stderr.read() if process.stderr else ''}")
    return Dashboard(project, line, int(found.group(1)), process)


def start_watch(project: DevenvProject, service: str) -> subprocess.Popen:
    """`devenv watch SERVICE`, returned once it watches."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devenv", "watch", service],
        cwd=project.root,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said = []
    for line in process.stderr:
        said.append(line)
        if line.startswith("watching "):
            return process
    process.wait()
    raise AssertionError(f"devenv watch ended: {''.join(said)}")


def stop_ui(board: Dashboard) -> str:
    """Ctrl-C, as a user would; returns what it wrote on stderr."""
    board.process.send_signal(signal.SIGINT)
    try:
        _, err = board.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        board.process.kill()
        _, err = board.process.communicate()
        raise AssertionError(f"devenv ui did not stop on Ctrl-C: {err}") from None
    return err


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, docker_client, busybox_image) -> Iterator[Dashboard]:
    tmp = tmp_path_factory.mktemp("ui")
    root = tmp / "proj"
    root.mkdir()
    project = DevenvProject(root, tmp / "state")
    write_stack(project, busybox_image)
    try:
        up = project.run("up", "-d")
        assert "web" in up.err, str(up)  # the crasher may fail `up`'s wait: the page must show why
        board = start_ui(project)
        try:
            yield board
        finally:
            stop_ui(board)
    finally:
        remove_project_objects(docker_client, project.name)


def headless_chromium():  # type: ignore[no-untyped-def]
    """Debian's Chromium through chromium-driver, its network answers kept in the performance
    log. Skips when either is missing, fails under CI=true."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing = "selenium is not installed (pip install -e '.[test]')"
    else:
        missing = "" if chromium and driver else "chromium and chromium-driver are not installed (scripts/install.sh)"
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but {missing}", pytrace=False)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.execute_cdp_cmd("Network.enable", {})
    return chrome


def wait_for(check, what: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """Poll `check` until it returns something true (a bounded wait, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.1)


def screenshots_wanted() -> bool:
    return os.environ.get("DEVENV_UI_SCREENSHOTS") == "1"


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
