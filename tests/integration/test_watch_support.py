"""Helpers for the watch integration tests: a busybox httpd "app" under the devenv shim.

The app is a start script that copies /src/content into the page httpd serves, so every
(re)start of the process shows the file's content at that moment. No tests live here.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

from devenv.watch.supervisor import SHIM_MOUNT, shim_host_dir, wrap_command
from tests.conftest import harness_run_options

APP_SCRIPT = """\
#!/bin/sh
mkdir -p /www
if [ -f /src/crash ]; then echo "app: crashing on purpose"; exit 3; fi
cp /src/content /www/index.html
echo "app: serving $(cat /www/index.html)"
exec httpd -f -p 8080 -h /www
"""


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: Any = "condition") -> Any:
    """Poll `check` until it returns a truthy value; fail with `what` (a text, or a callable
    giving one, e.g. the output so far) after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.02)
    text = what() if callable(what) else what
    raise AssertionError(f"timed out waiting for {text} (last: {last!r})")


def fetch(url: str) -> Optional[str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode().strip()
    except (OSError, http.client.HTTPException):  # mid-restart: refused, reset, cut short
        return None


def write_app(src: Path, content: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    (src / "app.sh").write_text(APP_SCRIPT)
    (src / "content").write_text(content + "\n")


def unique_project() -> str:
    return "tw" + uuid.uuid4().hex[:8]


def run_app(
    client: Any,
    image: str,
    project: str,
    src: Optional[Path],
    *,
    service: str = "web",
    supervised: bool = True,
    command: Optional[list[str]] = None,
    environment: Optional[dict[str, str]] = None,
) -> Any:
    """Start the httpd app container (port 8080 published on 127.0.0.1, random host port)."""
    cmd = command or ["/bin/sh", "/src/app.sh"]
    volumes = {str(shim_host_dir()): {"bind": SHIM_MOUNT, "mode": "ro"}}
    if src is not None:
        volumes[str(src)] = {"bind": "/src", "mode": "rw"}
    container = client.containers.run(
        image,
        wrap_command(cmd) if supervised else cmd,
        detach=True,
        network=project_network(client, project),
        labels={
            "dev.devenv.project": project,
            "dev.devenv.instance": "default",
            "dev.devenv.service": service,
        },
        volumes=volumes,
        ports={"8080/tcp": ("127.0.0.1", None)},
        environment=environment or {},
        stop_signal="SIGTERM",
        **harness_run_options(client),
    )
    return container


def project_network(client: Any, project: str) -> str:
    """A network of the test's own (labelled, removed with it): the default bridge is shared."""
    name = f"{project}-net"
    if not client.networks.list(names=[name]):
        client.networks.create(name, labels={"dev.devenv.project": project})
    return name


def app_url(container: Any) -> str:
    def port() -> Optional[str]:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("8080/tcp")
        return bindings[0]["HostPort"] if bindings else None

    return f"http://127.0.0.1:{wait_for(port, 10, 'published port')}/"


def served(url: str, expected: str, timeout: float = 30.0) -> str:
    return wait_for(lambda: fetch(url) == expected and expected, timeout, f"{url} to serve {expected!r}")


def remove_project(client: Any, project: str) -> None:
    label = f"dev.devenv.project={project}"
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        network.remove()


def exec_out(container: Any, cmd: list[str]) -> tuple[int, str]:
    result = container.exec_run(cmd)
    return result.exit_code, result.output.decode(errors="replace")
