"""Getting an engine: docker-py for everything, the lite client where reads and removals suffice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devenv.engine.host import DEFAULT_TIMEOUT
from devenv.engine.lite import lite_engine

if TYPE_CHECKING:  # the port's Protocols are for the type checker: building them slows `down`
    from devenv.engine.port import Engine, EngineTeardown


def connect(timeout: float = DEFAULT_TIMEOUT, *, verify: bool = True) -> Engine:
    """The whole port, over docker-py, verified with a ping (`verify=False`: the caller has just
    talked to the engine)."""
    # docker-py (requests, urllib3) costs more than a whole no-op `up`: loaded only when needed.
    from devenv.engine.docker_engine import DockerEngine

    return DockerEngine.connect(timeout, verify=verify)


def light() -> EngineTeardown:
    """Reads and removals: the lite client on a local socket, docker-py elsewhere."""
    return lite_engine() or connect()
