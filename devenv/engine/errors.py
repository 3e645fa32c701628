"""Engine errors → DevenvErrors with a hint, in this one place. Both clients (docker-py and the
lite one) raise through `translated`, so no caller ever sees a third-party exception.

Errors are recognized by type name and status code, so translating one never imports docker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from devenv.errors import DevenvError, EngineError, ExitCode


class EngineUnreachable(EngineError):
    """No answer from the engine (refused, lost, timed out): not the fault of one object."""


class EngineRefused(EngineError):
    """The engine answered with an error; `explanation` is its own text."""

    def __init__(
        self,
        message: str,
        hint: Optional[str] = None,
        exit_code: Optional[ExitCode] = None,
        *,
        explanation: str = "",
        status_code: Optional[int] = None,
    ):
        super().__init__(message, hint, exit_code)
        self.explanation = explanation
        self.status_code = status_code


class EngineNotFound(EngineRefused):
    """What was asked for does not exist (404)."""


def unreachable(host: str, err: BaseException) -> EngineUnreachable:
    text = str(err)
    if "Permission denied" in text or isinstance(err, PermissionError):
        path = host.replace("unix://", "")
        return EngineUnreachable(
            f"permission denied on the Docker socket {path}",
            "add yourself to its group (`sudo usermod -aG docker $USER`, then log in again), "
            "or run devenv where you can reach the engine",
        )
    return EngineUnreachable(
        f"cannot reach the Docker engine at {host}",
        "start it (`sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at a running engine",
    )


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Run engine calls; their errors come out as DevenvErrors saying what failed."""
    try:
        yield
    except DevenvError:
        raise
    except Exception as err:
        mapped = translate(err, doing)
        if mapped is None:
            raise
        raise mapped from None


def _family(err: BaseException) -> str:
    return type(err).__module__.split(".")[0]


def translate(err: BaseException, doing: str) -> Optional[DevenvError]:
    """The DevenvError for an engine-side failure, or None if `err` is not one (a bug: re-raise)."""
    name = type(err).__name__
    family = _family(err)
    if family in ("requests", "urllib3") or isinstance(err, (ConnectionError, TimeoutError)):
        if "Timeout" in name or isinstance(err, TimeoutError):
            return EngineUnreachable(
                f"{doing}: the Docker engine did not answer in time",
                "the engine is overloaded or hung: check `docker info`, restart it if needed",
            )
        return EngineUnreachable(
            f"{doing}: lost the connection to the Docker engine ({name})",
            "is dockerd still running? Start it, then run the same command again; "
            "devenv converges from whatever state is left",
        )
    if family != "docker" and not hasattr(err, "status_code"):
        return None
    text = _explain(err)
    status = getattr(err, "status_code", None)
    if name == "ImageNotFound":
        return EngineNotFound(
            f"{doing}: image not found ({text})",
            "check the image name and tag, then `devenv pull`",
            ExitCode.REGISTRY,
            explanation=text,
            status_code=status,
        )
    if status == 404 or name == "NotFound":
        return EngineNotFound(
            f"{doing}: {text}",
            "something removed it meanwhile; run `devenv up` again",
            explanation=text,
            status_code=status,
        )
    if status is not None:
        return _api_error(doing, text, status)
    return EngineError(f"{doing}: {err}", "check the engine with `devenv doctor`")


def _explain(err: BaseException) -> str:
    explanation = getattr(err, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or err).strip()


def _api_error(doing: str, text: str, status: int) -> EngineRefused:
    lowered = text.lower()

    def refused(message: str, hint: str, code: Optional[ExitCode] = None) -> EngineRefused:
        return EngineRefused(message, hint, code, explanation=text, status_code=status)

    if "port is already allocated" in lowered or "address already in use" in lowered:
        return refused(
            f"{doing}: a host port is already taken ({text})",
            "stop what uses it, or change the host side in devenv.toml `ports`",
            ExitCode.USER_ERROR,
        )
    if "conflict" in lowered and "already in use by container" in lowered:
        return refused(
            f"{doing}: a container with that name already exists ({text})",
            "run `devenv down`, then `devenv up` (or remove the stray container)",
        )
    if "no such image" in lowered or "manifest unknown" in lowered or "pull access denied" in lowered:
        return refused(f"{doing}: {text}", "check the image name, then `devenv pull`", ExitCode.REGISTRY)
    if "mount" in lowered and ("no such file" in lowered or "not a directory" in lowered):
        return refused(
            f"{doing}: a mount source is missing ({text})",
            "create the folder or fix `data`/`code` in devenv.toml",
            ExitCode.USER_ERROR,
        )
    return refused(f"{doing}: {text}", "see `devenv doctor` and the engine's log")
