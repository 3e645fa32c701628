"""Carrying out removals: a container (stop the way its service asks, then remove), and a whole
teardown plan (`down`). Only reads and removals: the lite client does it all, without docker-py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Callable, Optional

from devenv.engine.port import EngineTeardown
from devenv.errors import EngineError, about
from devenv.interrupts import interruptible_sleep
from devenv.reconcile.plan import CONTAINER, NETWORK, REMOVE, VOLUME, Action, Plan

Progress = Callable[[str, str], None]  # (subject, message), as ops.progress renders it

# Docker lets go of a removed container's endpoint a moment after the removal answers: a
# network emptied by twenty removals at once may still say "has active endpoints" for a while.
ENDPOINTS_GONE_S = 10.0
POLL_S = 0.1


def silent(subject: str, message: str) -> None:
    """The progress of a caller that shows none."""


def remove_container(
    engine: EngineTeardown, container_id: str, stop_timeout: Optional[float], service: str
) -> None:
    """Stop (the image's STOPSIGNAL, SIGKILL after `stop_timeout`; None: the container's own
    timeout), then remove. A container gone meanwhile is fine."""
    with about(service):
        if engine.stop(container_id, stop_timeout):
            engine.remove_container(container_id)


def apply_teardown(
    engine: EngineTeardown,
    plan: Plan,
    timeout_of: Callable[[str], Optional[float]],
    progress: Progress = silent,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = lambda s: interruptible_sleep(s, "removing the network"),
) -> None:
    """Containers in parallel, then networks, then the volumes the plan removes."""
    _remove_all(engine, [a for a in plan.removals if a.target == CONTAINER], timeout_of, progress)
    for action in plan.network:
        if action.kind == REMOVE and action.target == NETWORK:
            remove_network(engine, action.id or action.name, clock=clock, sleep=sleep)
            progress(action.name, "network removed")
    for action in plan.volumes:
        if action.kind == REMOVE and action.target == VOLUME:
            engine.remove_volume(action.name)
            progress(action.name, "volume removed")


def remove_network(
    engine: EngineTeardown,
    network: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = lambda s: interruptible_sleep(s, "removing the network"),
) -> None:
    """Remove `network`; while the engine still holds endpoints of containers just removed,
    ask again (an endpoint that stays, e.g. a container attached by hand, fails after
    ENDPOINTS_GONE_S with the engine's message)."""
    deadline = clock() + ENDPOINTS_GONE_S
    while True:
        try:
            engine.remove_network(network)
            return
        except EngineError as err:
            if "active endpoints" not in err.message or clock() >= deadline:
                raise
        sleep(POLL_S)


def _remove_all(
    engine: EngineTeardown,
    containers: Sequence[Action],
    timeout_of: Callable[[str], Optional[float]],
    say: Progress,
) -> None:
    """In parallel: a stack of N containers stops in one grace period, not N. Plain threads, the
    calling one included: a pool's module (and the logging it loads) costs more than the calls."""
    failures: list[BaseException] = []

    def one(container: Action) -> None:
        try:
            remove_container(engine, container.id or "", timeout_of(container.name), container.name)
            say(container.name, "removed")
        except BaseException as err:  # handed to the calling thread, raised there
            failures.append(err)

    helpers = [threading.Thread(target=one, args=(c,), name=f"devenv-down-{c.name}") for c in containers[1:]]
    for helper in helpers:
        helper.start()
    if containers:
        one(containers[0])
    for helper in helpers:
        helper.join()
    if failures:
        raise failures[0]
