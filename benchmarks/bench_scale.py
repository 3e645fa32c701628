"""Scale benchmark: a team-sized stack of 2, 20 and 50 services — Python HTTP servers with health
checks and busybox workers, in `depends_on` chains of depth 3 — brought up cold to all healthy,
brought up again (a no-op), asked for its status, changed in one service and served again, and
brought down, by devenv, by the raw docker CLI doing the same work and by docker-compose 1.29 on
an equivalent compose file, in the same run (median of N rounds; the order of the peers turns
each round).

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/bench_scale.py [--rounds 5] [--sizes 2,20,50]

The stack: service i is link i % 3 of chain i // 3. Link 0 (`python3 -m http.server`, the
catalog's Python image) and link 1 (the same, depending on link 0 being healthy) answer HTTP,
with the same health check for every peer (a GET over bash's /dev/tcp: a real request, without
a Python start every interval); link 2 is a busybox worker depending on link 1 being healthy.
Every container runs with an init as PID 1 (devenv's default), so SIGTERM ends it at once.

The peers, doing the same work:
- devenv: `up -d` (waits for health itself), `up -d`, `status`, `down`.
- raw: what a person scripts: per dependency level, one `docker run -d --init --health-*` after
  the other, then `docker inspect` of that level's containers every 100 ms until all are
  healthy, then the next level; `docker ps` for the no-op; `docker stop -t 1` and `docker rm` of
  all in one call each, then `docker network rm` (asked again while Docker still releases the
  endpoints, as devenv does), for `down`. `raw_par` runs a level's `docker
  run`s all at once (`&` … `wait`), a reference for what parallel creation can reach.
- compose: `up -d` (`depends_on: condition: service_healthy`, which 1.29 honours; it has no
  `--wait`), `up -d`, `ps`, `down -t 1`.
Each peer's `up` (and its one-service change) is followed by the same check, timed with it: one
`docker ps` of its containers until every one with a health check is healthy and every other
runs — "to all healthy", whatever the peer itself waited for.

The one-service change: link 0 of chain 0 gets a new environment value. devenv recreates it
alone; compose 1.29 recreates it and what depends on it; raw: `docker rm -f` + `docker run` of
that one, then its health. Timed to all healthy again.

floor: the same interpreter devenv runs on, starting and importing click (`python -c "import
click"`), timed beside each no-op `up` and `status`: what any click CLI pays on this machine
under the same load, before it does anything.

at rest: the largest stack again, its health checks every 30 s (Docker's and Compose's default)
rather than the rounds' every second (34 checks a second at 50 keep two cores busy on their own),
brought up untimed, the load average let fall below the number of cores, then no-op `up` and
`status` timed beside the floor and the raw CLI's `docker ps` of the same containers
(`--steady-rounds`, median; `--rounds 0` runs only this part).

Targets (issue 22): cold up ≤ 0.7× raw at 20 and 50; no-op up ≤ 150 ms and status ≤ 150 ms
whole process at 50; down ≤ 1.0× raw at 50. Prints a table (services → ms per operation, the
cost per service, ratios), the client CPU time and the load average beside them, and a JSON
line; exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from installed import installed_devenv

COMPOSE = os.environ.get("DEVENV_COMPOSE_BIN", "/opt/devenv-compose/bin/docker-compose")
OPS = ("cold_up", "noop_up", "status", "change", "down")
PEERS = ("devenv", "raw", "raw_par", "compose", "floor")
PORT = 8000
# One string, run by /bin/sh in the container for every peer (CMD-SHELL).
HEALTH = (
    f"bash -c 'exec 3<>/dev/tcp/127.0.0.1/{PORT} && printf \"GET / HTTP/1.0\\n\\n\" >&3 && grep -q \"200 OK\" <&3'"
)
# Every second: 34 checks a second at 50 services already keep a 2-core machine busy.
INTERVAL, TIMEOUT, RETRIES = "1s", "5s", 60
STEADY_INTERVAL = "30s"  # Docker's and Compose's default: a stack at rest (see `steady`)

FAILED: list[str] = []  # a peer's command that failed (a loaded engine may refuse one): not timed


class Service(NamedTuple):
    name: str
    image: str
    command: list[str]
    health: bool
    depends_on: Optional[str]
    level: int


def stack(count: int, python: str, busybox: str) -> list[Service]:
    out = []
    for i in range(count):
        link, name = i % 3, f"s{i:02d}"
        dep = f"s{i - 1:02d}" if link else None
        if link < 2:
            out.append(Service(name, python, ["python3", "-m", "http.server", str(PORT)], True, dep, link))
        else:
            out.append(Service(name, busybox, ["sleep", "100000"], False, dep, link))
    return out


def health_toml(interval: str = INTERVAL) -> str:
    timing = f'interval = "{interval}", timeout = "{TIMEOUT}", retries = {RETRIES}'
    return f"health = {{ cmd = {json.dumps(HEALTH)}, {timing} }}\n"  # a JSON string is a TOML one


def write_stack(root: Path, name: str, services: list[Service], value: str, interval: str = INTERVAL) -> None:
    """The same stack twice: devenv.toml and docker-compose.yml. `value`: link 0 of chain 0's
    environment value (the one-service change); `interval`: how often the health checks run."""
    root.mkdir(parents=True, exist_ok=True)
    parts = [f'[project]\nname = "{name}"\n']
    compose = ['version: "2.4"', "services:"]
    for s in services:
        env = value if s.name == "s00" else "0"
        parts.append(
            f'[services.{s.name}]\nimage = "{s.image}"\ncommand = {json.dumps(s.command)}\nsupervise = false\n'
            f'environment = {{ CHANGE = "{env}" }}\n'
            + (f'depends_on = ["{s.depends_on}"]\n' if s.depends_on else "")
            + (health_toml(interval) if s.health else "")
        )
        compose += [f"  {s.name}:", f"    image: {s.image}", f"    command: {json.dumps(s.command)}", "    init: true"]
        compose += ["    environment:", f'      CHANGE: "{env}"']
        if s.depends_on:
            compose += ["    depends_on:", f"      {s.depends_on}:", "        condition: service_healthy"]
        if s.health:
            compose += [
                "    healthcheck:",
                f"      test: {json.dumps(HEALTH)}",
                f"      interval: {interval}",
                f"      timeout: {TIMEOUT}",
                f"      retries: {RETRIES}",
            ]
    (root / "devenv.toml").write_text("\n".join(parts))
    (root / "docker-compose.yml").write_text("\n".join(compose) + "\n")


class Raw:
    """The raw docker CLI doing the same work, in shell."""

    def __init__(self, services: list[Service]) -> None:
        self.prefix = f"rs{uuid.uuid4().hex[:6]}"
        self.services = services
        self.names = " ".join(self.name(s) for s in services)

    def name(self, s: Service) -> str:
        return f"{self.prefix}-{s.name}"

    def run(self, s: Service, value: str) -> str:
        health = (
            f"--health-cmd {shlex.quote(HEALTH)} --health-interval {INTERVAL} --health-timeout {TIMEOUT} "
            f"--health-retries {RETRIES} "
            if s.health
            else ""
        )
        env = value if s.name == "s00" else "0"
        return (
            f"docker run -d --init --name {self.name(s)} --network {self.prefix} --label bench={self.prefix} "
            f"-e CHANGE={env} {health}{s.image} {' '.join(shlex.quote(c) for c in s.command)} >/dev/null"
        )

    def wait_healthy(self, level: list[Service]) -> str:
        names = " ".join(self.name(s) for s in level if s.health)
        if not names:
            return ""
        probe = f"docker inspect -f '{{{{.State.Health.Status}}}}' {names}"
        return f"while {probe} | grep -qv '^healthy$'; do sleep 0.1; done; "

    def up(self, parallel: bool = False) -> str:
        script = f"docker network create {self.prefix} >/dev/null; "
        for level in range(3):
            these = [s for s in self.services if s.level == level]
            if parallel:
                script += " ".join(self.run(s, "0") + " &" for s in these) + " wait; "
            else:
                script += " ".join(self.run(s, "0") + ";" for s in these) + " "
            script += self.wait_healthy(these)
        return script

    def change(self, value: str) -> str:
        first = self.services[0]
        return f"docker rm -f {self.name(first)} >/dev/null; {self.run(first, value)}; {self.wait_healthy([first])}"

    def ps(self) -> str:
        return f"docker ps -a --filter label=bench={self.prefix} >/dev/null"

    def network_rm(self) -> str:
        """`docker network rm`, asked again while Docker still releases the endpoints of the
        containers just removed ("has active endpoints", for a moment after `docker rm`
        answers), as devenv's `down` does and as a script must: else the network stays, and
        every later `docker network create` of the name fails. 10 s at most."""
        return (
            f"n=0; until docker network rm {self.prefix} >/dev/null 2>&1; do "
            f"n=$((n+1)); if [ $n -ge 100 ]; then docker network rm {self.prefix} >/dev/null && break; exit 1; fi; "
            "sleep 0.1; done"
        )

    def force_down(self) -> str:
        return f"docker rm -f {self.names}; if docker network inspect {self.prefix} >/dev/null 2>&1; then {self.network_rm()}; fi"

    def down(self) -> str:
        return f"docker stop -t 1 {self.names} >/dev/null; docker rm {self.names} >/dev/null; {self.network_rm()}"


def all_healthy(name_filter: str, count: int, health_count: int) -> str:
    """The check after every `up`, the same for all peers: one `docker ps` of the stack's
    containers every 100 ms until `count` run and `health_count` of them are healthy."""
    ps = f"docker ps --filter name={name_filter} --format '{{{{.Status}}}}'"
    return (
        f"for _ in $(seq 1200); do s=$({ps}); "
        f"[ \"$(printf '%s\\n' \"$s\" | grep -c '^Up')\" -ge {count} ] && "
        f"[ \"$(printf '%s\\n' \"$s\" | grep -c '(healthy)')\" -ge {health_count} ] && exit 0; sleep 0.1; done; exit 1"
    )


class Timed(NamedTuple):
    wall: float
    cpu: float  # user + system seconds of the commands (client side: the CLI, devenv, compose)
    load: float


def run(cmd: list[str], cwd: Path, env: dict[str, str], then: str = "") -> Optional[Timed]:
    """`cmd`, then the shell check `then`, timed together."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode == 0 and then and subprocess.run(["bash", "-c", then], env=env).returncode != 0:
        done = subprocess.CompletedProcess(cmd, 1, stderr="never all healthy (2 minutes)")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        FAILED.append(f"{' '.join(cmd)[:80]}: {done.stderr.strip()[-200:]}")
        return None
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, os.getloadavg()[0])


def sh(script: str, env: dict[str, str], then: str = "") -> Optional[Timed]:
    return run(["bash", "-ec", script], Path.cwd(), env, then)


class Bench(NamedTuple):
    """What every part of the run shares: the images, devenv's command, the environment, the
    temporary folder and devenv's interpreter (the floor's)."""

    images: tuple[str, str]
    devenv: list[str]
    env: dict[str, str]
    tmp: Path
    python: str


def add_timed(times: dict[str, list[Timed]], key: str, timed: Optional[Timed]) -> None:
    """One more sample of `key`; a command that failed (None) is not one."""
    if timed is not None:
        times.setdefault(key, []).append(timed)


def medians(times: dict[str, list[Timed]]) -> dict[str, dict[str, float]]:
    return {
        key: {
            "ms": round(statistics.median(t.wall for t in v) * 1000, 1),
            "cpu_ms": round(statistics.median(t.cpu for t in v) * 1000, 1),
            "load": round(statistics.median(t.load for t in v), 1),
            "n": len(v),
        }
        for key, v in times.items()
    }


def staged(
    bench: Bench, count: int, label: str, interval: str
) -> tuple[Path, str, list[Service], int, dict[str, str]]:
    """A stack of `count` written to a folder of its own: its folder, project name, services,
    how many of them have a health check, and devenv's environment."""
    root = bench.tmp / f"{label}{count}"
    name = f"{label}{count}x{uuid.uuid4().hex[:4]}"
    services = stack(count, *bench.images)
    write_stack(root, name, services, "0", interval=interval)
    healthy = sum(1 for s in services if s.health)
    return root, name, services, healthy, dict(bench.env, DEVENV_STATE_DIR=str(bench.tmp / "state"))


def measure(count: int, rounds: int, bench: Bench) -> dict[str, dict[str, float]]:
    devenv, env, python = bench.devenv, bench.env, bench.python
    root, name, services, healthy, denv = staged(bench, count, "scale", INTERVAL)
    cenv = dict(env, COMPOSE_PROJECT_NAME=name + "c")
    raw = Raw(services)
    have_compose = os.access(COMPOSE, os.X_OK)
    times: dict[str, list[Timed]] = {}
    # Names of each peer's containers, for the all-healthy check (devenv: `<project>-<instance>-…`).
    check = {
        "devenv": all_healthy(f"^{name}-", count, healthy),
        "raw": all_healthy(f"^{raw.prefix}-", count, healthy),
        "compose": all_healthy(f"^{name}c_", count, healthy),
    }
    changes = iter(range(1, 1_000_000))
    repeats = 3 if count < 20 else 1  # compose's no-op `up` of 50 takes tens of seconds under load

    def keep(peer: str, op: str, timed: Optional[Timed]) -> None:
        add_timed(times, f"{peer}_{op}", timed)

    def clean() -> None:  # after a failed command: the next cold up meets an empty engine
        subprocess.run([*devenv, "down"], cwd=root, env=denv, capture_output=True)
        subprocess.run(["bash", "-c", raw.force_down()], env=env, capture_output=True)
        if have_compose:
            subprocess.run([COMPOSE, "down", "-t", "1"], cwd=root, env=cenv, capture_output=True)
        write_stack(root, name, services, "0")

    def settle() -> None:  # each peer meets a settled engine, not one still wiring the last
        time.sleep(1.0)

    def change() -> None:  # the next value for link 0 of chain 0, in both files
        write_stack(root, name, services, str(next(changes)))

    def devenv_round() -> None:
        keep("devenv", "cold_up", run([*devenv, "up", "-d"], root, denv, check["devenv"]))
        settle()
        for _ in range(repeats):  # short commands on a noisy machine: more samples
            keep("devenv", "noop_up", run([*devenv, "up", "-d"], root, denv))
            keep("devenv", "status", run([*devenv, "status"], root, denv))
            # The floor of any click CLI on this interpreter, under the same load: start, import click.
            floor = run([python, "-c", "import click"], root, denv)
            keep("floor", "noop_up", floor)
            keep("floor", "status", floor)
        settle()
        change()
        keep("devenv", "change", run([*devenv, "up", "-d"], root, denv, check["devenv"]))
        settle()
        keep("devenv", "down", run([*devenv, "down"], root, denv))
        write_stack(root, name, services, "0")

    def raw_round() -> None:
        keep("raw", "cold_up", sh(raw.up(), env, check["raw"]))
        settle()
        for _ in range(repeats):
            keep("raw", "noop_up", sh(raw.ps(), env))  # what a script does to see it is all up
        settle()
        keep("raw", "change", sh(raw.change(str(next(changes))), env, check["raw"]))
        settle()
        keep("raw", "down", sh(raw.down(), env))
        settle()
        keep("raw_par", "cold_up", sh(raw.up(parallel=True), env, check["raw"]))
        settle()
        sh(raw.down(), env)

    def compose_round() -> None:
        keep("compose", "cold_up", run([COMPOSE, "up", "-d"], root, cenv, check["compose"]))
        settle()
        for _ in range(repeats):
            keep("compose", "noop_up", run([COMPOSE, "up", "-d"], root, cenv))
            keep("compose", "status", run([COMPOSE, "ps"], root, cenv))
        settle()
        change()
        keep("compose", "change", run([COMPOSE, "up", "-d"], root, cenv, check["compose"]))
        settle()
        keep("compose", "down", run([COMPOSE, "down", "-t", "1"], root, cenv))
        write_stack(root, name, services, "0")

    order: list[Callable[[], None]] = [devenv_round, raw_round, *([compose_round] if have_compose else [])]
    try:
        for r in range(rounds):
            turned = order[r % len(order) :] + order[: r % len(order)]
            for one in turned:
                failed = len(FAILED)
                one()
                if len(FAILED) > failed:
                    clean()
                settle()
            so_far = {key: round(statistics.median(t.wall for t in v) * 1000) for key, v in times.items()}
            print(f"{count} services, after round {r + 1}: {json.dumps(so_far)}", file=sys.stderr, flush=True)
    finally:  # an interrupted run leaves nothing behind
        clean()
    return medians(times)


def settled(below: float, patience_s: float = 180.0) -> None:
    """Wait until the 1-minute load average is under `below` (the rounds before, or the stack's
    own start, still count in it for a while), at most `patience_s`."""
    deadline = time.monotonic() + patience_s
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(2.0)


def steady(count: int, rounds: int, bench: Bench) -> dict[str, dict[str, float]]:
    """No-op `up` and `status` of a stack of `count` at rest: its health checks every 30 s
    (Docker's and Compose's default), as a team's stack runs, rather than the 1 s the cold-up
    rounds need to see health at once, which keep two cores busy with checks alone. Beside each:
    the floor and the raw CLI's `docker ps` of the same containers. The stack's own cold `up`
    (one check interval per dependency level) is not timed."""
    devenv, env, python = bench.devenv, bench.env, bench.python
    root, name, _, healthy, denv = staged(bench, count, "steady", STEADY_INTERVAL)
    times: dict[str, list[Timed]] = {}
    try:
        if run([*devenv, "up", "-d"], root, denv, all_healthy(f"^{name}-", count, healthy)) is None:
            return {}
        settled(os.cpu_count() or 1)
        for _ in range(rounds):
            add_timed(times, "devenv_noop_up", run([*devenv, "up", "-d"], root, denv))
            add_timed(times, "devenv_status", run([*devenv, "status"], root, denv))
            add_timed(times, "floor", run([python, "-c", "import click"], root, denv))
            add_timed(times, "raw_ps", sh(f"docker ps -a --filter name=^{name}- >/dev/null", env))
    finally:
        subprocess.run([*devenv, "down"], cwd=root, env=denv, capture_output=True)
    return medians(times)


def table(results: dict[int, dict[str, dict[str, float]]]) -> list[str]:
    sizes = sorted(results)
    head = "".join(f"{f'{n} svc ms':>12}" for n in sizes)
    lines = [f"{'operation':<18}{head}{'ms/svc':>9}   client CPU ms / load at {sizes[-1]}"]
    order = [f"{peer}_{op}" for op in OPS for peer in PEERS]
    keys = [k for k in order if any(k in r for r in results.values())]
    for key in keys:
        row = [results[n].get(key, {}).get("ms") for n in sizes]
        low, high = row[0], row[-1]  # the cost of each service more, from the smallest stack to the largest
        per = (high - low) / (sizes[-1] - sizes[0]) if low is not None and high is not None and len(sizes) > 1 else None
        last = results[sizes[-1]].get(key, {})
        lines.append(
            f"{key:<18}"
            + "".join(f"{v:>12.1f}" if v is not None else f"{'-':>12}" for v in row)
            + (f"{per:>9.1f}" if per is not None else f"{'-':>9}")
            + (f"   {last['cpu_ms']:>7.0f} / {last['load']:.1f}" if last else "")
        )
    lines.append("ratios (devenv ÷ peer)")
    for op in OPS:
        for peer in PEERS[1:]:
            cells = []
            for n in sizes:
                mine, theirs = results[n].get(f"devenv_{op}"), results[n].get(f"{peer}_{op}")
                cells.append(mine["ms"] / theirs["ms"] if mine and theirs else None)
            if any(c is not None for c in cells):
                lines.append(
                    f"{op + ' vs ' + peer:<18}"
                    + "".join(f"{c:>11.2f}x" if c is not None else f"{'-':>12}" for c in cells)
                )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="cold-up rounds per size (0: only the stack at rest)")
    parser.add_argument("--sizes", default="2,20,50")
    parser.add_argument(
        "--steady-rounds", type=int, default=11, help="no-op up/status of the largest stack at rest (0: skip)"
    )
    args = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    python, busybox = f"{registry}/python:latest", f"{registry}/busybox:test"
    env = dict(os.environ, NO_COLOR="1")
    for image in (python, busybox):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0:
            pulled = subprocess.run(["docker", "pull", "-q", image], capture_output=True, text=True)
            if pulled.returncode != 0:
                print(f"error: {image} is missing: build the catalog first (`devenv images build python --push`)")
                return 2
    devenv, python_bin, installed = installed_devenv()
    results: dict[int, dict[str, dict[str, float]]] = {}
    start_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench((python, busybox), devenv, env, Path(tmp), python_bin)
        sizes = [int(s) for s in args.sizes.split(",")]
        for count in sizes if args.rounds else []:
            results[count] = measure(count, args.rounds, bench)
        largest = max(sizes)
        at_rest = steady(largest, args.steady_rounds, bench) if args.steady_rounds else {}
    load = os.getloadavg()[0]
    print(
        f"devenv: {installed}; engine at {os.environ.get('DOCKER_HOST', 'the default socket')}; "
        f"rounds: {args.rounds}; cores: {os.cpu_count()}; load average at the start {start_load:.1f}, "
        f"at the end {load:.1f}"
    )
    if results:
        print("\n".join(table(results)))
    if at_rest:
        print(
            f"at rest ({largest} services, health checks every {STEADY_INTERVAL}, median of {args.steady_rounds}): "
            + ", ".join(f"{key} {v['ms']:.1f} ms (CPU {v['cpu_ms']:.0f}, load {v['load']:.1f})" for key, v in at_rest.items())
        )
    doc = {
        "bench": "scale",
        "devenv": installed,
        "rounds": args.rounds,
        "load": round(load, 1),
        "median_ms": {str(n): {k: v["ms"] for k, v in r.items()} for n, r in results.items()},
        "client_cpu_ms": {str(n): {k: v["cpu_ms"] for k, v in r.items()} for n, r in results.items()},
        "load_at": {str(n): {k: v["load"] for k, v in r.items()} for n, r in results.items()},
    }
    doc["at_rest"] = {"services": largest, "interval": STEADY_INTERVAL, "median_ms": {k: v["ms"] for k, v in at_rest.items()}}
    for failure in FAILED:
        print(f"failed (not timed): {failure}")
    doc["failed"] = len(FAILED)
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
