"""The one error family of devenv, and the exit codes it maps to.

Domain code raises `DevenvError` (or a subclass); only the CLI catches it, prints one line
(plus an optional hint) and exits with `error.exit_code`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional


class ExitCode(enum.IntEnum):
    OK = 0
    USER_ERROR = 1  # bad config, bad input, a user-fixable problem
    USAGE = 2  # wrong command-line usage (click's own code)
    ENGINE = 3  # Docker engine unreachable or failing
    REGISTRY = 4  # registry unreachable, auth failure, unknown tag
    HEALTH_TIMEOUT = 5  # a service did not become healthy / died on start
    DRIFT = 6  # env check / lock check found drift
    UNTRUSTED = 7  # devenv.toml grants host access the user has not trusted (`devenv trust`)
    INTERNAL = 70  # a bug in devenv (EX_SOFTWARE); the CLI asks for a report
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


class DevenvError(Exception):
    """A failure the user can act on: `message` says what, `hint` says what to do."""

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, message: str, hint: Optional[str] = None, exit_code: Optional[ExitCode] = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ConfigError(DevenvError):
    """devenv.toml (or a file it names) is invalid. The message starts with `file:line key:`."""

    exit_code = ExitCode.USER_ERROR


class EngineError(DevenvError):
    exit_code = ExitCode.ENGINE


class RegistryError(DevenvError):
    exit_code = ExitCode.REGISTRY


class RegistryNotFound(RegistryError):
    """The registry answered 404: no such repository, tag or digest there."""


class RegistryUnreachable(RegistryError):
    """No answer at all (refused, DNS, timeout): the one registry failure an offline cache can cover."""


class HealthError(DevenvError):
    exit_code = ExitCode.HEALTH_TIMEOUT


class DriftError(DevenvError):
    exit_code = ExitCode.DRIFT


class UntrustedError(DevenvError):
    """devenv.toml asks for host access (privileged, host paths, files outside the project)
    that the user has not trusted for this exact content."""

    exit_code = ExitCode.UNTRUSTED


class Interrupted(DevenvError):
    exit_code = ExitCode.INTERRUPTED


@contextmanager
def about(subject: str) -> Iterator[None]:
    """Errors raised in the block name `subject` first (`web: starting the container: ...`)."""
    try:
        yield
    except DevenvError as err:
        if not err.message.startswith(f"{subject}: "):
            err.message = f"{subject}: {err.message}"
            err.args = (err.message,)
        raise
