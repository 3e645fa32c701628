"""Includes benchmark, whole processes, in the same run (issue 19's targets):

- a no-op `devenv up -d` of a product with three `stack =` includes, published to the registry,
  pinned by `devenv lock` and cached (target <= 150 ms), beside the same no-op `up` of the same
  four services written in one file (no include) and `docker ps` (what a person would run to
  see it is up);
- `devenv lock` resolving those three `stack` includes (target <= 1 s), beside the raw cost of
  what it must ask the registry — a manifest GET per include's tag — timed in the same run as one
  `python -c` (urllib) process and as `curl` (one process per request, as a person would), and
  `devenv lock` of the same services without includes (one image tag to ask, as with them).
- `devenv publish` (its overhead over the image pushes it makes) is bench_publish.py's.

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/bench_includes.py [--rounds 7]

devenv runs as its users install it (installed.py: a virtual environment of its own; set
DEVENV_BENCH_VENV for another one), without PYTHONPATH and with bytecode written. Each figure is
the median of the rounds (the peers alternate within a round), with the child's CPU time (user +
system) beside it: the machine is shared, and CPU time says what the process itself spent.
Prints a table and a JSON line; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from installed import installed_devenv

from tests.conftest import busybox_context

STACKS = 3
TARGETS = {"noop_up_3_includes": 0.150, "lock_3_includes": 1.0}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return wall, children_cpu() - cpu


def base_image(client, registry: str) -> str:
    ref = f"{registry}/busybox:bench-includes"
    client.images.build(fileobj=io.BytesIO(busybox_context()), custom_context=True, tag=ref, rm=True)
    for line in client.images.push(ref, stream=True, decode=True):
        if "error" in line:
            raise SystemExit(line["error"])
    return ref


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    timed(["git", "-c", "user.email=b@b", "-c", "user.name=b", *args], cwd, env)


def service(name: str, image: str) -> str:
    return f'[services.{name}]\nimage = "{image}"\ncommand = ["sleep", "1d"]\n\n'


def product(folder: Path, name: str, registry: str, image: str, stacks: list[str]) -> Path:
    """`web` and the three stacks' services: included (`stacks`), else written in its own file
    (the same four services, the same images pinned by its own lock: only the includes differ)."""
    folder.mkdir(parents=True)
    body = f'[project]\nname = "{name}"\nregistry = "{registry}"\n\n'
    if stacks:
        body += "".join(f'[include.i{n}]\nstack = "{stack}:1"\n\n' for n, stack in enumerate(stacks))
    else:
        body += "".join(service(f"s{n}", image) for n in range(STACKS))
    (folder / "devenv.toml").write_text(body + service("web", image))
    return folder


def raw_requests(registry: str, stacks: list[str]) -> str:
    """One process asking what `devenv lock` must ask: each include's manifest by its tag."""
    urls = [f"http://{registry}/v2/{stack}/manifests/1" for stack in stacks]
    accept = "application/vnd.oci.image.manifest.v1+json"
    return (
        "import urllib.request\n"
        f"for url in {urls!r}:\n"
        f"    urllib.request.urlopen(urllib.request.Request(url, headers={{'Accept': {accept!r}}})).read()\n"
    )


def main() -> int:
    import docker

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    opts = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    client = docker.from_env(version="1.41", timeout=300)
    devenv, python, installed = installed_devenv()
    run_id = uuid.uuid4().hex[:8]
    tmp = Path(tempfile.mkdtemp(prefix="bench-includes-"))
    env = {**os.environ, "DEVENV_STATE_DIR": str(tmp / "state"), "NO_COLOR": "1", "DEVENV_TRUST": "1"}
    for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE"):  # the installed code, compiled as users have it
        env.pop(name, None)
    load_start = os.getloadavg()
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def sample(key: str, cmd: list[str], cwd: Path) -> None:
        w, c = timed(cmd, cwd, env)
        wall.setdefault(key, []).append(w)
        cpu.setdefault(key, []).append(c)

    shop = plain = None
    try:
        base = base_image(client, registry)
        short = base.split("/", 1)[1]
        stacks = []
        for n in range(STACKS):  # three published stacks, each locked and committed
            name = f"bincl{n}{run_id}"
            folder = tmp / name
            folder.mkdir()
            (folder / "devenv.toml").write_text(
                f'[project]\nname = "{name}"\nregistry = "{registry}"\n\n'
                f'[services.s{n}]\nimage = "{short}"\ncommand = ["sleep", "1d"]\n'
            )
            git(folder, env, "init", "-q", "-b", "main")
            timed([*devenv, "lock"], folder, env)
            git(folder, env, "add", "-A")
            git(folder, env, "commit", "-qm", "v1")
            timed([*devenv, "publish", "--tag", "1"], folder, env)
            stacks.append(name)
        shop = product(tmp / "shop", f"bshop{run_id}", registry, short, stacks)
        plain = product(tmp / "plain", f"bplain{run_id}", registry, short, [])
        for folder in (shop, plain):
            timed([*devenv, "lock"], folder, env)
            timed([*devenv, "up", "-d"], folder, env)
        time.sleep(1)  # the no-op `up` meets settled stacks
        label = f"dev.devenv.project=bshop{run_id}"
        for round_ in range(opts.rounds):
            noop = [("noop_up_3_includes", shop), ("noop_up_no_include", plain)]
            for key, folder in noop if round_ % 2 == 0 else noop[::-1]:
                sample(key, [*devenv, "up", "-d"], folder)
            sample("docker_ps", ["docker", "ps", "-q", "--filter", f"label={label}"], tmp)
            sample("lock_3_includes", [*devenv, "lock"], shop)
            sample("lock_no_include", [*devenv, "lock"], plain)
            sample("raw_3_manifest_gets_python", [python, "-c", raw_requests(registry, stacks)], tmp)
            sample(
                "raw_3_manifest_gets_curl",
                ["bash", "-ec", "; ".join(
                    f"curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "
                    f"http://{registry}/v2/{stack}/manifests/1" for stack in stacks)],
                tmp,
            )  # fmt: skip
            sample("python_startup", [python, "-c", "pass"], tmp)
    finally:
        for folder in (shop, plain):
            if folder is not None:
                subprocess.run([*devenv, "down"], cwd=folder, env=env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    load_end = os.getloadavg()
    med = {k: round(statistics.median(v) * 1000, 1) for k, v in wall.items()}
    med_cpu = {k: round(statistics.median(v) * 1000, 1) for k, v in cpu.items()}
    ok = all(med[k] <= limit * 1000 for k, limit in TARGETS.items())
    print(f"devenv: {installed}; registry {registry}; rounds: {opts.rounds}; cores: {os.cpu_count()}; "
          f"load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end")  # fmt: skip
    print(f"{'measure':<30} {'median ms':>10} {'cpu ms':>8}  target")
    for key, value in med.items():
        target = f"<= {TARGETS[key] * 1000:.0f}" if key in TARGETS else ""
        print(f"{key:<30} {value:>10.1f} {med_cpu[key]:>8.1f}  {target}")
    print(f"the includes cost a no-op up {med['noop_up_3_includes'] - med['noop_up_no_include']:+.1f} ms, "
          f"a lock {med['lock_3_includes'] - med['lock_no_include']:+.1f} ms "
          f"(the registry's answers alone: {med['raw_3_manifest_gets_python'] - med['python_startup']:.1f} ms "
          "in one process); publish: benchmarks/bench_publish.py")  # fmt: skip
    print(json.dumps({"bench": "includes", "devenv": installed, "rounds": opts.rounds,
                      "load": [round(load_start[0], 2), round(load_end[0], 2)], "median_ms": med,
                      "cpu_ms": med_cpu, "ok": ok}))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
