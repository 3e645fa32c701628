"""Serving the dashboard: a socket bound to 127.0.0.1 (a free port unless one is asked for),
a token and a CSRF token new for each run, uvicorn until Ctrl-C."""

from __future__ import annotations

import asyncio
import secrets
import socket
from types import FrameType
from typing import Callable, Optional

from devenv.config.model import Project
from devenv.engine.connect import connect
from devenv.engine.port import Engine
from devenv.envvars.redact import Redactor
from devenv.errors import DevenvError

HOST = "127.0.0.1"  # never another address: the dashboard acts on the stack
EXTRA_HINT = "pip install 'devenv-stack[ui]'"


def require_extra() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise DevenvError(f"devenv ui needs Starlette and uvicorn: {EXTRA_HINT}") from None


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise DevenvError(
            f"cannot listen on {HOST}:{port}: {err.strerror}", "pick another with --port, or leave it out for a free one"
        ) from None
    sock.listen(128)
    return sock


def serve(
    project: Project,
    instance: str,
    secret_values: set[str],
    *,
    port: int,
    ready: Callable[[str], None],
    trust: bool = False,
    engine: Optional[Engine] = None,
) -> None:
    """Blocks until Ctrl-C. `ready(url)` gets the address with its token, once listening."""
    require_extra()
    import uvicorn

    from devenv.ui.app import build_app
    from devenv.ui.live import Live

    engine = engine or connect()  # docker-py: logs are followed, events streamed
    sock = bind(port)
    bound = sock.getsockname()[1]
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    live = Live(project, instance, engine, Redactor(secret_values))
    app = build_app(live, port=bound, token=token, csrf=csrf, trust=trust)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,  # open event streams end with the server
        date_header=False,  # kept fresh by a timer in uvicorn: see Server
    )

    class Server(uvicorn.Server):
        """uvicorn's, without its tick: its main loop wakes ten times a second to see whether to
        stop (and to refresh the Date header, which this server does not send); this one sleeps
        until Ctrl-C, so an idle dashboard costs no CPU."""

        stopping: Optional[asyncio.Event] = None

        async def main_loop(self) -> None:
            self.stopping = asyncio.Event()
            if not self.should_exit:
                await self.stopping.wait()

        def handle_exit(self, sig: int, frame: Optional[FrameType]) -> None:
            live.close_soon()  # the open event streams end now, not after the grace period
            super().handle_exit(sig, frame)
            if self.stopping is not None and live.loop is not None:
                live.loop.call_soon_threadsafe(self.stopping.set)

    server = Server(config)
    ready(f"http://{HOST}:{bound}/?token={token}")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises the Ctrl-C again once it has stopped: that is the way out
        pass
    finally:
        live.close()
        sock.close()
