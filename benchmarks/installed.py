"""devenv as its users run it: a regular (non-editable) install in a virtual environment of its
own, as `pipx install devenv-stack` makes one.

Whole-process timings depend on how Python starts. A development interpreter pays for every
`.pth` hook in its site-packages (an editable install's import finder, and whatever the machine
adds: on this sandbox a certificate injector) on every start, and may run with
PYTHONDONTWRITEBYTECODE so nothing is ever compiled ahead. A virtual environment has none of
that. The benchmarks time devenv from one, next to the same interpreter's bare start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("DEVENV_BENCH_VENV", Path.home() / ".cache" / "devenv-bench" / "venv"))


def installed_devenv() -> tuple[list[str], str, str]:
    """(devenv command, its interpreter, how it was installed). Falls back to `python -m devenv`
    from this interpreter when the environment cannot be made (no network for its first pip)."""
    python = VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", str(PROJECT)], check=True, capture_output=True
            )
        # This checkout's code, every time (its dependencies are already there).
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(PROJECT)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", b"") or b""
        print(
            f"note: no benchmark venv ({err}; {detail.decode(errors='replace')[-200:]}); "
            "timing `python -m devenv` from this interpreter",
            file=sys.stderr,
        )
        return [sys.executable, "-m", "devenv"], sys.executable, "this interpreter"
    return [str(VENV / "bin" / "devenv")], str(python), f"venv {VENV}"
