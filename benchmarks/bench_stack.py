"""Stack benchmark: cold `up` of a 2-service stack, no-op `up`, and `down`, each against the raw
docker CLI sequence doing the same work, in the same run (median of N rounds, alternating peers;
`down` in three back-to-back pairs a round, the first of each pair alternating).
Also `devenv --help` and, when installed, docker-compose 1.29 as a second peer.

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python benchmarks/bench_stack.py [--rounds 7]

On Podman (DOCKER_HOST at its socket) the raw and compose peers ask for the limits devenv asks
for where the engine may not raise its own (`devenv/engine/podman.py`), or they could not start.

Targets: cold up ≤ 1.2× the raw sequential floor; no-op up ≤ 150 ms whole process; down ≤ 1.15×
the raw sequence doing the same work (stop with the service's timeout, remove, network rm; `docker
rm -f`, which kills at once, is shown beside it); down of containers whose PID 1 ignores SIGTERM
must not wait out docker's 10 s default; `devenv --help` ≤ 100 ms. Prints a table and a JSON line; exits 0 (a report, not a gate).

devenv runs as its users install it: from a virtual environment of its own (`installed.py`),
next to that interpreter's bare start (`python_startup`) and this one's (`host_python_startup`).
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

from installed import installed_devenv

DOWN_PAIRS = 3  # per round
COMPOSE = os.environ.get("DEVENV_COMPOSE_BIN", "/opt/devenv-compose/bin/docker-compose")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def sh(script: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-ec", script], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def engine_name(env: dict[str, str]) -> str:
    """"Podman" or "Docker", as devenv names the engine (its /version components)."""
    out = subprocess.run(["docker", "version", "--format", "{{json .Server.Components}}"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return "Podman" if any(str(c.get("Name", "")).startswith("Podman") for c in json.loads(out) or []) else "Docker"


def peer_ulimits(engine: str) -> list[tuple[str, int, int]]:
    """The limits devenv sends this engine; the peers must send the same to start at all."""
    if engine != "Podman":
        return []
    from devenv.engine.host import engine_host  # this checkout (PYTHONPATH) or the installed one
    from devenv.engine.podman import engine_ulimits

    return [(u.name, u.soft, u.hard) for u in engine_ulimits(engine_host())]


def write_project(root: Path, name: str, image: str, ulimits: list[tuple[str, int, int]]) -> None:
    # PID 1 `sleep` ignores SIGTERM unless something forwards it: the down benchmark shows
    # devenv does not wait out a 10 s default.
    (root / "devenv.toml").write_text(f"""
[project]
name = "{name}"

[services.web]
image = "{image}"
command = ["sleep", "100000"]
supervise = false

[services.worker]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
""")
    limits = "".join(f"      {n}: {{soft: {soft}, hard: {hard}}}\n" for n, soft, hard in ulimits)
    limits = f"    ulimits:\n{limits}" if limits else ""
    (root / "docker-compose.yml").write_text(f"""
version: "3.8"
services:
  web:
    image: {image}
    command: ["sleep", "100000"]
{limits}  worker:
    image: {image}
    command: ["sleep", "100000"]
{limits}""")


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    image = f"{registry}/busybox:test"
    env = dict(os.environ, NO_COLOR="1")
    subprocess.run(["docker", "pull", "-q", image], check=True, stdout=subprocess.DEVNULL)
    engine = engine_name(env)
    ulimits = peer_ulimits(engine)
    run_limits = "".join(f" --ulimit {n}={soft}:{hard}" for n, soft, hard in ulimits)
    have_compose = os.access(COMPOSE, os.X_OK)
    devenv, python, installed = installed_devenv()
    results: dict[str, list[float]] = {k: [] for k in (
        "raw_cold_up", "devenv_cold_up", "compose_cold_up", "devenv_noop_up", "compose_noop_up",
        "raw_noop_ps", "raw_down", "raw_rm_f", "devenv_down", "compose_down", "devenv_help", "python_startup",
        "host_python_startup", "docker_py_import")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        name = "bench" + uuid.uuid4().hex[:6]
        write_project(root, name, image, ulimits)
        env["DEVENV_STATE_DIR"] = str(root / "state")
        raw = f"rb{uuid.uuid4().hex[:6]}"
        for _ in range(args.rounds):
            # raw docker CLI: network + 2 × run -d (sequential, as a person would type them), with
            # docker's init as PID 1 as devenv creates them
            raw_up = (
                f"docker network create {raw} >/dev/null; "
                f"docker run -d --init{run_limits} --name {raw}-web --network {raw} {image} sleep 100000 >/dev/null; "
                f"docker run -d --init{run_limits} --name {raw}-worker --network {raw} {image} sleep 100000 >/dev/null")
            # the same work as `devenv down`: stop with the service's timeout (the image's
            # STOPSIGNAL, SIGKILL after 1 s), remove, remove the network
            raw_down = (
                f"docker stop -t 1 {raw}-web {raw}-worker >/dev/null; docker rm {raw}-web {raw}-worker >/dev/null; "
                f"docker network rm {raw} >/dev/null")
            results["raw_cold_up"].append(sh(raw_up, env))
            results["raw_noop_ps"].append(sh(f"docker ps -q --filter name={raw} >/dev/null", env))
            sh(raw_down, env)  # each cold up meets an engine without the other's stack
            results["devenv_cold_up"].append(timed([*devenv, "up", "-d"], root, env))
            time.sleep(0.5)  # a no-op `up` meets a settled stack, not one still wiring its network
            for _ in range(3):  # a short command on a noisy machine: more samples
                results["devenv_noop_up"].append(timed([*devenv, "up", "-d"], root, env))
            # down in pairs: both stacks up, then the two downs back to back, the first of the
            # pair alternating. A network's removal alone varies by 100 ms here (150-280 ms), so
            # peers timed minutes apart compare the machine's moods, not the tools.
            for pair in range(DOWN_PAIRS):
                sh(raw_up, env)
                if pair:
                    subprocess.run([*devenv, "up", "-d"], cwd=root, env=env, check=True, capture_output=True)
                time.sleep(0.5)
                first_raw = len(results["raw_down"]) % 2 == 0  # who goes first alternates
                for key in ("raw_down", "devenv_down") if first_raw else ("devenv_down", "raw_down"):
                    results[key].append(sh(raw_down, env) if key == "raw_down" else timed([*devenv, "down"], root, env))
            # less work: SIGKILL at once (no clean shutdown), as a reference
            sh(raw_up, env)
            results["raw_rm_f"].append(sh(
                f"docker rm -f {raw}-web {raw}-worker >/dev/null; docker network rm {raw} >/dev/null", env))
            if have_compose:
                cenv = dict(env, COMPOSE_PROJECT_NAME=name + "c")
                results["compose_cold_up"].append(timed([COMPOSE, "up", "-d"], root, cenv))
                time.sleep(0.5)
                results["compose_noop_up"].append(timed([COMPOSE, "up", "-d"], root, cenv))
                results["compose_down"].append(timed([COMPOSE, "down", "-t", "1"], root, cenv))
            for _ in range(3):
                results["devenv_help"].append(timed([*devenv, "--help"], root, env))
                results["python_startup"].append(timed([python, "-c", "pass"], root, env))
                results["host_python_startup"].append(timed([sys.executable, "-c", "pass"], root, env))
            # the machine's speed for Python work: the issue measured this import at about 90 ms
            results["docker_py_import"].append(timed([python, "-c", "import docker"], root, env))
    med = {k: round(median_ms(v), 1) for k, v in results.items() if v}
    ratios = {
        "cold_up_vs_raw": round(med["devenv_cold_up"] / med["raw_cold_up"], 2),
        "down_vs_raw": round(med["devenv_down"] / med["raw_down"], 2),
        "down_vs_raw_rm_f": round(med["devenv_down"] / med["raw_rm_f"], 2),
    }
    # what devenv itself adds to a no-op: the whole process minus the bare interpreter's start
    med["devenv_noop_over_python"] = round(med["devenv_noop_up"] - med["python_startup"], 1)
    if have_compose:
        ratios["cold_up_vs_compose"] = round(med["devenv_cold_up"] / med["compose_cold_up"], 2)
        ratios["noop_up_vs_compose"] = round(med["devenv_noop_up"] / med["compose_noop_up"], 2)
    print(f"devenv: {installed}; engine: {engine} at {os.environ.get('DOCKER_HOST', 'the default socket')}")
    print(f"{'measure':<24} {'median ms':>10}   (rounds: {args.rounds}, cores: {os.cpu_count()})")
    for key, value in med.items():
        print(f"{key:<24} {value:>10.1f}")
    for key, value in ratios.items():
        print(f"{key:<24} {value:>10.2f}x")
    print(json.dumps({"bench": "stack", "engine": engine, "devenv": installed, "median_ms": med, "ratios": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
