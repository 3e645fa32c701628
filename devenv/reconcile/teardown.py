"""Carrying out removals: a container (stop the way its service asks, then remove), and a whole
teardown plan (`down`). Only reads and removals: the lite client does it all, without docker-py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
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
    stuck: Collection[str] = (),
) -> list[Action]:
    """Containers in parallel, then networks, then the volumes the plan removes. Returns the
    networks left behind because Docker holds an endpoint no container has (`remove_network`).
    `stuck`: ids of networks an earlier teardown left so: asked once, not waited for again."""
    _remove_all(engine, [a for a in plan.removals if a.target == CONTAINER], timeout_of, progress)
    left = []
    for action in plan.network:
        if action.kind == REMOVE and action.target == NETWORK:
            network = action.id or action.name
            patience = 0.0 if network in stuck else ENDPOINTS_GONE_S
            if remove_network(engine, network, action.name, clock=clock, sleep=sleep, patience=patience):
                progress(action.name, "network removed")
            else:
                left.append(action)
    for action in plan.volumes:
        if action.kind == REMOVE and action.target == VOLUME:
            engine.remove_volume(action.name)
            progress(action.name, "volume removed")
    return left


def remove_network(
    engine: EngineTeardown,
    network: str,
    name: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = lambda s: interruptible_sleep(s, "removing the network"),
    patience: float = ENDPOINTS_GONE_S,
) -> bool:
    """Remove `network` (shown as `name`); while the engine still holds endpoints of containers
    just removed, ask again, for `patience` seconds at most. Then: a container still attached (one
    attached by hand) is an error naming it; none at all is Docker's own fault — it can keep an
    endpoint of a container long gone after many removals at once, until the daemon restarts —
    and the network is left (False): everything else is gone, and the next `up` reuses it."""
    deadline = clock() + patience
    while True:
        try:
            engine.remove_network(network)
            return True
        except EngineError as err:
            if "active endpoints" not in err.message:
                raise
            if clock() >= deadline:
                attached = engine.network_containers(network)
                if attached:
                    raise EngineError(
                        f"network {name} still has containers devenv did not create attached: {', '.join(attached)}",
                        f"detach them (`docker network disconnect {name} CONTAINER`) or remove them, "
                        "then run `devenv down` again",
                    ) from None
                return False
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
