"""Reload actions on a running container, through the engine port.

Each returns when its work is done and raises `ActionError` (a DevenvError) with the
container's last log lines when it fails, so the watch loop can report and keep going.
"""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Callable, NamedTuple, Optional, TypeVar

from devenv import settings
from devenv.config.watch_actions import EXEC, RESTART, RESTART_CONTAINER, SYNC, Step
from devenv.engine import local_process
from devenv.engine.errors import EngineNotFound, EngineUnreachable
from devenv.engine.port import Engine
from devenv.engine.records import ContainerDetails, ExecResult
from devenv.errors import DevenvError, about
from devenv.watch.supervisor import is_supervised, restart_command, signal_reaches_supervisor
from devenv.watch.sync_agent import MAX_MESSAGE, AgentFailed, AgentUnavailable, SyncAgent

Ignored = Callable[[str, bool], bool]  # (project-relative posix path, is_dir) -> ignored?
DELETE_BATCH = 200  # paths per `rm` exec: stays far below ARG_MAX
T = TypeVar("T")


class ActionError(DevenvError):
    """A reload step failed; `last_logs` holds the container's last log lines."""

    def __init__(self, message: str, hint: Optional[str] = None, last_logs: Optional[list[str]] = None):
        super().__init__(message, hint)
        self.last_logs = last_logs or []


class ExitedAtOnce(ActionError):
    """The restarted process had exited when the restart looked: the same crash the service's
    log follower reports from the supervisor's exit line, if its logs are followed. Its lines
    are read only when it is reported (`read_logs`): reading waits for the streams to settle,
    which a watch loop whose follower reports the crash need not wait for."""

    def __init__(self, message: str, hint: str, engine: Engine, container: ContainerDetails):
        super().__init__(message, hint)
        self._engine = engine
        self._container = container

    def read_logs(self) -> None:
        self.last_logs = last_log_lines(self._engine, self._container, settle_s=LOG_SETTLE_S)


@dataclass
class SyncResult:
    copied: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # changed paths that were ignored


# The engine copies a container's stdout and stderr through separate pipes: the app's last
# stdout line can land after the shim's stderr exit line. A crash report waits this long so the
# lines it quotes are complete.
LOG_SETTLE_S = 0.25


def last_log_lines(
    engine: Engine, container: ContainerDetails, n: int = 20, *, settle_s: float = 0.0
) -> list[str]:
    if settle_s:
        time.sleep(settle_s)
    try:
        raw = engine.logs(container.id, tail=n)
    except DevenvError:  # the logs are a courtesy in an error report, never a second error
        return []
    return raw.decode(errors="replace").splitlines()[-n:]


def _name(container: ContainerDetails) -> str:
    return container.service


def _api(what: Step, engine: Engine, container: ContainerDetails, call: Callable[[], T]) -> T:
    """Run one engine call for an action. Engine errors become ActionErrors (with the
    container's last log lines) so the watch loop reports them and keeps watching."""
    doing = f"{what} {_name(container)}"
    try:
        return call()
    except EngineNotFound as err:
        raise ActionError(
            f"{doing}: the container is gone", "start the stack again with `devenv up`"
        ) from err
    except EngineUnreachable:  # the engine itself is unreachable: not this service's failure
        with about(doing):
            raise
    except ActionError:
        raise
    except DevenvError as err:
        raise ActionError(f"{doing}: {err.message}", err.hint, last_log_lines(engine, container)) from err


class Supervised(NamedTuple):
    """Which process generation of which supervisor a restart left running."""

    shim_pid: str
    generation: str
    running_at: float = 0.0  # time.monotonic() when it was first seen running; 0.0 unknown


# The supervisor writes "running" right after its fork, before the process has done anything: one
# that fails on start (a syntax error, a missing module) still runs then. A restart looks again
# this much later and calls it "exited at once" if it is gone; a later crash is the log
# follower's to report. restart.sh's `at_once` is the same value.
AT_ONCE_S = 0.05


def restart(
    engine: Engine, container: ContainerDetails, *, wait: bool = True, after: Optional[Supervised] = None
) -> Optional[Supervised]:
    """Restart the service's process inside its container through the supervisor shim.

    `wait`: exec the shim's restart script, which returns once the new process runs (and says
    so if it died at once); otherwise just send SIGHUP (fire and forget). `after`: what the
    last restart left running — then the SIGHUP goes through the engine at once (the exec would
    start it some 50 ms later) and the script only waits for the next generation. Returns what
    runs now (None without `wait`).
    """
    if not is_supervised(container.args):
        raise ActionError(
            f"restart {_name(container)}: the container was not started under the devenv supervisor",
            "give the service a `command` with `supervise = true` (the default), then `devenv up`; "
            'or use `action = "restart-container"`',
        )
    fast = after is not None and signal_reaches_supervisor(container.args)
    if not wait or fast:
        _api(RESTART, engine, container, lambda: engine.kill(container.id, "SIGHUP", pid=container.pid))
        if not wait:
            return None
    if fast and after is not None:
        # The wait read from this kernel when it can: no exec taking CPU from the restarting app.
        seen = _next_status_here(container, after)
        if seen is not None:
            fields, running_at = seen
            code = 0 if fields[0] == "running" else 1
            return _restarted(engine, container, code, fields, " ".join(fields), running_at)
    command = restart_command(after=f"{after.shim_pid}:{after.generation}" if fast and after else None)
    result = _api(RESTART, engine, container, lambda: engine.exec_run(container.id, command, user="0"))
    output = result.output.decode(errors="replace").strip()
    # "<state> <generation> <pid> <code> <supervisor pid>"; restart.sh saw it run AT_ONCE_S ago
    return _restarted(engine, container, result.exit_code, output.split(), output, time.monotonic() - AT_ONCE_S)


def _restarted(
    engine: Engine, container: ContainerDetails, code: int, fields: list[str], output: str, running_at: float
) -> Optional[Supervised]:
    """What restart.sh's answer (exit code, "<state> <generation> <pid> <code> <supervisor
    pid>") says: the process that runs now (first seen running at `running_at`), or the error."""
    known = len(fields) == 5
    if code == 0:
        return Supervised(fields[4], fields[1], running_at) if known else None
    if code == 1:
        raise ExitedAtOnce(
            f"the process exited right after the restart ({f'exit code {fields[3]}' if known else output})",
            "fix the error shown in its log and save again",
            engine,
            container,
        )
    raise ActionError(f"restart {_name(container)}: {output or 'the supervisor did not answer'}")


def _next_status_here(
    container: ContainerDetails, after: Supervised, timeout_s: float = 10.0
) -> Optional[tuple[list[str], float]]:
    """restart.sh's wait, from this kernel: the status fields (as restart.sh prints them) once
    the supervisor left `after` behind, and when that was seen. A new process that is gone
    within AT_ONCE_S of being seen running is reported as exited. None when the file cannot be
    read from here, or the wait ran out (the exec then says why)."""
    path = settings.SUPERVISOR_STATUS.get(container.env_map)
    deadline = time.monotonic() + timeout_s
    running: Optional[list[str]] = None  # the new process, once seen running
    seen_at = 0.0
    while time.monotonic() < deadline:
        text = local_process.read_file(container.pid, container.id, path)
        if text is None:
            return None
        fields = text.split()  # "<supervisor pid> <generation> <state> <pid> <code>"
        if len(fields) == 5:
            shim_pid, generation, state, pid, code = fields
            now = [state, generation, pid, code, shim_pid]
            if running is None:
                # Another supervisor (the container restarted) started its process anew: any counts.
                moved = shim_pid != after.shim_pid or generation != after.generation
                if moved and state != "stopping":
                    running, seen_at = now, time.monotonic()
                    if state != "running":
                        return now, seen_at
            else:
                same = (shim_pid, generation) == (running[4], running[1])
                if same and state == "exited":
                    return now, seen_at  # exited at once
                if not same or time.monotonic() - seen_at >= AT_ONCE_S:
                    return running, seen_at  # it ran AT_ONCE_S (or a later restart replaced it)
        time.sleep(0.005)
    return (running, seen_at) if running is not None else None


def restart_container(engine: Engine, container: ContainerDetails, timeout: float = 1.0) -> None:
    _api(RESTART_CONTAINER, engine, container, lambda: engine.restart(container.id, timeout))


def _tar_add(tar: tarfile.TarFile, path: Path, arcname: str, uid: int, gid: int) -> int:
    """Add one file system entry (not its children) owned by uid:gid; 0 if it vanished."""
    try:
        info = tar.gettarinfo(str(path), arcname)
    except OSError:
        return 0
    info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
    if info.isreg():
        try:
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
        except OSError:
            return 0
    elif info.isdir() or info.issym() or stat.S_ISLNK(info.mode):
        tar.addfile(info)
    else:
        return 0  # sockets, fifos, devices: nothing to copy
    return 1


def _walk(root: Path, rel: str, ignored: Optional[Ignored]) -> Iterable[str]:
    """`rel` and, for a folder, everything below it that is not ignored."""
    yield rel
    base = root / rel if rel else root
    if not base.is_dir() or base.is_symlink():
        return
    for folder, dirs, files in os.walk(base):
        here = Path(folder).relative_to(root).as_posix()
        here = "" if here == "." else here
        kept = []
        for d in sorted(dirs):
            sub = f"{here}/{d}" if here else d
            if ignored is None or not ignored(sub, True):
                kept.append(d)
                yield sub
        dirs[:] = kept
        for f in sorted(files):
            sub = f"{here}/{f}" if here else f
            if ignored is None or not ignored(sub, False):
                yield sub


def _put(
    engine: Engine, container: ContainerDetails, archive: IO[bytes], agent: Optional[SyncAgent] = None
) -> None:
    if agent is not None:
        archive.seek(0, os.SEEK_END)
        if archive.tell() <= MAX_MESSAGE:
            archive.seek(0)
            try:
                agent.extract(archive.read())
                return
            except AgentUnavailable:
                pass  # the engine's own copy below: slower, never wrong
            except AgentFailed as err:
                raise ActionError(f"sync {_name(container)}: tar in the container failed: {err}") from err
    archive.seek(0)
    ok = _api(SYNC, engine, container, lambda: engine.put_archive(container.id, "/", archive))
    if not ok:
        raise ActionError(f"sync {_name(container)}: the engine refused the archive")


def sync(
    engine: Engine,
    container: ContainerDetails,
    root: Path,
    changed_paths: Iterable[str],
    target: str,
    uid: int,
    gid: int,
    *,
    ignored: Optional[Ignored] = None,
    agent: Optional[SyncAgent] = None,
) -> SyncResult:
    """Copy changed project-relative paths into `target` in the container, owned by uid:gid;
    paths that no longer exist on the host are deleted there. With an `agent` (the copy helper
    running in that container) a change costs one round trip instead of an engine call."""
    root = Path(root)
    dest = PurePosixPath(target)
    result = SyncResult()
    deleted: list[str] = []
    with tempfile.TemporaryFile() as spool:
        with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
            folders_added: set[str] = set()
            for rel in sorted(set(changed_paths)):
                rel = rel.strip("/")
                if not rel or rel.startswith("../"):
                    continue
                path = root / rel
                if not os.path.lexists(path):
                    deleted.append(rel)
                    continue
                # Parent folders first, so ones the container lacks get the right owner too.
                parts = rel.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    parent = "/".join(parts[:i])
                    if parent not in folders_added:
                        folders_added.add(parent)
                        _tar_add(tar, root / parent, str(dest / parent).lstrip("/"), uid, gid)
                for sub in _walk(root, rel, ignored):
                    if sub in folders_added:
                        continue
                    if (root / sub).is_dir() and not (root / sub).is_symlink():
                        folders_added.add(sub)
                    result.copied += _tar_add(tar, root / sub, str(dest / sub).lstrip("/"), uid, gid)
        if result.copied:
            _put(engine, container, spool, agent)
    if deleted:
        result.deleted = _delete(engine, container, dest, deleted, agent)
    return result


def _delete(
    engine: Engine,
    container: ContainerDetails,
    dest: PurePosixPath,
    rels: Sequence[str],
    agent: Optional[SyncAgent] = None,
) -> int:
    if agent is not None:
        try:
            agent.delete([str(dest / rel) for rel in rels])
            return len(rels)
        except AgentUnavailable:
            pass
        except AgentFailed as err:
            raise ActionError(
                f"sync {_name(container)}: could not delete {len(rels)} path(s): {err}"
            ) from err
    for start in range(0, len(rels), DELETE_BATCH):
        batch = [str(dest / rel) for rel in rels[start : start + DELETE_BATCH]]
        res = _remove_paths(engine, container, batch)
        if res.exit_code != 0:
            raise ActionError(
                f"sync {_name(container)}: could not delete {len(batch)} path(s): "
                f"{res.output.decode(errors='replace').strip()}"
            )
    return len(rels)


def _remove_paths(engine: Engine, container: ContainerDetails, paths: list[str]) -> ExecResult:
    return _api(
        SYNC,
        engine,
        container,
        lambda: engine.exec_run(container.id, ["rm", "-rf", "--", *paths], user="0"),
    )


def initial_sync(
    engine: Engine,
    container: ContainerDetails,
    root: Path,
    target: str,
    uid: int,
    gid: int,
    *,
    ignored: Optional[Ignored] = None,
) -> SyncResult:
    """Copy the whole project (minus ignored paths) into `target`, the folder itself included."""
    root = Path(root)
    dest = PurePosixPath(target)
    result = SyncResult()
    with tempfile.TemporaryFile() as spool:
        with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _tar_add(tar, root, str(dest).lstrip("/"), uid, gid)
            for sub in _walk(root, "", ignored):
                if sub:
                    result.copied += _tar_add(tar, root / sub, str(dest / sub).lstrip("/"), uid, gid)
        _put(engine, container, spool)
    return result


def exec_then_maybe_restart(
    engine: Engine,
    container: ContainerDetails,
    command: Sequence[str],
    *,
    restart_after: bool,
    user: Optional[str] = None,
    workdir: Optional[str] = None,
) -> str:
    """Run `command` in the container (e.g. a compiler); restart the process if asked and
    the command succeeded. Returns the command's output."""
    res = _api(
        EXEC,
        engine,
        container,
        lambda: engine.exec_run(container.id, command, user=user or "", workdir=workdir or None),
    )
    output = res.output.decode(errors="replace")
    if res.exit_code != 0:
        raise ActionError(
            f"{_name(container)}: `{' '.join(command)}` exited with code {res.exit_code}",
            "fix the error and save again",
            output.splitlines()[-20:],
        )
    if restart_after:
        restart(engine, container)
    return output


def owner_ids(
    engine: Engine, container: ContainerDetails, user: Optional[str], has_code: bool
) -> tuple[int, int]:
    """uid:gid that synced files get, from the service's `user` setting."""
    if user == "host" or (user is None and has_code):
        return (os.getuid(), os.getgid()) if hasattr(os, "getuid") else (0, 0)
    if user is None:
        return (0, 0)
    uid_part, _, gid_part = user.partition(":")
    if uid_part.isdigit() and (not gid_part or gid_part.isdigit()):
        return int(uid_part), int(gid_part or uid_part)
    res = _api(SYNC, engine, container, lambda: engine.exec_run(container.id, ["id", "-u", uid_part]))
    gres = _api(SYNC, engine, container, lambda: engine.exec_run(container.id, ["id", "-g", uid_part]))
    if res.exit_code != 0 or gres.exit_code != 0:
        raise ActionError(f"sync {_name(container)}: user {uid_part!r} does not exist in the container")
    return int(res.output.strip()), int(gres.output.strip())
