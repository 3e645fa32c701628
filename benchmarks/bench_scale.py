"""Scale benchmark: stacks of 2, 20 and 50 busybox services, each brought up cold, brought up
again (a no-op), asked for its status and brought down, by devenv, by the raw docker CLI doing
the same work and by docker-compose 1.29 on an equivalent compose file, in the same run (median
of N rounds; the order of the three peers turns each round).

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/bench_scale.py [--rounds 5] [--sizes 2,20,50]

The raw peer is what a person scripts: `docker network create`, then one `docker run -d --init`
per service, one after the other; `docker ps` for the no-op; `docker stop -t 1` and `docker rm`
of all of them in one call each, then `docker network rm`, for `down`. `raw_par` runs the same
`docker run`s all at once (`&` … `wait`), as a reference for what parallel creation can reach.
compose runs `up -d`, `up -d` again, `ps` and `down -t 1` (its default parallelism).

Targets (issue 22): cold up ≤ 0.7× raw at 20 and 50; no-op up ≤ 150 ms and status ≤ 150 ms
whole process at 50; down ≤ 1.0× raw at 50. Prints a table (services → ms per operation, the
cost per service, ratios) and a JSON line; exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

from installed import installed_devenv

COMPOSE = os.environ.get("DEVENV_COMPOSE_BIN", "/opt/devenv-compose/bin/docker-compose")
OPS = ("cold_up", "noop_up", "status", "down")
PEERS = ("devenv", "raw", "compose")


FAILED: list[str] = []  # a peer's command that failed (a loaded engine may refuse one): not timed


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> Optional[float]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        FAILED.append(f"{' '.join(cmd)[:80]}: {done.stderr.strip()[-200:]}")
        return None
    return time.perf_counter() - start


def sh(script: str, env: dict[str, str]) -> Optional[float]:
    return run(["bash", "-ec", script], Path.cwd(), env)


def services(count: int) -> list[str]:
    return [f"s{n:02d}" for n in range(count)]


def write_stack(root: Path, name: str, image: str, count: int) -> None:
    """The same stack twice: devenv.toml and docker-compose.yml. Every container runs with an
    init as PID 1 (devenv's default), so `sleep` stops at the first SIGTERM for all peers."""
    root.mkdir(parents=True)
    parts = [f'[project]\nname = "{name}"\n']
    compose = ['version: "3.8"', "services:"]
    for service in services(count):
        parts.append(f'[services.{service}]\nimage = "{image}"\ncommand = ["sleep", "100000"]\nsupervise = false\n')
        compose += [f"  {service}:", f"    image: {image}", '    command: ["sleep", "100000"]', "    init: true"]
    (root / "devenv.toml").write_text("\n".join(parts))
    (root / "docker-compose.yml").write_text("\n".join(compose) + "\n")


class Raw:
    """The raw docker CLI doing the same work, in shell one-liners."""

    def __init__(self, image: str, count: int) -> None:
        self.prefix = f"rs{uuid.uuid4().hex[:6]}"
        self.image = image
        self.names = " ".join(f"{self.prefix}-{s}" for s in services(count))

    def up(self, parallel: bool = False) -> str:
        runs = [
            f"docker run -d --init --name {name} --network {self.prefix} --label bench={self.prefix} "
            f"{self.image} sleep 100000 >/dev/null" + (" &" if parallel else ";")
            for name in self.names.split()
        ]
        return f"docker network create {self.prefix} >/dev/null; {' '.join(runs)}" + (" wait" if parallel else "")

    def ps(self) -> str:
        return f"docker ps -a --filter label=bench={self.prefix} >/dev/null"

    def force_down(self) -> str:
        return f"docker rm -f {self.names}; docker network rm {self.prefix}"

    def down(self) -> str:
        return (
            f"docker stop -t 1 {self.names} >/dev/null; docker rm {self.names} >/dev/null; "
            f"docker network rm {self.prefix} >/dev/null"
        )


def measure(count: int, rounds: int, image: str, devenv: list[str], env: dict[str, str], tmp: Path) -> dict[str, dict[str, float]]:
    root = tmp / f"s{count}"
    name = f"scale{count}x{uuid.uuid4().hex[:4]}"
    write_stack(root, name, image, count)
    denv = dict(env, DEVENV_STATE_DIR=str(tmp / "state"))
    cenv = dict(env, COMPOSE_PROJECT_NAME=name + "c")
    raw = Raw(image, count)
    have_compose = os.access(COMPOSE, os.X_OK)
    times: dict[str, list[float]] = {}

    def keep(peer: str, op: str, seconds: Optional[float]) -> None:
        if seconds is not None:
            times.setdefault(f"{peer}_{op}", []).append(seconds)

    def clean() -> None:  # after a failed command: the next cold up meets an empty engine
        subprocess.run([*devenv, "down"], cwd=root, env=denv, capture_output=True)
        subprocess.run(["bash", "-c", raw.force_down()], env=env, capture_output=True)
        if have_compose:
            subprocess.run([COMPOSE, "down", "-t", "1"], cwd=root, env=cenv, capture_output=True)

    def settle() -> None:  # each peer meets a settled engine, not one still wiring the last
        time.sleep(1.0)

    def devenv_round() -> None:
        keep("devenv", "cold_up", run([*devenv, "up", "-d"], root, denv))
        settle()
        for _ in range(3):  # short commands on a noisy machine: more samples
            keep("devenv", "noop_up", run([*devenv, "up", "-d"], root, denv))
            keep("devenv", "status", run([*devenv, "status"], root, denv))
        settle()
        keep("devenv", "down", run([*devenv, "down"], root, denv))

    def raw_round() -> None:
        keep("raw", "cold_up", sh(raw.up(), env))
        settle()
        for _ in range(3):
            keep("raw", "noop_up", sh(raw.ps(), env))  # what a script does to see it is all up
        settle()
        keep("raw", "down", sh(raw.down(), env))
        settle()
        keep("raw_par", "cold_up", sh(raw.up(parallel=True), env))
        settle()
        sh(raw.down(), env)

    def compose_round() -> None:
        keep("compose", "cold_up", run([COMPOSE, "up", "-d"], root, cenv))
        settle()
        for _ in range(3):
            keep("compose", "noop_up", run([COMPOSE, "up", "-d"], root, cenv))
            keep("compose", "status", run([COMPOSE, "ps"], root, cenv))
        settle()
        keep("compose", "down", run([COMPOSE, "down", "-t", "1"], root, cenv))

    order = [devenv_round, raw_round, *([compose_round] if have_compose else [])]
    try:
        for r in range(rounds):
            turned = order[r % len(order) :] + order[: r % len(order)]
            for one in turned:
                failed = len(FAILED)
                one()
                if len(FAILED) > failed:
                    clean()
                settle()
    finally:  # an interrupted run leaves nothing behind
        clean()
    return {key: {"ms": round(statistics.median(v) * 1000, 1), "n": len(v)} for key, v in times.items()}


def table(results: dict[int, dict[str, dict[str, float]]]) -> list[str]:
    sizes = sorted(results)
    lines = [f"{'operation':<18}" + "".join(f"{f'{n} svc ms':>12}" for n in sizes) + f"{'ms/svc':>9}"]
    order = [f"{peer}_{op}" for op in OPS for peer in ("devenv", "raw", "raw_par", "compose")]
    keys = [k for k in order if any(k in r for r in results.values())]
    for key in keys:
        row = [results[n].get(key, {}).get("ms") for n in sizes]
        low, high = row[0], row[-1]  # the cost of each service more, from the smallest stack to the largest
        per = (high - low) / (sizes[-1] - sizes[0]) if low is not None and high is not None and len(sizes) > 1 else None
        lines.append(
            f"{key:<18}" + "".join(f"{v:>12.1f}" if v is not None else f"{'-':>12}" for v in row)
            + (f"{per:>9.1f}" if per is not None else f"{'-':>9}")
        )
    lines.append("ratios (devenv ÷ peer)")
    for op in OPS:
        for peer in ("raw", "raw_par", "compose"):
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="2,20,50")
    args = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    image = f"{registry}/busybox:test"
    env = dict(os.environ, NO_COLOR="1")
    subprocess.run(["docker", "pull", "-q", image], check=True, stdout=subprocess.DEVNULL)
    devenv, _python, installed = installed_devenv()
    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (int(s) for s in args.sizes.split(",")):
            results[count] = measure(count, args.rounds, image, devenv, env, Path(tmp))
    load = os.getloadavg()[0]
    print(f"devenv: {installed}; engine at {os.environ.get('DOCKER_HOST', 'the default socket')}; "
          f"rounds: {args.rounds}; cores: {os.cpu_count()}; load at the end: {load:.1f}")
    print("\n".join(table(results)))
    doc = {"bench": "scale", "devenv": installed, "rounds": args.rounds, "load": round(load, 1),
           "median_ms": {str(n): {k: v["ms"] for k, v in r.items()} for n, r in results.items()}}
    for failure in FAILED:
        print(f"failed (not timed): {failure}")
    doc["failed"] = len(FAILED)
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
