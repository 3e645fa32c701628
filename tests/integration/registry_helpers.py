"""A private `docker-registry` per test module (optionally with htpasswd auth), so tests can stop
it, re-push tags and check credentials without touching the shared registry."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

# Podman trusts a plain-HTTP registry only when registries.conf names it (host and port), and
# reads that once, at service start: scripts/podman-up.sh names these ports for the tests' own
# registries. On Docker any loopback port will do.
PODMAN_REGISTRY_PORTS = range(5570, 5580)


def registry_addr(client: Any) -> str:
    """A loopback address for a test's own registry that the test engine will pull from."""
    from tests.conftest import free_port, port_is_free

    if not client.devenv_kind.podman:
        return f"127.0.0.1:{free_port()}"
    for port in PODMAN_REGISTRY_PORTS:
        if port_is_free(port):
            return f"127.0.0.1:{port}"
    raise RuntimeError(f"every port of {PODMAN_REGISTRY_PORTS} is taken: no registry Podman may use")


@dataclass
class PrivateRegistry:
    addr: str
    root: Path
    user: Optional[str] = None
    password: Optional[str] = None
    proc: Optional[subprocess.Popen] = None

    @property
    def auth_config(self) -> Optional[dict[str, str]]:
        return {"username": self.user, "password": self.password} if self.user else None

    def answering(self) -> bool:
        try:
            urllib.request.urlopen(f"http://{self.addr}/v2/", timeout=1)
        except urllib.error.HTTPError as err:
            return err.code == 401
        except OSError:
            return False
        return True

    def start(self) -> PrivateRegistry:
        auth = ""
        if self.user:
            htpasswd = self.root / "htpasswd"
            line = subprocess.run(
                ["htpasswd", "-Bbn", self.user, self.password], check=True, capture_output=True
            )
            htpasswd.write_bytes(line.stdout)
            auth = f"auth:\n  htpasswd:\n    realm: devenv-test\n    path: {htpasswd}\n"
        config = self.root / "registry.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.addr}\n{auth}"
        )
        # The registry reads every REGISTRY_* variable as configuration: give it none of ours.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        log = open(self.root / "registry.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            ["docker-registry", "serve", str(config)], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        while not self.answering():  # readiness poll, not a timing assertion
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"registry on {self.addr} did not start: {(self.root / 'registry.log').read_text()}"
                )
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None


def push(client: Any, source: str, ref: str, auth_config: Optional[dict[str, str]] = None) -> str:
    """Tag `source` as `ref` (repo:tag), push it, return the pushed digest."""
    repo, tag = ref.rsplit(":", 1)
    client.api.tag(source, repo, tag)
    from devenv.engine.records import message  # reads Podman's push digest (a status line) too

    digest = None
    for event in client.api.push(repo, tag=tag, stream=True, decode=True, auth_config=auth_config):
        if "error" in event:
            raise RuntimeError(event["error"])
        digest = message(event).aux.get("Digest") or digest
    assert digest, f"no digest reported for {ref}"
    return digest


def remove_image(client: Any, name: str) -> None:
    import docker.errors

    try:
        client.api.remove_image(name, force=True)
    except docker.errors.NotFound:  # ImageNotFound from Docker; Podman says "image not known"
        pass


def remove_images(client: Any, names: list[str]) -> None:
    """Remove `names`, children before their parents, whatever order they are listed in.

    An image built on another one blocks the parent's removal even when forced (409 "has
    dependent child images"), and the engine's list gives no dependable order: two images
    built in the same second tie on Created. So: remove what can go, then retry the rest.
    """
    import docker.errors

    pending = list(names)
    while pending:
        blocked = []
        for name in pending:
            try:
                remove_image(client, name)
            except docker.errors.APIError as error:
                if error.status_code != 409:
                    raise
                blocked.append(name)
        if len(blocked) == len(pending):  # nothing went: a real conflict, not an ordering one
            remove_image(client, blocked[0])
        pending = blocked


def remove_catalog_images(client: Any, registry: str, project: str) -> None:
    """Remove what a test's catalog build left: images labelled as catalog builds, tagged under
    `registry/project/`."""
    remove_images(
        client,
        [
            image.id
            for image in client.images.list(filters={"label": "dev.devenv.catalog"})
            if any(tag.startswith(f"{registry}/{project}/") for tag in image.tags)
        ],
    )
