"""Kustomize source benchmark: prod's env read from a Kustomize folder (cached render) against the
same overlay rendered by hand into a file, and a cold render against `kubectl kustomize` alone.

    python benchmarks/bench_kustomize.py [--rounds 30]

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


def paired(a: Callable[[], object], b: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    """p50 of a, of b, and of the per-round difference a - b: the two alternate, so a busy
    machine slows both alike."""
    first, second, diff = [], [], []
    for _ in range(rounds):
        took = []
        for fn in (a, b):
            sources._parse_yaml.cache_clear()  # as a fresh `devenv up` process: parse again
            start = time.perf_counter()
            fn()
            took.append((time.perf_counter() - start) * 1000)
        first.append(took[0])
        second.append(took[1])
        diff.append(took[0] - took[1])
    return statistics.median(first), statistics.median(second), statistics.median(diff)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "tests" / "fixtures" / "kustomize" / "shop", root / "deploy")
        os.environ["DEVENV_STATE_DIR"] = str(Path(tmp) / "state")
        tool = render.kustomize_command()
        overlay = "deploy/overlays/prod"
        rendered = subprocess.run([*tool, overlay], cwd=root, capture_output=True, text=True, check=True).stdout
        (root / "rendered.yaml").write_text(rendered, encoding="utf-8")
        sources.load_prod(root, (overlay + "#web",))  # fills the cache
        warm, plain, delta = paired(
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
    print(f"env from the Kustomize folder (cached)  p50 {warm:7.1f} ms")
    print(f"env from the hand-rendered file         p50 {plain:7.1f} ms   paired difference p50 {delta:+.1f} ms (target <= 10)")
    print(f"cold render + env                       p50 {cold:7.1f} ms")
    print(f"{Path(tool[0]).name} {' '.join(tool[1:])} alone                  p50 {alone:7.1f} ms")
    print(json.dumps({"cached_ms": round(warm, 2), "file_ms": round(plain, 2), "difference_ms": round(delta, 2), "cold_ms": round(cold, 1), "tool_ms": round(alone, 1)}))


if __name__ == "__main__":
    main()
