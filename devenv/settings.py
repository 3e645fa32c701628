"""Every `DEVENV_*` variable devenv reads, declared once: name, variable, default, one line of help.

A setting resolves as CLI flag > environment > devenv.toml > default (`Setting.get`); an empty
variable counts as unset. Values are read when asked for, never at import, so a test's
`monkeypatch.setenv` and a long-lived process see the current environment. The `--instance` and
`--project-dir` and `--trust` flags take their variable's name from here (click resolves flag >
variable).
docs/config-reference.md lists these declarations (`devenv.config.reference`); a unit test holds
both equal, and another that devenv reads no `DEVENV_*` variable anywhere else.

Plain classes and `os` only: every command reads a setting (the state folder), so this module
is on the no-op `up`'s path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class Setting(Generic[T]):
    """One setting. `parse` turns the variable's text into the value (raising ConfigError for bad
    text); `file_key` and `flag` name the devenv.toml key and CLI flag that also set it."""

    __slots__ = ("default", "env", "file_key", "flag", "help", "parse", "shown_default")

    def __init__(
        self,
        env: str,
        help: str,
        default: T,
        parse: Callable[[Setting[T], str], T],
        *,
        file_key: Optional[str] = None,
        flag: Optional[str] = None,
        shown_default: Optional[str] = None,
    ):
        self.env = env
        self.help = help
        self.default = default
        self.parse = parse
        self.file_key = file_key
        self.flag = flag
        self.shown_default = shown_default  # how the docs show a default that is computed

    def get(
        self,
        environ: Mapping[str, str] = os.environ,
        *,
        cli: Optional[T] = None,
        file: Optional[T] = None,
    ) -> T:
        """CLI flag > environment > devenv.toml > default."""
        if cli is not None:
            return cli
        raw = environ.get(self.env)
        if raw:
            return self.parse(self, raw)
        if file is not None:
            return file
        return self.default


def _text(setting: Setting[Optional[str]], raw: str) -> Optional[str]:
    return raw


def _value(setting: Setting[str], raw: str) -> str:
    return raw


def _flag(setting: Setting[bool], raw: str) -> bool:
    return raw != "0"


_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("0", "false", "f", "no", "n", "off")


def _bool(setting: Setting[bool], raw: str) -> bool:
    """click's reading of a boolean flag's variable (it reads --trust's)."""
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    from devenv.errors import ConfigError  # only a bad value needs it

    raise ConfigError(f"environment {setting.env}={raw!r} is not a boolean", hint=f"e.g. {setting.env}=1")


def _hosts(setting: Setting[frozenset[str]], raw: str) -> frozenset[str]:
    return frozenset(h.strip() for h in raw.split(",") if h.strip())


def _seconds(setting: Setting[float], raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        from devenv.errors import ConfigError  # only a bad value needs it

        name = setting.env
        raise ConfigError(
            f"environment {name}={raw!r} is not a positive number of seconds", hint=f"e.g. {name}=5"
        )
    return value


def _any_seconds(setting: Setting[float], raw: str) -> float:
    if not raw.strip():
        return setting.default
    try:
        return float(raw)
    except ValueError:
        from devenv.errors import ConfigError  # only a bad value needs it

        raise ConfigError(
            f"{setting.env}={raw!r} is not a number of seconds", "unset it or give e.g. 120"
        ) from None


STATE_DIR: Setting[Optional[str]] = Setting(
    "DEVENV_STATE_DIR",
    "Folder for devenv's locks, per-instance state and supervisor shim copy.",
    None,
    _text,
    shown_default="the platform's user state folder (`~/.local/state/devenv` on Linux)",
)
PROJECT_DIR: Setting[Optional[str]] = Setting(
    "DEVENV_PROJECT_DIR",
    "Folder holding devenv.toml.",
    None,
    _text,
    flag="--project-dir",
    shown_default="searched upward from the current folder",
)
INSTANCE: Setting[Optional[str]] = Setting(
    "DEVENV_INSTANCE",
    "Which copy of the stack a command acts on.",
    None,
    _text,
    flag="--instance",
    shown_default="the folder's pin; in a linked git worktree, one named after it; else `default`",
)
REGISTRY: Setting[Optional[str]] = Setting(
    "DEVENV_REGISTRY",
    "Team registry short image names resolve against (e.g. a mirror).",
    None,
    _text,
    file_key="project.registry",
)
REGISTRY_INSECURE: Setting[frozenset[str]] = Setting(
    "DEVENV_REGISTRY_INSECURE",
    "Comma-separated registry hosts spoken to over plain HTTP (loopback hosts always are).",
    frozenset(),
    _hosts,
)
REGISTRY_CONNECT_TIMEOUT: Setting[float] = Setting(
    "DEVENV_REGISTRY_CONNECT_TIMEOUT",
    "Seconds to wait for a registry connection.",
    5.0,
    _seconds,
)
REGISTRY_READ_TIMEOUT: Setting[float] = Setting(
    "DEVENV_REGISTRY_READ_TIMEOUT",
    "Seconds to wait for a registry's answer.",
    10.0,
    _seconds,
)
DEFAULT_BRANCH: Setting[Optional[str]] = Setting(
    "DEVENV_DEFAULT_BRANCH",
    "The default branch: catalog images built on it are also tagged `latest`.",
    None,
    _text,
    shown_default="CI_DEFAULT_BRANCH, else origin's HEAD, else git's init.defaultBranch, else main or master",
)
RENDER_TIMEOUT: Setting[float] = Setting(
    "DEVENV_RENDER_TIMEOUT",
    "Seconds a prod source's render command (or Kustomize) may run before it is stopped.",
    60.0,
    _any_seconds,
)
TRUST: Setting[bool] = Setting(
    "DEVENV_TRUST",
    "1: act on what devenv.toml grants (privileged, host paths, ...) without `devenv trust` (CI).",
    False,
    _bool,
    flag="--trust",
)
WATCH_POLL: Setting[bool] = Setting(
    "DEVENV_WATCH_POLL",
    "Any value but 0: watch files by polling instead of inotify/FSEvents.",
    False,
    _flag,
)
COMPLETE: Setting[Optional[str]] = Setting(
    "_DEVENV_COMPLETE",
    "Set by the shell completion script (`devenv completion`) when the shell asks for completions.",
    None,
    _text,
)

ALL: tuple[Setting[Any], ...] = (  # the order of the docs' table
    PROJECT_DIR,
    INSTANCE,
    REGISTRY,
    REGISTRY_INSECURE,
    REGISTRY_CONNECT_TIMEOUT,
    REGISTRY_READ_TIMEOUT,
    DEFAULT_BRANCH,
    RENDER_TIMEOUT,
    STATE_DIR,
    TRUST,
    WATCH_POLL,
    COMPLETE,
)

# Read in the container by the supervisor shim (devenv/watch/shim/), which cannot import this
# module: a service's `environment` sets them. A unit test holds the shim's defaults to these.
SUPERVISOR_STATUS: Setting[str] = Setting(
    "DEVENV_STATUS",
    "File the supervisor writes its one-line status to (`devenv` reads it to follow restarts).",
    "/tmp/.devenv-supervise",
    _value,
)
SUPERVISOR_GRACE: Setting[str] = Setting(
    "DEVENV_GRACE",
    "Seconds the supervisor waits after SIGTERM before SIGKILL on a restart or stop.",
    "2",
    _value,
)
SUPERVISOR_WARM_LIST: Setting[str] = Setting(
    "DEVENV_WARM_LIST",
    "File where a preloading (`watch.preload`) child lists the modules its parent imports ahead.",
    "/tmp/.devenv-warm",
    _value,
)

IN_CONTAINER: tuple[Setting[Any], ...] = (SUPERVISOR_STATUS, SUPERVISOR_GRACE, SUPERVISOR_WARM_LIST)
