"""Run every benchmark in this folder, one after the other, and keep their JSON lines.

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python3 benchmarks/run_all.py [--slow]

Each benchmark measures devenv against raw docker (and peers) in the same run and prints its own
table; the JSON lines go to benchmarks/results/<timestamp>.jsonl. `--slow` adds the opt-in ones
(SLOW below). Not run here: restart_probe.py, which times a restart from inside the web
container of a shop you already run. Run on a quiet machine: the
figures are ratios, but a loaded CPU still widens their spread.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    "bench_stack.py",
    "bench_scale.py",
    "bench_pull.py",
    "bench_watch.py",
    "bench_shop.py",
    "bench_config_load.py",
    "bench_ui.py",
    "bench_publish.py",
    "bench_includes.py",
]
# Opt-in (`--slow`): minutes each, and a machine of their own to make. bench_fresh.py runs the
# README's first command in a fresh Debian container (needs root and mmdebstrap).
SLOW = ["bench_fresh.py"]


def main() -> int:
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"{datetime.datetime.now():%Y%m%d-%H%M%S}.jsonl"
    failed = 0
    args = [a for a in sys.argv[1:] if a != "--slow"]
    benches = BENCHES + (SLOW if "--slow" in sys.argv[1:] else [])
    with out.open("w") as sink:
        for bench in benches:
            print(f"== {bench}", flush=True)
            run = subprocess.run([sys.executable, str(HERE / bench), *args], capture_output=True, text=True)
            sys.stdout.write(run.stdout)
            sys.stderr.write(run.stderr)
            failed += run.returncode != 0
            for line in run.stdout.splitlines():
                if line.startswith("{"):
                    sink.write(line + "\n")
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
