"""The real stack for integration tests: the catalog (Debian base, Python, PostgreSQL) built and
pushed exactly as the quick start does, examples/notify published to the test registry as the
quick start publishes it, and copies of examples/shop (which include it from there) with their
own project name."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.conftest import IN_CI, DevenvProject, free_port

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
NOTIFY = REPO / "examples" / "notify"
CATALOG_CSV = SHOP / "data" / "catalog.csv"


def _needs(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


QUICKSTART_IMAGES = ("base", "python", "node", "postgres")  # the quick start's three, and node for the suite


def ensure_catalog(registry: str, names: Sequence[str] = QUICKSTART_IMAGES) -> None:
    """Bootstrap Debian and build + push catalog images (default: the quick start's) into
    `registry`, as scripts/quickstart.sh does: nothing is built when the registry already holds
    these inputs."""
    if shutil.which("mmdebstrap") is None:
        _needs("mmdebstrap is not installed (scripts/install.sh installs it)")
    env = {**os.environ, "DEVENV_REGISTRY": registry}
    base = subprocess.run(
        ["bash", "scripts/debian-base.sh", registry], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert base.returncode == 0, base.stderr
    branch = subprocess.run(
        ["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    # As the quick start: this machine's registry is private, the checkout is the default branch.
    env["DEVENV_DEFAULT_BRANCH"] = branch or "main"
    build = subprocess.run(
        [sys.executable, "-m", "devenv", "--project-dir", str(REPO), "-q", "images", "build", *names, "--push"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if build.returncode != 0 and "uncommitted changes" in build.stderr:
        _needs(f"the catalog builds only from committed sources: {build.stderr.strip()}")
    assert build.returncode == 0, build.stderr


def catalog_names() -> list[str]:
    import csv

    with CATALOG_CSV.open(encoding="utf-8") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


_IGNORE = shutil.ignore_patterns(".devenv", "devenv.lock", "__pycache__", ".pytest_cache")


def notify_checkout(folder: Path, registry: str) -> Path:
    """A copy of examples/notify as in the work tree, for `registry`, its API on a port of its own."""
    shutil.copytree(NOTIFY, folder, ignore=_IGNORE)
    toml = folder / "devenv.toml"
    toml.write_text(
        toml.read_text()
        .replace('registry = "127.0.0.1:5555"', f'registry = "{registry}"')
        .replace('ports = ["8025:8025"]', f'ports = ["{free_port()}:8025"]')
    )
    return folder


def publish_notify(folder: Path, registry: str, state: Path) -> str:
    """examples/notify published to `registry` as scripts/release-notify.sh publishes it — a
    repository of its own with its devenv.lock committed — under a tag of this run's own (runs
    side by side never move one another's); the `stack =` reference a shop copy includes."""
    notify_checkout(folder, registry)
    ignore = folder / ".gitignore"
    ignore.write_text(ignore.read_text().replace("\ndevenv.lock\n", "\n"))  # its own repository commits it
    project = DevenvProject(folder, state)
    tag = f"test-{uuid.uuid4().hex[:12]}"
    project.ok("lock")
    commit(folder)
    project.ok("publish", "--tag", tag, timeout=900)
    return f"notify:{tag}"


class ShopProject(DevenvProject):
    """A copy of examples/shop under its own project name, with its own local secrets, including
    the notify this test run published (`notify_stack`), or a checkout of it when linked."""

    password: str
    registry_addr: str

    @property
    def notify(self) -> Path:
        """Where `link_notify` puts a checkout of examples/notify: beside the shop, as ../notify."""
        return self.root.parent / "notify"

    def link_notify(self) -> Path:
        """`devenv link notify ../notify`: notify run from a checkout, as a developer working on it does."""
        notify_checkout(self.notify, self.registry_addr)
        self.ok("link", "notify", "../notify")
        return self.notify

    def setup(self, registry: str, notify_stack: str) -> ShopProject:
        shutil.copytree(SHOP, self.root, dirs_exist_ok=True, ignore=_IGNORE)
        self.registry_addr = registry
        toml = self.root / "devenv.toml"
        text = toml.read_text()
        assert 'stack = "notify:latest"' in text, "examples/shop includes notify from the registry"
        toml.write_text(
            text.replace('name = "shop"', f'name = "{self.name}"')
            .replace('registry = "127.0.0.1:5555"', f'registry = "{registry}"')
            .replace('stack = "notify:latest"', f'stack = "{notify_stack}"')
            # A port of its own: copies started side by side (other tests, other checkouts) all
            # asking for 8000 would take it from one another between a `down` and an `up`.
            .replace('ports = ["8000:8000"]', f'ports = ["{free_port()}:8000"]')
        )
        self.password = uuid.uuid4().hex
        secrets = self.root / ".devenv" / "secrets.env"
        secrets.parent.mkdir()
        secrets.write_text(f"DB_USER=shop_test\nDB_PASSWORD={self.password}\n")
        self.ok("lock")
        return self

    def status(self, instance: str = "default") -> dict[str, Any]:
        return json.loads(self.ok("status", "--json", "--instance", instance).out)

    def service(self, name: str, instance: str = "default") -> dict[str, Any]:
        return next(s for s in self.status(instance)["services"] if s["service"] == name)

    def url(self, instance: str = "default") -> str:
        return str(self.service("web", instance)["urls"][0])

    def mails(self, to: str, instance: str = "default") -> list[dict[str, Any]]:
        """What notify's API lists for `to` (the included `mail` service's published port)."""
        url = self.service("mail", instance)["urls"][0]
        with urllib.request.urlopen(f"{url}/messages?to={to}", timeout=10) as answer:
            return list(json.load(answer))

    def order(self, product_id: int, email: str, quantity: int = 1, instance: str = "default") -> dict[str, Any]:
        request = urllib.request.Request(
            self.url(instance) + "/orders",
            data=json.dumps({"product_id": product_id, "quantity": quantity, "email": email}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
            return dict(json.load(answer))

    def get(self, path: str, instance: str = "default") -> Any:
        with urllib.request.urlopen(self.url(instance) + path, timeout=10) as answer:
            body = answer.read().decode()
        return json.loads(body) if path.startswith("/products") else body

    def add(self, name: str, price: float = 1.0, instance: str = "default") -> dict[str, Any]:
        return post_product(self.url(instance), name, price)

    def product_names(self, instance: str = "default") -> list[str]:
        return [p["name"] for p in self.get("/products", instance)]


def commit(root: Path) -> None:
    """The copy as the team commits it: the release image of an export is built from HEAD."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "the shop, as the team commits it"]):
        subprocess.run(
            ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=root, check=True
        )


def post_product(url: str, name: str, price: float, timeout: float = 5) -> dict[str, Any]:
    request = urllib.request.Request(
        url + "/products",
        data=json.dumps({"name": name, "price": price}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        assert answer.status == 201
        return dict(json.load(answer))


def wait_for(check: Any, what: str, timeout: float = 60, every: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy (the deadline only bounds a hang)."""
    deadline = time.monotonic() + timeout
    last: Optional[BaseException] = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (OSError, urllib.error.URLError, http.client.HTTPException, AssertionError, ValueError) as err:
            last = err
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last error: {last})")
