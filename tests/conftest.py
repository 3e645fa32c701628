"""Shared fixtures: a real Docker engine, a real registry, an offline busybox base image,
and a temp project with a `devenv` runner. Under CI=true a missing engine fails; it never skips."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REGISTRY = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
# "podman" (or "docker"): the engine the run must be on, a failure otherwise, so a Podman part
# of the suite (`.ci/run`) can never pass on Docker by a wrong DOCKER_HOST.
EXPECTED_ENGINE = os.environ.get("DEVENV_TEST_ENGINE", "").strip().lower()
BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's pick)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unavailable(what: str) -> None:
    message = f'{what} (start it with: eval "$(bash scripts/engine-up.sh)")'
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_client():
    import docker

    from devenv.engine.kind import engine_kind

    try:
        client = docker.from_env(version="1.41", timeout=120)
        client.ping()
    except Exception as err:  # any failure to reach the engine means "no engine"
        _unavailable(f"no Docker engine reachable ({err})")
    kind = engine_kind(client.version())
    if EXPECTED_ENGINE and kind.name.lower() != EXPECTED_ENGINE:
        pytest.fail(
            f"DEVENV_TEST_ENGINE={EXPECTED_ENGINE} but DOCKER_HOST={os.environ.get('DOCKER_HOST')} is {kind}",
            pytrace=False,
        )
    client.devenv_kind = kind  # the tests' own note of which engine this is
    yield client
    client.close()


@pytest.fixture(scope="session")
def on_podman(docker_client) -> bool:
    """Whether the test engine is Podman (some engine-side details differ: build output, errors)."""
    return docker_client.devenv_kind.podman


def harness_run_options(client) -> dict:
    """Extra options for containers the tests create with docker-py themselves (devenv's own
    containers get them from devenv): on a Podman that may not raise its rlimits, its own limits
    (see devenv/engine/podman.py)."""
    if not client.devenv_kind.podman:
        return {}
    import docker.types

    from devenv.engine.host import engine_host
    from devenv.engine.podman import engine_ulimits

    limits = engine_ulimits(engine_host())
    return {"ulimits": [docker.types.Ulimit(name=u.name, soft=u.soft, hard=u.hard) for u in limits]}


@pytest.fixture(scope="session")
def engine(docker_client):
    """devenv's own engine port (docker-py behind it), on the same engine as `docker_client`."""
    from devenv.engine.connect import connect

    port = connect()
    yield port
    port.close()


@pytest.fixture(scope="session")
def registry() -> str:
    try:
        urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=3)
    except urllib.error.HTTPError as err:
        if err.code != 401:
            _unavailable(f"registry {REGISTRY} answered {err.code}")
    except OSError as err:
        _unavailable(f"no registry on {REGISTRY} ({err})")
    return REGISTRY


def busybox_context(
    extra_files: Optional[dict[str, bytes]] = None, dockerfile: Optional[str] = None
) -> bytes:
    """A tar build context: a static busybox plus the files dev tooling expects."""
    files = {
        "busybox": Path(BUSYBOX).read_bytes(),
        "passwd": b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n",
        "group": b"root:x:0:\nnogroup:x:65534:\n",
        "Dockerfile": (
            dockerfile
            or textwrap.dedent(
                """\
                FROM scratch
                COPY busybox /bin/busybox
                COPY passwd /etc/passwd
                COPY group /etc/group
                RUN ["/bin/busybox", "--install", "-s", "/bin"]
                RUN mkdir -p /tmp /root /usr/bin && chmod 1777 /tmp && ln -s /bin/env /usr/bin/env
                CMD ["/bin/sh"]
                """
            )
        ).encode(),
    }
    files.update(extra_files or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="session")
def busybox_image(docker_client, registry) -> str:
    """`<registry>/busybox:test`, built offline FROM scratch and pushed to the test registry
    (`busybox:test-podman` from Podman: its build is another image, and a shared registry's tag
    must not move under the Docker runs)."""
    ref = f"{registry}/busybox:test" + ("-podman" if docker_client.devenv_kind.podman else "")
    docker_client.images.build(
        fileobj=io.BytesIO(busybox_context()), custom_context=True, tag=ref, rm=True, forcerm=True
    )
    for line in docker_client.images.push(ref, stream=True, decode=True):
        if "error" in line:
            raise RuntimeError(line["error"])
    return ref


@dataclass
class Result:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class DevenvProject:
    """A project folder in tmp with a unique name, and a runner for the real `devenv` CLI."""

    def __init__(self, root: Path, state_dir: Path):
        self.root = root
        self.name = "t" + uuid.uuid4().hex[:8]
        self.state_dir = state_dir

    def write(self, toml: str, name: str = "devenv.toml") -> Path:
        text = textwrap.dedent(toml)
        if "[project]" not in text and name == "devenv.toml":
            text = f'[project]\nname = "{self.name}"\n' + text
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DEVENV_TRUST", None)  # strict: a test that needs a grant trusts it explicitly
        env.update({"DEVENV_STATE_DIR": str(self.state_dir), "NO_COLOR": "1", **extra})
        env.pop("CI", None) if extra.get("CI") == "" else None
        return env

    def run(self, *args: str, timeout: float = 180, input: Optional[str] = None, **env: str) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "devenv", *args],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, **kw) -> Result:
        result = self.run(*args, **kw)
        assert result.code == 0, str(result)
        return result


@pytest.fixture
def project(tmp_path: Path, docker_client):
    """A temp project on the real engine; everything labelled with its name is removed afterwards."""
    root = tmp_path / "proj"
    root.mkdir()
    proj = DevenvProject(root, tmp_path / "state")
    yield proj
    remove_project_objects(docker_client, proj.name)


def remove_project_objects(client, project_name: str) -> None:
    label = f"dev.devenv.project={project_name}"
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        network.remove()
    for volume in client.volumes.list(filters={"label": label}):
        volume.remove(force=True)


@pytest.fixture
def offline_project(tmp_path: Path) -> DevenvProject:
    """A temp project for commands that need no engine (config, env, init)."""
    root = tmp_path / "proj"
    root.mkdir()
    return DevenvProject(root, tmp_path / "state")


@pytest.fixture(scope="session")
def real_catalog(docker_client, registry) -> str:
    """The real catalog (Debian base, python, node, postgres) in the test registry, built as the
    quick start builds it; nothing is built when the registry already holds these inputs."""
    from tests.integration.real_stack import ensure_catalog

    ensure_catalog(registry)
    return registry


@pytest.fixture(scope="session")
def published_notify(real_catalog, tmp_path_factory) -> str:
    """examples/notify published once per run to the test registry, as the quick start publishes
    it: the `stack =` reference (`notify:<tag of this run>`) every shop copy includes."""
    from tests.integration.real_stack import publish_notify

    tmp = tmp_path_factory.mktemp("published-notify")
    return publish_notify(tmp / "notify", real_catalog, tmp / "state")


@pytest.fixture
def shop(tmp_path: Path, docker_client, real_catalog, published_notify):
    """A copy of examples/shop under its own project name, including the notify this run
    published, locked against the real catalog."""
    from tests.integration.real_stack import ShopProject

    root = tmp_path / "shop"
    root.mkdir()
    project = ShopProject(root, tmp_path / "state").setup(real_catalog, published_notify)
    yield project
    remove_project_objects(docker_client, project.name)


CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The third-party corpus beside the repository (../shared/corpus, see its SOURCES.md),
    read where it lies: its files are never copied into the project."""
    if not (CORPUS / "SOURCES.md").is_file():
        message = f"the shared corpus is not at {CORPUS.resolve()} (it lives beside the repository)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return CORPUS.resolve()
