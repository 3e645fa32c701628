"""Config load benchmark: `devenv config validate` (whole process) on generated devenv.toml files
of 1,000 and 4,000 services and a 2,000-service `depends_on` chain, next to the 1-service file
(the start-up floor). No engine needed.

    python3 benchmarks/bench_config_load.py [--rounds 5]

Target: loading is linear in the file, 4,000 services in under 1 s whole process. Prints a table
and a JSON line; exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from installed import installed_devenv


def services(count: int, chain: bool = False) -> str:
    parts = ['[project]\nname = "big"\n']
    for i in range(count):
        parts.append(f'[services.s{i}]\nimage = "python:3.12"\ncommand = ["sleep", "1"]\n')
        if chain and i:
            parts.append(f'depends_on = ["s{i - 1}"]\n')
    return "\n".join(parts)


FILES = {
    "1 service": services(1),
    "1,000 services": services(1000),
    "4,000 services": services(4000),
    "2,000-service chain": services(2000, chain=True),
}


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    devenv, _, installed = installed_devenv()
    med: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in FILES.items():
            folder = Path(tmp) / name.replace(" ", "-").replace(",", "")
            folder.mkdir()
            (folder / "devenv.toml").write_text(text)
            timed([*devenv, "config", "validate"], folder)  # warm: bytecode, page cache
            med[name] = statistics.median(
                timed([*devenv, "config", "validate"], folder) for _ in range(args.rounds)
            )
    print(f"devenv: {installed}")
    print(
        f"{'devenv config validate':<24} {'median ms':>10}   (rounds: {args.rounds}, cores: {os.cpu_count()})"
    )
    for key, value in med.items():
        print(f"{key:<24} {value:>10.1f}")
    print(json.dumps({"bench": "config_load", "devenv": installed, "median_ms": med}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
