"""The watch loop: file events -> per-service debouncers -> one plan per batch -> actions.

Runs until `stop()` or Ctrl-C. A failing action is reported and the loop keeps watching;
the next save tries again.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol, Union

from devenv.config.model import Project, Service, WatchSpec
from devenv.config.watch_actions import (
    EXEC,
    INITIAL_SYNC,
    REBUILD,
    RESTART,
    RESTART_CONTAINER,
    SYNC,
    Step,
    WatchAction,
    runs_supervised,
)
from devenv.engine.port import Engine
from devenv.engine.records import ContainerDetails
from devenv.errors import DevenvError
from devenv.watch import actions
from devenv.watch.debounce import Debouncer
from devenv.watch.ignore import IgnoreMatcher
from devenv.watch.observer import TreeWatcher, WatchReport
from devenv.watch.rules import Plan, RuleSet, RuleSync
from devenv.watch.sync_agent import SyncAgent

# After a save is complete (closed after writing, renamed into place) a small batch waits this
# long for the editor's next step, instead of the whole quiet window (docs/watch.md): 15 ms when
# the last file completed is a new one (an editor's temp file, renamed over the original next),
# 5 ms when it is the save itself (a file written in place, or renamed into place).
SETTLE_MS = 15
IN_PLACE_SETTLE_MS = 5


class Reporter(Protocol):
    def reloaded(self, service: str, ms: float, files: Collection[str], action: WatchAction) -> None:
        """`files`: the batch that triggered it, relative to the service's project folder."""
        ...

    def failed(self, service: str, message: str, last_logs: list[str]) -> None: ...

    def note(self, message: str) -> None: ...

    def log(self, service: str, line: str) -> None: ...


@dataclass
class _Watched:
    service: Service
    spec: WatchSpec
    roots: list[Path]  # absolute folders (recursive) to watch
    files: set[Path]  # absolute single files named in `paths`
    matcher: IgnoreMatcher
    rules: RuleSet
    debouncer: Debouncer
    root: Path  # its project's folder, resolved (an included stack's service: that stack's own)
    # "/abs/root/" per root: string tests, since the tree scan asks for every folder
    prefixes: tuple[str, ...] = field(init=False)
    root_prefix: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefixes = tuple(str(r).rstrip("/") + "/" for r in self.roots)
        self.root_prefix = str(self.root).rstrip("/") + "/"

    def rel(self, text: str) -> Optional[str]:
        """`text` relative to its project folder ("" for the folder itself, None outside it)."""
        if text.startswith(self.root_prefix):
            return text[len(self.root_prefix) :].replace("\\", "/")
        return "" if text == str(self.root) else None

    def covers(self, path: Path) -> bool:
        return path in self.files or self.covers_text(str(path))

    def covers_text(self, text: str) -> bool:
        return (text + "/").startswith(self.prefixes)

    def leads_to(self, text: str) -> bool:
        """`text` is a folder above one of the roots (on the way down to it)."""
        return any(p.startswith(text.rstrip("/") + "/") for p in self.prefixes)


def _top_most(paths: Sequence[Path]) -> list[Path]:
    chosen: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path == c or c in path.parents for c in chosen):
            chosen.append(path)
    return chosen


def _file_copy(source: str, target: str) -> tuple[str, str, str]:
    """A rule on one file: (its folder, its name, the container folder it goes to)."""
    parent, _, name = source.rpartition("/")
    folder, _, dest_name = target.rstrip("/").rpartition("/")
    if dest_name != name:
        raise DevenvError(
            f"watch rule for {source}: its target {target} has another name",
            f"a file keeps its name: set target to {folder or ''}/{name}",
        )
    return parent, name, folder or "/"


def _rule_mapping(w: _Watched, source: str, target: str) -> tuple[str, str, Callable[[str, bool], bool]]:
    """A rule's (source, target) and an ignore test for paths relative to the source: the
    service's ignores, and (for files) the rule's own paths, which may exclude with `!`."""
    prefix = source + "/" if source else ""

    def ignored(rel: str, is_dir: bool) -> bool:
        full = prefix + rel if rel else source
        if w.matcher.ignored(full, is_dir):
            return True
        rule = w.rules.rule_for(full)
        return not is_dir and (rule is None or rule.target != target)

    return source, target, ignored


def _ignored_folder(w: _Watched, text: str) -> bool:
    rel = w.rel(text)
    return rel is None or w.matcher.ignored(rel, True)


class WatchLoop:
    def __init__(
        self,
        project: Project,
        services: Sequence[Service],
        *,
        engine: Engine,
        get_container: Callable[[str], ContainerDetails],
        rebuild: Callable[[str], None],
        reporter: Reporter,
        clock: Callable[[], float] = time.monotonic,
        force_polling: bool = False,
        poll_interval_s: float = 1.0,
        restart_wait: bool = True,
        crashes_in_logs: bool = False,
    ):
        self.project = project
        self.root = Path(project.root)
        self.engine = engine
        self.get_container = get_container
        self.rebuild = rebuild
        self.reporter = reporter
        self.restart_wait = restart_wait
        # The services' logs are followed, and their follower reports every crash with its lines
        # (the supervisor's exit line): a restart that finds its process dead says nothing more.
        self.crashes_in_logs = crashes_in_logs
        self._supervised: dict[str, actions.Supervised] = {}  # per container: what the last restart left
        self._running_at = 0.0  # when the current action's restart saw its new process run
        self._wake = threading.Event()
        self._agents: dict[str, SyncAgent] = {}  # service -> copy helper in its container (sync)
        self._stop = threading.Event()
        self._stopped_lock = threading.Lock()
        self.report: Optional[WatchReport] = None
        self.batches = 0  # batches flushed, including those that needed no action
        self.reloads = 0  # batches acted on (for tests and benchmarks)
        self.watched = [self._prepare(svc, clock) for svc in services if svc.watch is not None]
        self._watcher = TreeWatcher(
            self._observer_roots(),
            self._prune,
            self._on_change,
            force_polling=force_polling,
            poll_interval_s=poll_interval_s,
            on_done=self._on_done,
        )

    # --- setup ---
    def _prepare(self, svc: Service, clock: Callable[[], float]) -> _Watched:
        spec = svc.watch or WatchSpec()
        root = Path(self.project.included(svc.include).project.root if svc.include else self.root).resolve()
        roots: list[Path] = []
        files: set[Path] = set()
        # Without `paths`, the code folder: an app in a subfolder reloads for its own files only.
        for rel in spec.paths or (svc.code_source,):
            path = (root / rel).resolve() if rel else root
            (files.add(path) if path.is_file() else roots.append(path))
        matcher = IgnoreMatcher(root, spec.ignore, include_ignored=spec.include_ignored)
        # A `debounce_ms` of the project's own is a window it chose: it is kept whole.
        own = spec.debounce_ms is not None
        debouncer = Debouncer(
            spec.quiet_ms / 1000.0,
            spec.max_wait_ms / 1000.0,
            clock=clock,
            settle_s=None if own else SETTLE_MS / 1000.0,
            in_place_settle_s=None if own else IN_PLACE_SETTLE_MS / 1000.0,
        )
        supervised = runs_supervised(svc.command, svc.restart)
        return _Watched(
            svc, spec, roots, files, matcher, RuleSet(spec, supervised=supervised), debouncer, root
        )

    def _observer_roots(self) -> list[Path]:
        folders: list[Path] = []
        for w in self.watched:
            folders.extend(w.roots)
            folders.extend(f.parent for f in w.files)
        return _top_most(folders)

    def _prune(self, folder: Path) -> bool:
        """Skip a folder unless a service watches it and not every such service ignores it."""
        text = str(folder)
        covering = [w for w in self.watched if w.covers_text(text)]
        if not covering:
            # Beside a watched file, or on the way down to a watched folder.
            return not any(w.leads_to(text) for w in self.watched)
        return all(_ignored_folder(w, text) for w in covering)

    # --- events ---
    def _on_change(self, abs_path: str, is_dir: bool, created: bool = False) -> None:
        path = Path(abs_path)
        for w in self.watched:
            rel = w.rel(str(path))
            if not rel or not w.covers(path):
                continue
            if path.name == ".gitignore":
                w.matcher.forget_gitignore(rel)
            if is_dir and path.exists():
                continue  # a new folder: the files in it come as their own events
            if w.matcher.ignored(rel, is_dir):
                continue
            w.debouncer.add(rel, created)
            self._wake.set()

    def _on_done(self, abs_path: str, complete: bool) -> None:
        for w in self.watched:
            rel = w.rel(abs_path)  # relative to the service's own project folder
            if rel and w.debouncer.pending():
                w.debouncer.done(rel, complete)  # a path outside its batch is ignored there
        self._wake.set()

    # --- running ---
    def start(self) -> WatchReport:
        """Start watching (and the initial copy for `sync` services); returns the report."""
        self.report = self._watcher.start()
        for note in self.report.notes:
            self.reporter.note(note)
        for w in self.watched:
            if w.spec.action == SYNC or w.rules.initial_syncs():
                self._guard(w, functools.partial(self._initial_sync, w), INITIAL_SYNC, 0)
        return self.report

    def run(self) -> None:
        """Block until `stop()` or Ctrl-C, acting on each due batch."""
        if self.report is None:
            self.start()
        try:
            while not self._stop.is_set():
                waits = [t for t in (w.debouncer.time_until_due() for w in self.watched) if t is not None]
                timeout = min(waits) if waits else 1.0
                if timeout > 0:
                    self._wake.wait(timeout)
                    self._wake.clear()
                for w in self.watched:
                    if not self._stop.is_set() and w.debouncer.due():
                        self._act(w, w.debouncer.flush())
        except KeyboardInterrupt:
            pass
        finally:
            self._watcher.stop()
            self._close_agents()

    def stop(self) -> None:
        """Ask `run()` to return; safe from any thread, any number of times."""
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        """Stop watching without `run()` (e.g. after `start()` only)."""
        self.stop()
        self._watcher.stop()
        self._close_agents()

    # --- actions ---
    def _act(self, w: _Watched, batch: frozenset[str]) -> None:
        if not batch:
            return
        self.batches += 1
        plan = w.rules.plan(batch)
        if not plan.steps:
            return
        started = time.monotonic()
        self._running_at = 0.0
        if self._guard(w, lambda: self._execute(w, plan), plan.action, len(batch)):
            self.reloads += 1
            # A restart's time ends when its new process ran, not after the look that it stayed up.
            ms = ((self._running_at or time.monotonic()) - started) * 1000.0
            self.reporter.reloaded(w.service.name, ms, batch, plan.action)

    def _guard(self, w: _Watched, work: Callable[[], None], action: Union[WatchAction, Step], nfiles: int) -> bool:
        try:
            work()
            return True
        except actions.ActionError as err:
            if isinstance(err, actions.ExitedAtOnce):
                if self.crashes_in_logs:
                    return False  # the log follower reports it, with its lines
                err.read_logs()
            message = err.message + (f" — {err.hint}" if err.hint else "")
            self.reporter.failed(w.service.name, message, err.last_logs)
        except DevenvError as err:
            message = err.message + (f" — {err.hint}" if err.hint else "")
            self.reporter.failed(w.service.name, message, [])
        return False

    def _sync_target(self, w: _Watched) -> str:
        target = w.spec.sync_target or w.service.code
        if not target:
            raise DevenvError(
                f"services.{w.service.name}.watch: action sync needs a target folder",
                f"set services.{w.service.name}.watch.sync_target (or `code`) to a container path",
            )
        return target

    def _sync_agent(self, service: str, container: ContainerDetails) -> SyncAgent:
        """The copy helper in this service's container; a new one when the container was replaced."""
        agent = self._agents.get(service)
        if agent is None or agent.container_id != container.id:
            if agent is not None:
                agent.close()
            agent = self._agents[service] = SyncAgent(self.engine, container.id)
        return agent

    def _close_agents(self) -> None:
        agents, self._agents = self._agents, {}
        for agent in agents.values():
            agent.close()

    def _initial_sync(self, w: _Watched) -> None:
        container = self.get_container(w.service.name)
        uid, gid = actions.owner_ids(self.engine, container, w.service.user, has_code=True)
        if w.spec.action == SYNC:
            actions.initial_sync(
                self.engine, container, w.root, self._sync_target(w), uid, gid, ignored=w.matcher.ignored
            )
        for rule in w.rules.initial_syncs():
            source, target, ignored = _rule_mapping(w, rule.source or "", rule.target or "")
            if (w.root / source).is_dir():
                actions.initial_sync(
                    self.engine, container, w.root / source, target, uid, gid, ignored=ignored
                )
            elif (w.root / source).exists():
                parent, name, folder = _file_copy(source, target)
                actions.sync(self.engine, container, w.root / parent, [name], folder, uid, gid)
        self._sync_agent(w.service.name, container).warm()

    def _targeted_sync(
        self, w: _Watched, container: ContainerDetails, job: RuleSync, uid: int, gid: int
    ) -> None:
        """Changed paths under a rule's `source` go to its `target` (a file rule: the file itself)."""
        source, target, ignored = _rule_mapping(w, job.source, job.target)
        agent = self._sync_agent(w.service.name, container)
        if source and not (w.root / source).is_dir() and all(p == source for p in job.paths):
            parent, name, folder = _file_copy(source, target)
            actions.sync(self.engine, container, w.root / parent, [name], folder, uid, gid, agent=agent)
            return
        prefix = source + "/" if source else ""
        inside = [p[len(prefix) :] for p in job.paths if p.startswith(prefix)]
        actions.sync(
            self.engine, container, w.root / source, inside, target, uid, gid, ignored=ignored, agent=agent
        )

    def _execute(self, w: _Watched, plan: Plan) -> None:
        name = w.service.name
        for step in plan.steps:
            if step == REBUILD:
                self.rebuild(name)
            elif step == INITIAL_SYNC:
                self._initial_sync(w)
            elif step == SYNC:
                container = self.get_container(name)
                uid, gid = actions.owner_ids(self.engine, container, w.service.user, has_code=True)
                if plan.sync_paths:
                    actions.sync(
                        self.engine,
                        container,
                        w.root,
                        plan.sync_paths,
                        self._sync_target(w),
                        uid,
                        gid,
                        ignored=w.matcher.ignored,
                        agent=self._sync_agent(name, container),
                    )
                for job in plan.targeted:
                    self._targeted_sync(w, container, job, uid, gid)
            elif step == EXEC:
                for command in plan.execs:
                    if not command:
                        raise DevenvError(
                            f"services.{name}.watch: action exec needs a command",
                            f'set services.{name}.watch.exec, e.g. ["make", "build"]',
                        )
                    actions.exec_then_maybe_restart(
                        self.engine,
                        self.get_container(name),
                        command,
                        restart_after=False,
                        workdir=w.service.workdir,
                    )
            elif step == RESTART:
                container = self.get_container(name)
                after = self._supervised.pop(container.id, None)  # kept only if this one succeeds
                left = actions.restart(self.engine, container, wait=self.restart_wait, after=after)
                if left is not None:
                    self._supervised[container.id] = left
                    self._running_at = left.running_at
            elif step == RESTART_CONTAINER:
                actions.restart_container(self.engine, self.get_container(name), w.service.stop_timeout_s)
