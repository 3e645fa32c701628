"""Kustomize source benchmark: prod's env read from a Kustomize folder (cached render) against the
same overlay rendered by hand into a file, and a cold render against `kubectl kustomize` alone.

    python benchmarks/bench_kustomize.py [--rounds 30] [--up IMAGE]

With `--up IMAGE` (and DOCKER_HOST at an engine), also the whole no-op `devenv up -d` of a
one-service project mirroring the overlay, against the same project mirroring the rendered file
(alternating; both stacks are removed afterwards).

Targets (issue 20): the env resolution a no-op `up` does with a Kustomize source within 10 ms of
the same with the rendered file; a cold render reported beside the tool alone. Uses the fixture
tree tests/fixtures/kustomize/shop (overlays/prod). Prints a table and a JSON line; exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.envvars import render, sources  # noqa: E402


def paired(a: Callable[[], object], b: Callable[[], object], rounds: int) -> tuple[float, float, float, float]:
    """p50 of a, of b, of the per-round difference a - b (wall), and of that difference in this
    process's CPU time: the two alternate, so a busy machine slows both alike, and CPU time is
    what a loaded machine does not inflate."""
    first, second, diff, cpu = [], [], [], []
    for _ in range(rounds):
        took, used = [], []
        for fn in (a, b):
            sources._parse_yaml.cache_clear()  # as a fresh `devenv up` process: parse again
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            took.append((time.perf_counter() - start) * 1000)
            used.append((time.process_time() - start_cpu) * 1000)
        first.append(took[0])
        second.append(took[1])
        diff.append(took[0] - took[1])
        cpu.append(used[0] - used[1])
    return statistics.median(first), statistics.median(second), statistics.median(diff), statistics.median(cpu)


def noop_up(root: Path, overlay: str, image: str, rounds: int) -> tuple[float, float, float, float]:
    """Whole-process no-op `up -d` of two one-service projects: one mirrors the overlay folder,
    the other the same overlay rendered into a file."""
    projects = []
    for name, entry in (("kustomize", overlay + "#web"), ("file", "rendered.yaml#web")):
        folder = root.parent / name
        shutil.copytree(root, folder)
        (folder / "devenv.toml").write_text(
            f'[project]\nname = "kbench-{name}-{os.getpid()}"\n[env]\nprod = ["{entry}"]\n'
            "[env.profiles.dev]\nplaceholder_secrets = true\n"
            f'[services.web]\nimage = "{image}"\ncommand = ["sleep", "3600"]\n',
            encoding="utf-8",
        )
        projects.append(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def up(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "devenv", "up", "-d"], cwd=folder, env=env, check=True, capture_output=True)

    try:
        for folder in projects:
            up(folder)  # the first: creates the container and fills the cache
        sources._parse_yaml.cache_clear()
        return paired(lambda: up(projects[0]), lambda: up(projects[1]), rounds)
    finally:
        for folder in projects:
            subprocess.run([sys.executable, "-m", "devenv", "down"], cwd=folder, env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--up", metavar="IMAGE", help="also time no-op `devenv up -d` with this image")
    opts = parser.parse_args()
    rounds = opts.rounds
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "tests" / "fixtures" / "kustomize" / "shop", root / "deploy")
        os.environ["DEVENV_STATE_DIR"] = str(Path(tmp) / "state")
        tool = render.kustomize_command()
        overlay = "deploy/overlays/prod"
        rendered = subprocess.run([*tool, overlay], cwd=root, capture_output=True, text=True, check=True).stdout
        (root / "rendered.yaml").write_text(rendered, encoding="utf-8")
        sources.load_prod(root, (overlay + "#web",))  # fills the cache
        warm, plain, delta, delta_cpu = paired(
            lambda: sources.load_prod(root, (overlay + "#web",)),
            lambda: sources.load_prod(root, ("rendered.yaml#web",)),
            rounds,
        )
        cold_rounds = max(3, rounds // 6)
        cold_samples, tool_samples = [], []
        for i in range(cold_rounds):
            os.environ["DEVENV_STATE_DIR"] = str(Path(tmp) / f"cold{i}")  # an empty cache
            sources._parse_yaml.cache_clear()
            start = time.perf_counter()
            sources.load_prod(root, (overlay + "#web",))
            cold_samples.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            subprocess.run([*tool, overlay], cwd=root, capture_output=True, check=True)
            tool_samples.append((time.perf_counter() - start) * 1000)
        cold, alone = statistics.median(cold_samples), statistics.median(tool_samples)
        up = noop_up(root, overlay, opts.up, rounds) if opts.up else None
    print(f"env from the Kustomize folder (cached)  p50 {warm:7.1f} ms")
    print(f"env from the hand-rendered file         p50 {plain:7.1f} ms   paired difference p50 {delta:+.1f} ms, CPU {delta_cpu:+.1f} ms (target <= 10)")
    print(f"cold render + env                       p50 {cold:7.1f} ms")
    print(f"{Path(tool[0]).name} {' '.join(tool[1:])} alone                  p50 {alone:7.1f} ms")
    if up:
        print(f"no-op `devenv up -d`, Kustomize folder    p50 {up[0]:7.1f} ms")
        print(f"no-op `devenv up -d`, rendered file      p50 {up[1]:7.1f} ms   paired difference p50 {up[2]:+.1f} ms")
    print(json.dumps({**({"up_kustomize_ms": round(up[0], 1), "up_file_ms": round(up[1], 1), "up_difference_ms": round(up[2], 1)} if up else {}),"cached_ms": round(warm, 2), "file_ms": round(plain, 2), "difference_ms": round(delta, 2), "difference_cpu_ms": round(delta_cpu, 2), "cold_ms": round(cold, 1), "tool_ms": round(alone, 1)}))


if __name__ == "__main__":
    main()
