"""Connecting to the engine (DOCKER_HOST, then the current docker context), and translating
docker-py's exceptions into DevenvErrors with a hint — in this one place."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from devenv.errors import DevenvError, EngineError, ExitCode

API_VERSION = "1.41"  # Debian's dockerd 20.10: pin API features to what it speaks
DEFAULT_TIMEOUT = 60


def engine_host() -> str:
    """Where the engine is: DOCKER_HOST, else the current docker context, else the default socket."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host
    try:
        from docker.context import ContextAPI

        context = ContextAPI.get_current_context()
        if context is not None and context.Host:
            return str(context.Host)
    except Exception:  # a broken ~/.docker/contexts must not stop us from trying the default
        pass
    return "unix:///var/run/docker.sock"


def connect(timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A docker-py client for the engine, verified with a ping."""
    import docker

    host = engine_host()
    try:
        kwargs: dict[str, Any] = {"version": API_VERSION, "timeout": timeout}
        if os.environ.get("DOCKER_HOST"):
            client = docker.from_env(**kwargs)
        else:
            client = docker.DockerClient(base_url=host, **kwargs)
        client.ping()
    except Exception as err:
        raise unreachable(host, err) from None
    return client


def unreachable(host: str, err: BaseException) -> EngineError:
    text = str(err)
    if "Permission denied" in text or "PermissionError" in text:
        path = host.replace("unix://", "")
        return EngineError(
            f"permission denied on the Docker socket {path}",
            "add yourself to its group (`sudo usermod -aG docker $USER`, then log in again), "
            "or run devenv where you can reach the engine",
        )
    return EngineError(
        f"cannot reach the Docker engine at {host}",
        "start it (`sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at a running engine",
    )


@contextmanager
def translated(doing: str, *, service: Optional[str] = None) -> Iterator[None]:
    """Run a block of engine calls; docker errors come out as DevenvErrors saying what failed."""
    import docker.errors
    import requests.exceptions

    subject = f"{service}: " if service else ""
    try:
        yield
    except DevenvError:
        raise
    except docker.errors.ImageNotFound as err:
        raise DevenvError(
            f"{subject}{doing}: image not found ({_explain(err)})",
            "check the image name and tag, then `devenv pull`",
            ExitCode.REGISTRY,
        ) from None
    except docker.errors.NotFound as err:
        raise EngineError(
            f"{subject}{doing}: {_explain(err)}", "something removed it meanwhile; run `devenv up` again"
        ) from None
    except docker.errors.APIError as err:
        raise _api_error(subject, doing, err) from None
    except (requests.exceptions.ConnectionError, ConnectionError) as err:
        raise EngineError(
            f"{subject}{doing}: lost the connection to the Docker engine ({err.__class__.__name__})",
            "is dockerd still running? Start it, then run the same command again; "
            "devenv converges from whatever state is left",
        ) from None
    except requests.exceptions.ReadTimeout:
        raise EngineError(
            f"{subject}{doing}: the Docker engine did not answer in time",
            "the engine is overloaded or hung: check `docker info`, restart it if needed",
        ) from None
    except docker.errors.DockerException as err:
        raise EngineError(f"{subject}{doing}: {err}", "check the engine with `devenv doctor`") from None


def _explain(err: Any) -> str:
    explanation = getattr(err, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or err).strip()


def _api_error(subject: str, doing: str, err: Any) -> DevenvError:
    text = _explain(err)
    lowered = text.lower()
    if "port is already allocated" in lowered or "address already in use" in lowered:
        return DevenvError(
            f"{subject}{doing}: a host port is already taken ({text})",
            "stop what uses it, or change the host side in devenv.toml `ports`",
        )
    if "conflict" in lowered and "already in use by container" in lowered:
        return EngineError(
            f"{subject}{doing}: a container with that name already exists ({text})",
            "run `devenv down`, then `devenv up` (or remove the stray container)",
        )
    if "no such image" in lowered or "manifest unknown" in lowered or "pull access denied" in lowered:
        return DevenvError(
            f"{subject}{doing}: {text}", "check the image name, then `devenv pull`", ExitCode.REGISTRY
        )
    if "mount" in lowered and ("no such file" in lowered or "not a directory" in lowered):
        return DevenvError(
            f"{subject}{doing}: a mount source is missing ({text})",
            "create the folder or fix `data`/`code` in devenv.toml",
        )
    return EngineError(f"{subject}{doing}: {text}", "see `devenv doctor` and the engine's log")
