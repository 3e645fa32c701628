"""Connecting to the engine (DOCKER_HOST, then the current docker context), and translating
engine errors into DevenvErrors with a hint — in this one place.

docker-py is imported only when a command really talks to the engine through it; errors are
recognized by type name and status code so translating one never imports docker either.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

from devenv.errors import DevenvError, EngineError, ExitCode

API_VERSION = "1.41"  # Debian's dockerd 20.10: pin API features to what it speaks
DEFAULT_TIMEOUT = 60
DEFAULT_HOST = "unix:///var/run/docker.sock"


def _docker_config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def context_host() -> Optional[str]:
    """The engine of the current docker context (`docker context use`), read from its files."""
    name = os.environ.get("DOCKER_CONTEXT")
    config_dir = _docker_config_dir()
    if not name:
        try:
            name = json.loads((config_dir / "config.json").read_text()).get("currentContext")
        except (OSError, ValueError):
            return None
    if not name or name == "default":
        return None
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        endpoint = json.loads(meta.read_text())["Endpoints"]["docker"]
    except (OSError, ValueError, KeyError, TypeError):
        raise EngineError(
            f'docker context "{name}" is selected but its definition is missing or unreadable ({meta})',
            "run `docker context use default` or fix the context",
        ) from None
    return endpoint.get("Host") or None


def engine_host() -> str:
    """Where the engine is: DOCKER_HOST, else the current docker context, else the default socket."""
    return os.environ.get("DOCKER_HOST") or context_host() or DEFAULT_HOST


def connect(timeout: float = DEFAULT_TIMEOUT, *, verify: bool = True) -> Any:
    """A docker-py client for the engine, verified with a ping (`verify=False`: the caller has
    just talked to the engine)."""
    import docker

    host = engine_host()
    try:
        kwargs: dict[str, Any] = {"version": API_VERSION, "timeout": timeout}
        client = (
            docker.from_env(**kwargs)
            if os.environ.get("DOCKER_HOST")
            else docker.DockerClient(base_url=host, **kwargs)
        )
        if verify:
            client.ping()
    except Exception as err:
        raise unreachable(host, err) from None
    return client


def unreachable(host: str, err: BaseException) -> EngineError:
    text = str(err)
    if "Permission denied" in text or isinstance(err, PermissionError):
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


def is_not_found(err: BaseException) -> bool:
    return getattr(err, "status_code", None) == 404 or type(err).__name__ in ("NotFound", "ImageNotFound")


def inspect_image_or_none(client: Any, name: str) -> Optional[dict[str, Any]]:
    """The engine's view of an image, or None when it is not there."""
    try:
        return client.api.inspect_image(name)
    except Exception as err:
        if is_not_found(err):
            return None
        mapped = translate(err, f"inspecting image {name}")
        if mapped is None:
            raise
        raise mapped from None


@contextmanager
def translated(doing: str, *, service: Optional[str] = None) -> Iterator[None]:
    """Run a block of engine calls; engine errors come out as DevenvErrors saying what failed."""
    try:
        yield
    except DevenvError:
        raise
    except Exception as err:
        mapped = translate(err, doing, service)
        if mapped is None:
            raise
        raise mapped from None


def _family(err: BaseException) -> str:
    return type(err).__module__.split(".")[0]


def translate(err: BaseException, doing: str, service: Optional[str] = None) -> Optional[DevenvError]:
    """The DevenvError for an engine-side failure, or None if `err` is not one (a bug: re-raise)."""
    subject = f"{service}: " if service else ""
    name = type(err).__name__
    family = _family(err)
    if family in ("requests", "urllib3") or isinstance(err, (ConnectionError, TimeoutError)):
        if "Timeout" in name or isinstance(err, TimeoutError):
            return EngineError(
                f"{subject}{doing}: the Docker engine did not answer in time",
                "the engine is overloaded or hung: check `docker info`, restart it if needed",
            )
        return EngineError(
            f"{subject}{doing}: lost the connection to the Docker engine ({name})",
            "is dockerd still running? Start it, then run the same command again; "
            "devenv converges from whatever state is left",
        )
    if family != "docker" and not hasattr(err, "status_code"):
        return None
    text = _explain(err)
    if name == "ImageNotFound":
        return DevenvError(
            f"{subject}{doing}: image not found ({text})",
            "check the image name and tag, then `devenv pull`",
            ExitCode.REGISTRY,
        )
    if is_not_found(err):
        return EngineError(
            f"{subject}{doing}: {text}", "something removed it meanwhile; run `devenv up` again"
        )
    if hasattr(err, "status_code"):
        return _api_error(subject, doing, text)
    return EngineError(f"{subject}{doing}: {err}", "check the engine with `devenv doctor`")


def _explain(err: Any) -> str:
    explanation = getattr(err, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or err).strip()


def _api_error(subject: str, doing: str, text: str) -> DevenvError:
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
