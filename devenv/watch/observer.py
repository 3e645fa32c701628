"""The file-system watcher: watchdog's native observer (inotify, FSEvents, kqueue) where the
file system sends events, watchdog's polling observer where it does not (network mounts), and
never a silent partial watch.

Ignored folders (`node_modules`, `.venv`, ...) are never watched: a folder whose subtree holds
no ignored folder gets one recursive watch, any other folder a non-recursive one and its
children are considered in turn. On Linux every folder costs one inotify watch and watchdog
skips, without a word, the folders it cannot add once `fs.inotify.max_user_watches` is used
up, and raises (ENOSPC, EMFILE, any errno) when not even a folder's first watch can be added:
so the observer starts first, each folder is scheduled on it (a recursive watch that does not
fit becomes one watch a folder), then we count the watches the kernel really holds
(/proc/self/fdinfo), name the exact sysctl fix, and poll the folders that were left out.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from devenv import settings
from devenv.watch.inotify import inotify_fix, inotify_watched_inodes, max_user_watches, no_instance_note

# Change events from these never reach a local watcher (the writes happen on another machine).
NO_EVENT_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "vboxsf", "davfs", "virtiofs"}
)
NO_EVENT_FUSE = ("sshfs", "rclone", "vmhgfs", "glusterfs", "gcsfuse", "s3fs")
POLL_GROUPS_LIMIT = 32  # more separate polled subtrees than this: poll the whole roots instead

OnChange = Callable[[str, bool, bool], None]  # (absolute path, is_dir, created: new, not renamed in)
# (absolute path, complete): a file closed after writing or renamed into place (complete), or
# deleted / renamed away (not complete): its change is over, the debouncer may act sooner.
OnDone = Callable[[str, bool], None]
Prune = Callable[[Path], bool]  # True: never watch this folder (nor anything below it)


@dataclass
class WatchReport:
    mode: str  # "native" (inotify/fsevents/kqueue/...), "polling", or "native+polling"
    backend: str  # the watchdog observer class used for events, e.g. "InotifyObserver"
    folders: int  # folders devenv meant to watch
    watched: int  # of those, folders with native watches the kernel confirmed
    polled: int  # folders left to polling
    notes: list[str] = field(default_factory=list)


@dataclass
class _Tree:
    folders: list[Path]  # every folder under the root that is not pruned, parents first
    clean: dict[Path, bool]  # True: no pruned folder anywhere below (one recursive watch will do)
    children: dict[Path, list[Path]]
    inodes: dict[int, Path]  # to find the folders the kernel did not take


# File systems whose folder link count is 2 + the number of subfolders, so a folder with a count
# of 2 has none and need not be listed (GNU find's leaf optimisation). btrfs and merged overlay
# folders report 1, which never matches, so listing them is the fallback.
NLINK_FILESYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "tmpfs", "overlay", "btrfs", "f2fs", "zfs"})


def _scan(root: Path, prune: Prune, *, trust_nlink: bool = False) -> _Tree:
    """Every folder under `root` that `prune` keeps. With `trust_nlink`, leaf folders are
    recognised by their link count and not listed: in a source tree most entries are files in
    leaf folders, so this visits a hundredth of the entries (the watcher is ready sooner)."""
    folders: list[Path] = []
    clean: dict[Path, bool] = {}
    inodes: dict[int, Path] = {}
    children: dict[Path, list[Path]] = {}
    leaves: set[Path] = set()
    try:
        info = root.stat()
    except OSError:
        return _Tree([], {}, {}, {})
    inodes[info.st_ino] = root
    if trust_nlink and info.st_nlink == 2:
        leaves.add(root)
    stack = [root]
    while stack:
        folder = stack.pop()
        folders.append(folder)
        kids: list[Path] = []
        dirty = False
        if folder not in leaves:
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if not entry.is_dir(follow_symlinks=False):
                            continue
                        path = Path(entry.path)
                        if prune(path):
                            dirty = True
                            continue
                        kids.append(path)
                        inodes[entry.inode()] = path
                        if trust_nlink and entry.stat(follow_symlinks=False).st_nlink == 2:
                            leaves.add(path)
            except OSError:
                pass  # vanished or unreadable: nothing to watch there
        children[folder] = kids
        clean[folder] = not dirty
        stack.extend(kids)
    for folder in reversed(folders):  # children come after parents in `folders`
        if clean[folder] and not all(clean[kid] for kid in children[folder]):
            clean[folder] = False
    return _Tree(folders, clean, children, inodes)


def _schedule_plan(root: Path, tree: _Tree) -> list[tuple[Path, bool]]:
    """(folder, recursive) pairs covering every folder of `tree` and no pruned one."""
    plan: list[tuple[Path, bool]] = []
    stack = [root] if root in tree.clean else []
    while stack:
        folder = stack.pop()
        if tree.clean[folder]:
            plan.append((folder, True))
            continue
        plan.append((folder, False))
        stack.extend(tree.children[folder])
    return plan


def filesystem_type(path: Path) -> Optional[str]:
    """The mount type holding `path` (Linux /proc/mounts), or None where unknown."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, best_type = mount, parts[2]
    return best_type


def gives_no_events(fstype: Optional[str]) -> bool:
    if fstype is None:
        return False
    if fstype in NO_EVENT_FILESYSTEMS:
        return True
    return fstype.startswith("fuse.") and any(name in fstype for name in NO_EVENT_FUSE)


def _top_most(paths: Sequence[Path]) -> list[Path]:
    chosen: list[Path] = []
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if not any(path == c or c in path.parents for c in chosen):
            chosen.append(path)
    return chosen


class TreeWatcher:
    """Watches `roots` (folders), calling `on_change(path, is_dir, created)` from a watcher thread."""

    def __init__(
        self,
        roots: Sequence[Path],
        prune: Prune,
        on_change: OnChange,
        *,
        poll_interval_s: float = 1.0,
        force_polling: bool = False,
        on_done: Optional[OnDone] = None,
    ):
        self.roots = [Path(r) for r in roots]
        self.prune = prune
        self.on_change = on_change
        self.on_done = on_done
        self.poll_interval_s = poll_interval_s
        self.force_polling = force_polling or settings.WATCH_POLL.get()
        self._observers: list[Any] = []
        self._native: Any = None
        self._nonrecursive: set[Path] = set()
        self._nlink_roots: list[Path] = []  # roots on file systems with meaningful folder link counts
        self._lock = threading.Lock()
        self._stopped = False
        self._used_up = 0  # ENOSPC (no watch left) or EMFILE (no inotify instance left)

    # --- events ---
    @staticmethod
    def _event_filter() -> list[Any]:
        """Only what can mean a change, and close-after-write (IN_CLOSE_WRITE), which says a
        save is complete: no open/close-nowrite (create + modify + close per file, not five)."""
        from watchdog import events as ev  # watchdog loads only when watching starts

        return [
            ev.FileCreatedEvent,
            ev.FileModifiedEvent,
            ev.FileDeletedEvent,
            ev.FileMovedEvent,
            ev.FileClosedEvent,
            ev.DirCreatedEvent,
            ev.DirDeletedEvent,
            ev.DirMovedEvent,
        ]

    def _handler(self) -> Any:
        from watchdog.events import FileSystemEventHandler  # watchdog: only when watching

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return  # a folder's mtime: the file events say more
                src = os.fsdecode(event.src_path)
                if event.event_type == "closed":
                    watcher._done(src, True)
                    return
                watcher._dispatch(src, event.is_directory, event.event_type)
                dest = getattr(event, "dest_path", "")
                if event.event_type in ("deleted", "moved"):
                    watcher._done(src, False)
                if dest:
                    watcher._dispatch(os.fsdecode(dest), event.is_directory, "moved_in")
                    watcher._done(os.fsdecode(dest), True)

        return Handler()

    def _dispatch(self, path: str, is_dir: bool, kind: str) -> None:
        if is_dir and kind in ("created", "moved_in") and self._native is not None:
            folder = Path(path)
            if folder.parent in self._nonrecursive and not self.prune(folder):
                self._watch_tree(folder)  # a new folder where watches are not recursive
        self.on_change(path, is_dir, kind == "created")

    def _done(self, path: str, complete: bool) -> None:
        if self.on_done is not None:
            self.on_done(path, complete)

    def _listdir(self, path: Optional[str]) -> Iterator[os.DirEntry[str]]:
        """scandir without pruned folders, so polling never walks node_modules either."""
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and self.prune(Path(entry.path)):
                    continue
                yield entry

    # --- lifecycle ---
    def _watch_tree(self, root: Path) -> _Tree:
        """Schedule `root`'s folders on the running native observer. What the kernel refuses is
        left unwatched here; `start` counts it and polls it."""
        trust_nlink = any(root == r or r in root.parents for r in self._nlink_roots)
        tree = _scan(root, self.prune, trust_nlink=trust_nlink)
        handler = self._handler()
        # A stack of (folder, recursive, split): `split` marks a folder of a recursive watch that
        # did not fit (watchdog drops it whole), watched alone, its subfolders each in turn.
        plan = [(folder, recursive, False) for folder, recursive in reversed(_schedule_plan(root, tree))]
        while plan:
            folder, recursive, split = plan.pop()
            if not recursive:
                self._nonrecursive.add(folder)
            error = self._schedule(handler, folder, recursive)
            if error is None:
                if split:
                    plan.extend((kid, False, True) for kid in reversed(tree.children.get(folder, [])))
                continue
            if recursive:
                plan.append((folder, False, True))
            elif error.errno in (errno.ENOSPC, errno.EMFILE):
                self._used_up = error.errno
                break  # the limit is used up: every further folder would fail the same way
        return tree

    def _schedule(self, handler: Any, folder: Path, recursive: bool) -> Optional[OSError]:
        """None once the watch is in place, else why not. Watchdog raises what inotify said
        (ENOSPC, EMFILE, EACCES, ENOENT...) or its own errors; each only leaves the folder
        to polling."""
        try:
            self._native.schedule(handler, str(folder), recursive=recursive, event_filter=self._event_filter())
        except OSError as err:
            return err
        except Exception as err:  # watchdog's own: the folder is polled instead
            return OSError(0, f"{type(err).__name__}: {err}")
        return None

    def _start_native(self) -> Optional[str]:
        """Start watchdog's native observer (no watches yet); None, or why it cannot run."""
        from watchdog.observers import Observer  # watchdog: only when watching

        try:
            native = Observer()
            native.start()
        except Exception as err:  # any failure here only means polling
            if getattr(err, "errno", None) == errno.EMFILE:
                return no_instance_note()
            return f"the native watcher cannot start ({type(err).__name__}: {err})"
        self._native = native
        self._observers.append(native)
        return None

    def start(self) -> WatchReport:
        """Schedule every watch; returns once events are being delivered."""
        notes: list[str] = []
        roots = [r for r in self.roots if r.is_dir()]
        for root in self.roots:
            if not root.is_dir():
                notes.append(f"watch path {root} does not exist or is not a folder: not watched")
        polling_roots: list[Path] = []
        native_roots: list[Path] = []
        for root in roots:
            fstype = filesystem_type(root)
            if self.force_polling:
                polling_roots.append(root)
            elif gives_no_events(fstype):
                polling_roots.append(root)
                notes.append(
                    f"{root} is on {fstype}, which sends no change events: polling every "
                    f"{self.poll_interval_s:g} s"
                )
            else:
                native_roots.append(root)
                if fstype in NLINK_FILESYSTEMS:
                    self._nlink_roots.append(root)

        folders_total = watched = 0
        if native_roots:
            failure = self._start_native()
            if failure is not None:
                notes.append(f"{failure}; polling every {self.poll_interval_s:g} s instead")
                polling_roots.extend(native_roots)
                native_roots = []
        if native_roots:
            before = inotify_watched_inodes()
            all_inodes: dict[int, Path] = {}
            for root in native_roots:
                tree = self._watch_tree(root)
                folders_total += len(tree.folders)
                all_inodes.update(tree.inodes)
            watched = folders_total
            after = inotify_watched_inodes() if type(self._native).__name__ == "InotifyObserver" else None
            if after is not None and before is not None:
                held = set(after)
                missing = [path for ino, path in all_inodes.items() if ino not in held]
                watched = folders_total - len(missing)
                if missing and self._used_up == errno.EMFILE and not watched:
                    notes.append(f"{no_instance_note()}; polling every {self.poll_interval_s:g} s instead")
                elif missing:
                    limit = max_user_watches()
                    notes.append(
                        f"inotify watch limit reached: watching {watched:,} of {folders_total:,} folders "
                        f"(fs.inotify.max_user_watches = {limit if limit is not None else '?'}, shared by "
                        f"all your programs); polling the other {len(missing):,} every "
                        f"{self.poll_interval_s:g} s. Fix: {inotify_fix(limit, len(missing))}"
                    )
                if missing:
                    groups = _top_most(missing)
                    polling_roots.extend(groups if len(groups) <= POLL_GROUPS_LIMIT else native_roots)
        polled = folders_total - watched
        if polling_roots:
            from watchdog.observers.polling import PollingObserverVFS  # watchdog: only when watching

            poller = PollingObserverVFS(os.stat, self._listdir, polling_interval=self.poll_interval_s)
            handler = self._handler()
            for root in polling_roots:
                poller.schedule(handler, str(root), recursive=True)
                if root not in native_roots:  # a whole root polled (no-event file system)
                    count = len(_scan(root, self.prune).folders)
                    folders_total += count
                    polled += count
            poller.start()
            self._observers.append(poller)
        native = bool(native_roots) and watched > 0
        mode = "native+polling" if native and polling_roots else ("polling" if polling_roots else "native")
        backend = type(self._native).__name__ if self._native is not None else "PollingObserverVFS"
        return WatchReport(mode, backend, folders_total, watched, polled, notes)

    def stop(self) -> None:
        """Stop every observer; safe to call twice or before start."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            observers, self._observers = self._observers, []
        for observer in observers:
            observer.stop()
        for observer in observers:
            if observer.is_alive():
                observer.join(timeout=5)
