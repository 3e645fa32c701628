"""The moments after `up` starts its containers: a service without a health check is watched
briefly (an app that dies a second after its start fails `up`, with its code and log lines), and
a supervised service must show that devenv's supervisor runs — an image whose ENTRYPOINT drops
the command it is given never starts it, and no save would ever reload that service."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Callable

from devenv import settings
from devenv.engine.health import died, settle
from devenv.engine.port import EngineStack
from devenv.engine.records import ContainerSpec
from devenv.errors import ConfigError, about
from devenv.interrupts import interruptible_sleep
from devenv.watch.supervisor import is_supervised

SUPERVISOR_WAIT_S = 5.0  # an ENTRYPOINT may do some set-up before it runs its command
POLL_S = 0.1


def settle_started(
    engine: EngineStack, started: Sequence[tuple[str, ContainerSpec]], labels: Sequence[str]
) -> None:
    """`started`: (container id, spec) of each container this `up` (re)started; `labels`: the
    instance's selector (one list of its containers a look)."""
    settle(engine, [(cid, spec.service) for cid, spec in started if not spec.health], labels)
    check_supervisors(engine, [(cid, spec) for cid, spec in started if _status_file(spec)])


def _status_file(spec: ContainerSpec) -> str:
    """The supervisor's status file when it can be looked for ("" otherwise): on a tmpfs, the
    engine cannot see it."""
    if not spec.command or not is_supervised(spec.command):
        return ""
    path = settings.SUPERVISOR_STATUS.get(dict(spec.environment))
    if spec.read_only or any(m.kind == "tmpfs" and path.startswith(m.target.rstrip("/") + "/") for m in spec.mounts):
        return ""
    return path


def check_supervisors(
    engine: EngineStack,
    supervised: Sequence[tuple[str, ContainerSpec]],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = lambda s: interruptible_sleep(s, "waiting for the supervisor"),
) -> None:
    pending = list(supervised)
    deadline = clock() + SUPERVISOR_WAIT_S
    while pending:
        for container_id, spec in list(pending):
            with about(spec.service):
                if engine.path_exists(container_id, _status_file(spec)):
                    pending.remove((container_id, spec))
                    continue
                state = engine.inspect_container(container_id).state
            if not state.running:
                raise died(engine, container_id, spec.service, state)
        if not pending:
            return
        if clock() >= deadline:
            container_id, spec = pending[0]
            raise _never_ran(engine, container_id, spec)
        sleep(POLL_S)


def _never_ran(engine: EngineStack, container_id: str, spec: ContainerSpec) -> ConfigError:
    command = spec.command or ()
    args = engine.inspect_container(container_id).args
    entrypoint = list(args[: -len(command)]) if tuple(args[-len(command) :]) == tuple(command) else []
    shown = " ".join(entrypoint) or "its ENTRYPOINT"
    whose = "devenv.toml's `entrypoint`" if spec.entrypoint else "the image's ENTRYPOINT"
    return ConfigError(
        f"service {spec.service}: devenv's supervisor never started: {whose} ({shown}) does not run "
        f"the command it is given, so `command` and every reload would go nowhere",
        f"in devenv.toml [services.{spec.service}]: set `entrypoint = []` (or the entrypoint's own "
        f"steps) so the command runs, or `supervise = false` (a save then restarts the container)",
    )
