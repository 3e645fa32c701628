"""`devenv test`: a fresh instance with a generated name, up with health waits, run a command
(in a service, or on the host with the stack's URLs in its env), then always tear down.

Teardown runs in `finally` (success, failure, Ctrl-C, SIGTERM). If devenv itself dies, the
instance's containers carry the owner pid and host: once that pid is gone, the next `devenv up`,
`devenv test` or `devenv down --all-stale` removes them (`cleanup_stale`)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from devenv import interrupts
from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.attach import run_in_container
from devenv.engine.connect import connect
from devenv.engine.port import Engine
from devenv.errors import DevenvError
from devenv.ops.down import remove_instance
from devenv.ops.instance_lock import remove_lock_file
from devenv.ops.progress import Progress, Waiting, silent
from devenv.ops.selection import check_selection
from devenv.ops.status import ServiceStatus, status
from devenv.ops.up import UpOptions, UpResult, up
from devenv.stack import names

TEST_PREFIX = "test-"
CHILD_GRACE_S = 3.0  # after Ctrl-C: how long each stop step waits for the command to exit


@dataclass(frozen=True)
class TestOptions:
    __test__ = False  # not a pytest class, despite the name

    command: tuple[str, ...]
    profile: Optional[str] = None  # default "test"
    service: Optional[str] = None  # run inside this service; None = on the host
    keep: bool = False  # leave the instance running (no owner labels: nothing cleans it but you)
    pull: str = "missing"
    build: bool = False


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False

    instance: str
    exit_code: int
    kept: bool


def new_instance_name() -> str:
    """`test-` + 8 random hex digits: unique per run, so parallel runs never share anything."""
    return f"{TEST_PREFIX}{secrets.token_hex(4)}"


def owner_labels() -> dict[str, str]:
    return L.owner_labels(os.getpid(), socket.gethostname())


def env_key(service: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", service.upper())


def host_env(project_name: str, instance: str, rows: Sequence[ServiceStatus]) -> dict[str, str]:
    """What a host-side command learns about the stack: DEVENV_PROJECT, DEVENV_INSTANCE,
    DEVENV_URL_<SERVICE> (its first published port) and DEVENV_PORT_<SERVICE>_<CONTAINER_PORT>."""
    env = {"DEVENV_PROJECT": project_name, "DEVENV_INSTANCE": instance}
    for row in rows:
        key = env_key(row.service)
        if row.urls:
            env[f"DEVENV_URL_{key}"] = row.urls[0]
        for published in row.ports:  # "127.0.0.1:32768->8080/tcp"
            match = re.fullmatch(r"(.*):(\d+)->(\d+)/(\w+)", published)
            if match:
                suffix = "" if match[4] == "tcp" else f"_{match[4].upper()}"
                env.setdefault(f"DEVENV_PORT_{key}_{match[3]}{suffix}", match[2])
    return env


def isolated_stack(project: Project) -> Project:
    """The project with every published port on a host port the engine picks: parallel runs
    cannot race for the same port, and the command learns the real ones from its env."""
    services = tuple(
        s._replace(ports=tuple(p._replace(host=0, strict=False) for p in s.ports)) for s in project.services
    )
    return project._replace(services=services)


def run_test(
    project: Project,
    options: TestOptions,
    *,
    progress: Progress = silent,
    waiting: Optional[Waiting] = None,
    started: Optional[Callable[[str, UpResult], None]] = None,
    engine: Optional[Engine] = None,
    environ: Mapping[str, str] = os.environ,
) -> TestOutcome:
    """Up a fresh instance, run the command, tear down (unless `keep`). `started(instance,
    up_result)` is called once the stack is healthy, before the command runs."""
    if options.service:
        check_selection(project, (options.service,), names.DEFAULT_INSTANCE)
    engine = engine or connect()
    instance = new_instance_name()  # `up` itself removes leftovers of dead test runs first
    up_options = UpOptions(
        instance=instance,
        profile=options.profile or "test",
        pull=options.pull,
        build=options.build,
        extra_labels={} if options.keep else owner_labels(),
    )
    try:
        result = up(isolated_stack(project), up_options, progress=progress, waiting=waiting, engine=engine)
        if started is not None:
            started(instance, result)
        if options.service:
            code = _in_service(engine, project, instance, options)
        else:
            code = _on_host(engine, project, instance, options.command, environ)
    finally:
        if not options.keep:
            # Ctrl-C during teardown would leave half a stack: finish it first, then let it through.
            with interrupts.deferred():
                # Its data goes with it: no stop grace to wait out (stop timeout 0).
                remove_instance(
                    engine,
                    project.name,
                    instance,
                    volumes=True,
                    timeouts={},
                    default_timeout=0,
                    progress=progress,
                )
                remove_lock_file(project.root, project.name, instance)
    return TestOutcome(instance, code, options.keep)


def _in_service(engine: Engine, project: Project, instance: str, options: TestOptions) -> int:
    for container in engine.containers(L.selector(project.name, instance)):
        if container.service == options.service and container.running:
            tty = sys.stdin.isatty() and sys.stdout.isatty()
            return run_in_container(
                engine,
                container.id,
                options.command,
                service=container.service,
                tty=tty,
                stdin=tty or not sys.stdin.isatty(),
            )
    raise DevenvError(
        f"service {options.service} is not running in test instance {instance}",
        "give it a long-running command in devenv.toml, or run the tests on the host (drop --service)",
    )


def _on_host(
    engine: Engine, project: Project, instance: str, command: Sequence[str], environ: Mapping[str, str]
) -> int:
    rows = status(project, instance, engine=engine).services
    env = {**environ, **host_env(project.name, instance, rows)}
    try:
        child = subprocess.Popen(list(command), env=env, cwd=project.root)
    except FileNotFoundError:
        raise DevenvError(
            f"command not found: {command[0]}",
            "check the command after `--`, or use `--service` to run it in a container",
        ) from None
    except PermissionError:
        raise DevenvError(f"command {command[0]} is not executable", f"chmod +x {command[0]}") from None
    try:
        return _exit_code(child.wait())
    except KeyboardInterrupt:
        _stop_child(child)
        raise


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    """After Ctrl-C (which the terminal sent to the child too) or a SIGTERM to devenv alone:
    a moment to exit on its own, then SIGTERM, then SIGKILL."""
    for step in (None, child.terminate, child.kill):
        if step is not None:
            step()
        try:
            child.wait(timeout=CHILD_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # impatient: go straight to the next step
            continue


def _exit_code(returncode: int) -> int:
    """A child killed by signal N exits like a shell reports it: 128 + N."""
    return 128 - returncode if returncode < 0 else returncode
