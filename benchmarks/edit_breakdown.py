"""Edit → served on a running examples/shop, stage by stage, against `docker restart` of the
same container in the same run (rounds alternate: a save with the settle window, a save with
the quiet window only — the watcher as it was before the settle — and a `docker restart`). Used by bench_shop.py (`--edit-only` runs
just this).

The watcher runs in this process (devenv.ops.watch, as `devenv watch` runs it), so each stage
is timed where it happens, on one clock (the host's; the container shares its kernel):

  event     the first file event of the save reaches the watcher
  decision  the batch is due (settle or quiet window over) and the action starts
  signal    the SIGHUP is sent to the supervisor (the engine's kill call returns)
  fork      the supervisor forked the new process (its status file's mtime, read after)
  ready     the app logs that it listens (the log line's engine timestamp)
  served    GET / answers with the new text (polled every 5 ms)

Every stage is reported as ms since the save, median of the rounds.
"""

from __future__ import annotations

import datetime
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

STAGES = ("event", "decision", "signal", "fork", "ready", "served")


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return str(answer.read().decode())
    except Exception:  # refused, reset, cut off while the app restarts
        return ""


def _until(url: str, text: str, timeout: float = 60.0) -> float:
    start = time.time()
    while text not in _fetch(url):
        if time.time() - start > timeout:
            raise RuntimeError(f"{url} did not serve {text!r} within {timeout} s")
        time.sleep(0.005)
    return time.time()


def _log_times(client: Any, container: str, since: float, marker: str) -> list[float]:
    """Engine timestamps of the container's log lines containing `marker`, after `since`."""
    raw = client.api.logs(container, timestamps=True, since=int(since), stdout=True, stderr=True)
    times = []
    for line in raw.decode(errors="replace").splitlines():
        stamp, _, text = line.partition(" ")
        if marker in text:
            when = datetime.datetime.strptime(stamp[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc
            )
            times.append(when.timestamp())
    return [t for t in times if t >= since]


def measure(
    root: Path, instance: str, client: Any, rounds: int, set_text: Callable[[str], None], url: str
) -> dict[str, Any]:
    """Alternate `rounds` devenv saves and `rounds` docker restarts; medians per stage."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from devenv.config.load import load_project
    from devenv.engine.connect import connect
    from devenv.ops.watch import watch
    from devenv.watch import debounce, loop

    project = load_project(root, explicit=True)
    engine = connect()
    marks: dict[str, float] = {}
    paused = threading.Event()
    settle = {"s": loop.SETTLE_MS / 1000.0}  # None: the quiet window only (as before the settle)
    add, act, kill = debounce.Debouncer.add, loop.WatchLoop._act, engine.kill

    def add_traced(self: Any, path: str, created: bool = False) -> None:
        if paused.is_set():
            return  # the docker rounds: the watcher sits them out
        marks.setdefault("event", time.time())
        self.settle_s = settle["s"]
        add(self, path, created)

    def act_traced(self: Any, w: Any, batch: frozenset[str]) -> None:
        marks.setdefault("decision", time.time())
        act(self, w, batch)

    def kill_traced(container: str, signal: str, **how: Any) -> None:
        kill(container, signal, **how)
        marks.setdefault("signal", time.time())

    debounce.Debouncer.add = add_traced  # type: ignore[method-assign]
    loop.WatchLoop._act = act_traced  # type: ignore[method-assign]
    engine.kill = kill_traced  # type: ignore[method-assign]

    class Quiet:
        reloads = 0

        def reloaded(self, service: str, ms: float, files: Any, action: Any) -> None:
            Quiet.reloads += 1

        def failed(self, service: str, message: str, last_logs: list[str]) -> None:
            print(f"reload failed: {message}", file=sys.stderr)

        def note(self, message: str) -> None:
            pass

        def log(self, service: str, line: str) -> None:
            pass

    ready = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(project, instance, ["web"], Quiet()),
        kwargs={"started": lambda _: ready.set(), "engine": engine},
        daemon=True,
    )
    thread.start()
    ready.wait(60)
    web = engine.containers([f"dev.devenv.project={project.name}", "dev.devenv.service=web"])
    container = next(c.id for c in web if c.instance == instance)

    def status_mtime() -> float:
        out = subprocess.run(
            ["docker", "exec", container, "stat", "-c", "%.9Y", "/tmp/.devenv-supervise"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return float(out.stdout.strip())

    def save(counted: Optional[list[dict[str, float]]]) -> None:
        marks.clear()
        text = f"devenv edit {uuid.uuid4().hex[:8]}"
        start = time.time()
        set_text(text)
        served = _until(url, text)
        time.sleep(0.3)  # the restart's own wait (exec of restart.sh) ends
        fork = status_mtime()
        listens = [t for t in _log_times(client, container, start - 1, "Running on") if t >= fork]
        row = {k: (v - start) * 1000 for k, v in marks.items()}
        row.update(fork=(fork - start) * 1000, served=(served - start) * 1000)
        if listens:
            row["ready"] = (listens[0] - start) * 1000
        if counted is not None:
            counted.append(row)

    devenv_rounds: list[dict[str, float]] = []
    quiet_rounds: list[dict[str, float]] = []
    docker_ms: list[float] = []
    try:
        for _ in range(rounds):
            # Uncounted: after the docker round the supervisor is a new one, as after any
            # container restart; a user's saves follow saves.
            settle["s"] = loop.SETTLE_MS / 1000.0
            save(None)
            save(devenv_rounds)
            settle["s"] = None
            save(quiet_rounds)
            paused.set()
            text = f"docker edit {uuid.uuid4().hex[:8]}"
            set_text(text)
            start = time.time()
            subprocess.run(["docker", "restart", "-t", "0", container], check=True, capture_output=True)
            docker_ms.append((_until(url, text) - start) * 1000)
            time.sleep(2.5)  # the fresh supervisor lists and preloads the app's packages again
            paused.clear()
    finally:
        debounce.Debouncer.add, loop.WatchLoop._act = add, act  # type: ignore[method-assign]
    def medians(rows: list[dict[str, float]]) -> dict[str, float]:
        return {s: round(statistics.median(r[s] for r in rows if s in r), 1) for s in STAGES
                if any(s in r for r in rows)}  # fmt: skip

    stages, quiet = medians(devenv_rounds), medians(quiet_rounds)
    return {
        "rounds": rounds,
        "devenv_edit_served_ms": stages.get("served"),
        "quiet_window_only_served_ms": quiet.get("served"),
        "docker_restart_served_ms": round(statistics.median(docker_ms), 1),
        "stages_ms_since_save": stages,
        "quiet_window_only_stages_ms": quiet,
        "reloads": Quiet.reloads,
        "per_round": devenv_rounds,
    }


def cpu_idle_percent(seconds: float = 10.0) -> Optional[float]:
    """This process's CPU while the watcher idles (its thread waits on events): % of one core."""
    start, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return round(100 * (time.process_time() - start) / (time.monotonic() - wall), 2)
