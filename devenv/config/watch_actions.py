"""The watch vocabulary: what a change does (the `action` of a [watch] table or rule), the steps a
reload runs, and whether a service's process runs under the supervisor (restarted in place).

Plain strings typed as Literals: they are what devenv.toml spells, and what the config hash reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, Optional

WatchAction = Literal[
    "restart", "restart-container", "sync", "rebuild", "exec", "none", "sync+restart", "sync+exec"
]
RESTART: Final = "restart"  # the process, in place under the supervisor
RESTART_CONTAINER: Final = "restart-container"
SYNC: Final = "sync"  # copy the changed files in (no code mount)
REBUILD: Final = "rebuild"  # build the image again and recreate the container
EXEC: Final = "exec"  # run a command in the container
NONE: Final = "none"
SYNC_RESTART: Final = "sync+restart"  # compose's compound actions: copy, then restart / run
SYNC_EXEC: Final = "sync+exec"

WATCH_ACTIONS: tuple[WatchAction, ...] = (
    RESTART,
    RESTART_CONTAINER,
    SYNC,
    REBUILD,
    EXEC,
    NONE,
    SYNC_RESTART,
    SYNC_EXEC,
)
SYNC_ACTIONS: tuple[WatchAction, ...] = (SYNC, SYNC_RESTART, SYNC_EXEC)  # each copies files in
EXEC_ACTIONS: tuple[WatchAction, ...] = (EXEC, SYNC_EXEC)  # each runs a command

# A reload's steps, in the order they run: preparation (sync, exec), then at most one of the rest.
Step = Literal["sync", "initial-sync", "exec", "restart", "restart-container", "rebuild"]
INITIAL_SYNC: Final = "initial-sync"  # copy every file of the source in (after a rebuild too)


def runs_supervised(command: Optional[Sequence[str]], supervise: bool) -> bool:
    """Whether a service's process runs under devenv's supervisor shim, so a restart is in place:
    it asks to be (`supervise`, the default) and names its `command` (an image's own command is
    never wrapped). The one rule for the container spec, the watcher and the converters."""
    return bool(supervise and command)
