"""devenv's supervisor for a Python service with `watch.preload = true`: the protocol of
supervise.sh (SIGHUP restarts, SIGTERM/SIGINT stop, the same status file and exit line, so
restart.sh and devenv read it alike), but a restart forks the new process from a parent that
keeps the installed packages imported, so it does not import Flask, Django, psycopg2... again.

    python3 [interpreter options] /.devenv/pywarm.py -m MODULE [ARGS...]
    python3 [interpreter options] /.devenv/pywarm.py SCRIPT [ARGS...]

The parent never runs the project's code. Each child, about a second after it starts, writes
the names of the modules it imported from outside the project (not under its working folder,
nor the script's folder, nor the main package) to $DEVENV_WARM_LIST; the parent imports those,
and forks every later child from there. The child imports the project's own modules afresh,
so an edit anywhere in the project is what runs. An import that starts a thread (forking then
is unsafe) turns preloading off: later children start as a fresh interpreter, as without it.

Runs on the image's own Python 3 (3.7 and up), standard library only. Its own errors go to
stderr as one "devenv-preload: ..." line.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import runpy
import signal
import sys
import threading
import time
import traceback
from types import ModuleType
from typing import NoReturn, Optional, Union

STATUS_FILE = os.environ.get("DEVENV_STATUS", "/tmp/.devenv-supervise")
WARM_LIST = os.environ.get("DEVENV_WARM_LIST", "/tmp/.devenv-warm")
GRACE_S = float(os.environ.get("DEVENV_GRACE", "2"))
LIST_AFTER_S = 1.0  # the child lists its imports once it has started (a server imports all first)
SIGNALS = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Target:
    """What to run: `python -m MODULE ARGS` or `python SCRIPT ARGS`."""

    def __init__(self, argv: list[str]):
        self.module: Optional[str] = None
        self.script: Optional[str] = None
        if len(argv) >= 2 and argv[0] == "-m":
            self.module, self.args = argv[1], argv[2:]
        elif argv and not argv[0].startswith("-"):
            self.script, self.args = argv[0], argv[1:]
        else:
            raise SystemExit(f"devenv-preload: needs `-m MODULE` or a script path, got {argv!r}")
        here = os.getcwd()
        self.search_root = os.path.dirname(os.path.abspath(self.script)) if self.script else here
        self.project_dirs = {os.path.realpath(here), os.path.realpath(self.search_root)}
        self.package = self.module.split(".")[0] if self.module else None

    def cold_argv(self, interpreter_argv: list[str]) -> list[str]:
        """The command as it would run without the preloader (for fresh interpreters)."""
        tail = ["-m", self.module] if self.module else [self.script or ""]
        return [*interpreter_argv, *tail, *self.args]

    def is_project(self, name: str, module: ModuleType) -> bool:
        if name == "__main__" or (self.package and name.split(".")[0] == self.package):
            return True
        path = getattr(module, "__file__", None)
        if not path:
            return False  # built in, frozen, a namespace package: nothing of the project's
        real = os.path.realpath(path)
        return any(real == d or real.startswith(d + os.sep) for d in self.project_dirs)

    def run(self) -> NoReturn:
        """In the child: run the target as `python` would, then exit with its code."""
        sys.argv = [self.script or self.module or "", *self.args]
        code = 0
        try:
            if self.module:
                runpy.run_module(self.module, run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(self.script or "", run_name="__main__")
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if stop.code is not None and not isinstance(stop.code, int):
                say(str(stop.code))
        except KeyboardInterrupt:
            code = 130
        except BaseException:  # what the interpreter would print, then its exit code
            traceback.print_exc()
            code = 1
        try:
            atexit._run_exitfuncs()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            os._exit(code)


class Supervisor:
    def __init__(self, target: Target, interpreter_argv: list[str]):
        self.target = target
        self.interpreter_argv = interpreter_argv  # the python executable and its options
        self.gen = 0
        self.child: Optional[int] = None
        self.code: Union[int, str] = "-"  # the last exit code, "-" while none
        self.forking = True  # False once an import started a thread: fresh interpreters then
        self.warmed_at: Optional[float] = None  # mtime of the list the parent imported

    # --- status ---
    def write_status(self, state: str) -> None:
        line = f"{os.getpid()} {self.gen} {state} {self.child or '-'} {self.code}\n"
        try:
            with open(STATUS_FILE, "w") as handle:
                handle.write(line)
        except OSError:
            pass

    # --- children ---
    def start_child(self) -> None:
        self.gen += 1
        self.code = "-"
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        if self.forking and hasattr(gc, "freeze"):
            # The preloaded objects leave the collector's view: the child's collections neither
            # walk them nor copy the pages they sit on (copy-on-write), so it starts sooner.
            gc.freeze()
        pid = os.fork()
        if pid == 0:
            self.become_child()
        try:
            os.setpgid(pid, pid)  # here too: a stop right after the fork finds the group
        except OSError:
            pass
        self.child = pid
        self.write_status("running")

    def become_child(self) -> NoReturn:
        try:
            os.setpgid(0, 0)  # its own group: a stop reaches what it starts
            for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
            if not self.forking:
                argv = self.target.cold_argv(self.interpreter_argv)
                os.execv(sys.executable, argv)  # this interpreter, its options as given
            threading.Thread(target=self.list_imports, name="devenv-preload", daemon=True).start()
            self.target.run()
        except BaseException:
            traceback.print_exc()
        os._exit(1)

    def list_imports(self) -> None:
        """In the child: the modules from outside the project, for the parent to preload."""
        time.sleep(LIST_AFTER_S)
        names = [n for n, m in list(sys.modules.items()) if m is not None and not self.target.is_project(n, m)]
        try:
            staging = f"{WARM_LIST}.{os.getpid()}"
            with open(staging, "w") as handle:
                handle.write("\n".join(names) + "\n")
            os.replace(staging, WARM_LIST)
        except OSError:
            pass

    def stop_child(self) -> None:
        """TERM the child's group, KILL it after the grace, reap the child."""
        if self.child is None:
            return
        try:
            os.killpg(self.child, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + GRACE_S
        while self.child is not None:
            if self.reap():  # it was the child: gone
                break
            left = deadline - time.monotonic()
            if left <= 0:
                try:
                    os.killpg(self.child, signal.SIGKILL)
                except OSError:
                    pass
                _, status = os.waitpid(self.child, 0)
                self.code = exit_code(status)
                self.child = None
                break
            # SIGCHLD is blocked (see run): wait for it rather than poll, so the new process is
            # forked the moment the old one is gone. Other signals stay pending for the loop.
            signal.sigtimedwait({signal.SIGCHLD}, min(left, 0.05))

    def reap(self) -> bool:
        """Collect exited processes (orphans too, when this is PID 1); True if it was the child."""
        gone = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return gone
            if pid == 0:
                return gone
            if pid == self.child:
                self.code = exit_code(status)
                self.child = None
                gone = True

    # --- preloading ---
    def preload(self) -> None:
        """Import what the last child listed (once per new list), in this parent."""
        try:
            listed_at = os.stat(WARM_LIST).st_mtime
        except OSError:
            return
        if not self.forking or listed_at == self.warmed_at:
            return
        self.warmed_at = listed_at
        with open(WARM_LIST) as handle:
            names = [line.strip() for line in handle if line.strip()]
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except BaseException:  # an import that only works inside the app: it imports it itself
                pass
        if threading.active_count() > 1:
            self.forking = False
            say("devenv-preload: an imported package started a thread; restarts start a fresh interpreter")

    # --- the loop ---
    def run(self) -> NoReturn:
        # Handlers, though the signals are taken by sigtimedwait: as PID 1 (no init), a signal
        # left at its default would be dropped before it could wait.
        for sig in SIGNALS:
            signal.signal(sig, lambda *_: None)
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        self.start_child()
        while True:
            info = signal.sigtimedwait(SIGNALS, 0.2)
            if info is None:
                self.preload()
                continue
            if info.si_signo == signal.SIGHUP:
                self.write_status("stopping")
                self.stop_child()
                self.start_child()
            elif info.si_signo in (signal.SIGTERM, signal.SIGINT):
                self.write_status("stopping")
                self.stop_child()
                self.write_status("exited")
                sys.exit(self.code if isinstance(self.code, int) else 0)
            else:
                pid = self.child
                if pid is not None and self.reap():
                    say(f"devenv-supervise: exited with code {self.code} (pid {pid}); waiting for a restart")
                    self.write_status("exited")
                elif pid is None:
                    self.reap()  # an orphan (this is PID 1)


def exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def main() -> None:
    target = Target(sys.argv[1:])
    # `python -m` puts the working folder first on the path, a script its own folder: as here.
    sys.path[0] = target.search_root
    orig = getattr(sys, "orig_argv", None)  # 3.10+: the interpreter's own options, as given
    if orig and os.path.basename(__file__) in [os.path.basename(a) for a in orig]:
        interpreter = orig[: [os.path.basename(a) for a in orig].index(os.path.basename(__file__))]
    else:
        interpreter = [sys.executable]
    Supervisor(target, interpreter).run()


if __name__ == "__main__":
    main()
