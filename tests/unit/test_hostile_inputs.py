"""Hostile inputs through the real CLI, as a stranger's repository would bring them: each run is
`python -m devenv ...` in a subprocess held to 200 MB of address space above Python's own and 5 s
of CPU (a limit, not a timing: a run past it is killed and fails here), with no engine needed.

Each either works (a legit file, however odd) or exits with a named code (never 70, "internal
error") and one `error:` line naming the file, plus at most one `hint:` line; never a traceback.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Callable, NamedTuple, Optional, Union

import pytest

from devenv.errors import ExitCode

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]
WEB = '[services.web]\nimage = "python:3.12"\n'
PROD_ENV = '[env]\nprod = ["{}"]\n' + WEB
COMPOSE_WEB = "services:\n  web:\n    image: nginx\n"


def laughs(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs": each anchor a list of `width` aliases of the one before."""
    text = 'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        text += f"x-{name}: &{name} [{', '.join([f'*{prev}'] * width)}]\n"
        prev = name
    return text + f"services:\n  web:\n    image: nginx\n    environment:\n      X: *{prev}\n"


def deep_yaml(levels: int) -> str:
    return "services: " + "[" * levels + "]" * levels + "\n"


def deep_json(levels: int) -> str:
    return '{"A": ' + "[" * levels + "]" * levels + "}"


def services(count: int, chain: bool = False) -> str:
    parts = ['[project]\nname = "big"\n']
    for i in range(count):
        parts.append(f'[services.s{i}]\nimage = "python:3.12"\ncommand = ["sleep", "1"]\n')
        if chain and i:
            parts.append(f'depends_on = ["s{i - 1}"]\n')
    return "\n".join(parts)


def profiles(count: int) -> str:
    return "[env.profiles.p0]\n" + "".join(
        f'[env.profiles.p{i}]\nextends = "p{i - 1}"\n' for i in range(1, count)
    )


Files = dict[str, Union[str, bytes]]


class Case(NamedTuple):
    id: str
    files: Files
    expect: Optional[str]  # a part of the error line; None: the command works
    args: tuple[str, ...] = ("config", "validate")
    setup: Optional[Callable[[Path], None]] = None
    code: ExitCode = ExitCode.USER_ERROR


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    return lambda root: os.symlink(target, root / name)


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda root: os.mkfifo(root / name)


def _folder(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).mkdir()


INIT = ("init", "--from", "compose.yaml", "--yes")
ENV_SHOW = ("env", "show")

CASES = [
    # --- devenv.toml: syntax, encoding, size ---
    Case("empty-file", {"devenv.toml": ""}, None),
    Case("bad-toml", {"devenv.toml": "[services.web\nimage = 1\n"}, "devenv.toml:1: invalid TOML"),
    Case("not-utf8", {"devenv.toml": b'[services.web]\nimage = "\xff\xfe"\n'}, "devenv.toml:2: not UTF-8 text"),
    Case("utf16", {"devenv.toml": WEB.encode("utf-16")}, "devenv.toml:1: not UTF-8 text"),
    Case("utf8-bom", {"devenv.toml": "\ufeff" + WEB}, "devenv.toml:1: invalid TOML"),
    Case("crlf-and-tabs", {"devenv.toml": WEB.replace("\n", "\r\n").replace(" = ", "\t=\t")}, None),
    Case("huge-file", {"devenv.toml": WEB + ("# " + "x" * 98 + "\n") * (5 * MIB // 100)}, "too large for what it holds"),
    Case(
        "huge-integer", {"devenv.toml": WEB + "stop_timeout = " + "9" * 5000 + "\n"}, "a value cannot be read"
    ),
    Case("megabyte-value", {"devenv.toml": WEB + 'environment = { A = "' + "x" * MIB + '" }\n'}, None),
    # --- nesting ---
    Case("header-20000-deep", {"devenv.toml": "[" + ".".join(["a"] * 20000) + "]\n"}, "nested more than 64"),
    Case("dotted-key-20000-deep", {"devenv.toml": ".".join(["a"] * 20000) + " = 1\n"}, "nested more than 64"),
    Case(
        "quoted-header-deep", {"devenv.toml": "[" + ".".join(['"a"'] * 5000) + "]\n"}, "nested more than 64"
    ),
    Case(
        "arrays-100000-deep",
        {"devenv.toml": "a = " + "[" * 100000 + "]" * 100000 + "\n"},
        "nested more than 64",
    ),
    Case(
        "inline-tables-deep",
        {"devenv.toml": "a = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"},
        "nested more than",
    ),
    # --- size: loading is linear ---
    Case("4000-services", {"devenv.toml": services(4000)}, None),
    Case("2000-service-chain", {"devenv.toml": services(2000, chain=True)}, None),
    Case(
        "dependency-cycle",
        {
            "devenv.toml": services(500, chain=True).replace(
                "[services.s0]\n", '[services.s0]\ndepends_on = ["s499"]\n'
            )
        },
        "depends_on forms a cycle",
    ),
    Case("2000-profile-chain", {"devenv.toml": WEB + profiles(2000)}, None),
    Case(
        "profile-cycle-long",
        {
            "devenv.toml": WEB
            + profiles(2000).replace("[env.profiles.p0]\n", '[env.profiles.p0]\nextends = "p1999"\n')
        },
        "profiles extend in a cycle: p0 → p1999",
    ),
    Case("depends-on-itself", {"devenv.toml": WEB + 'depends_on = ["web"]\n'}, "depends on itself"),
    # --- absurd numbers ---
    Case("stop-timeout-inf", {"devenv.toml": WEB + "stop_timeout = inf\n"}, "inf is not a duration"),
    Case("stop-timeout-nan", {"devenv.toml": WEB + "stop_timeout = nan\n"}, "nan is not a duration"),
    Case("stop-timeout-1e999", {"devenv.toml": WEB + "stop_timeout = 1e999\n"}, "inf is not a duration"),
    Case(
        "export-inf",
        {"devenv.toml": WEB + "stop_timeout = inf\n"},
        "inf is not a duration",
        ("export", "compose"),
    ),
    Case(
        "retries-huge",
        {"devenv.toml": WEB + 'health = { cmd = ["true"], retries = 99999999999999999999 }\n'},
        "above",
    ),
    Case("port-99999", {"devenv.toml": WEB + 'ports = ["99999:80"]\n'}, "out of range"),
    Case("port-negative", {"devenv.toml": WEB + "ports = [-1]\n"}, "ports[0]"),
    Case("port-range", {"devenv.toml": WEB + 'ports = ["8000-8010:8000-8010"]\n'}, "is not HOST:CONTAINER"),
    Case("port-bad-ip", {"devenv.toml": WEB + 'ports = ["999.1.1.1:80:80"]\n'}, "is not an IP address"),
    Case("port-bad-ipv6", {"devenv.toml": WEB + 'ports = ["[::1::2]:80:80"]\n'}, "is not an IP address"),
    # --- mounts and paths ---
    Case("code-root", {"devenv.toml": WEB + 'code = "/"\n'}, "would mount over the container's root"),
    Case(
        "data-root",
        {"devenv.toml": WEB + 'data = [{ source = ".", target = "/" }]\n'},
        "mount over the container",
    ),
    Case(
        "data-on-code",
        {"devenv.toml": WEB + 'code = "/app"\ndata = [{ source = ".", target = "/app" }]\n'},
        "is also where code is mounted",
    ),
    Case(
        "data-source-nul", {"devenv.toml": WEB + 'data = [{ source = "a\\u0000b", target = "/d" }]\n'}, "NUL"
    ),
    Case(
        "data-source-loop",
        {"devenv.toml": WEB + 'data = [{ source = "loop", target = "/d" }]\n'},
        "is a symlink loop",
        setup=_symlink("loop", "loop"),
    ),
    Case(
        "build-context-loop",
        {"devenv.toml": '[services.web]\nbuild = "loop"\n'},
        "symlink loop",
        setup=_symlink("loop", "loop"),
    ),
    Case(
        "project-dir-loop",
        {},
        "--project-dir loop is a symlink loop",
        ("--project-dir", "loop", "config", "validate"),
        setup=_symlink("loop", "loop"),
    ),
    Case("config-symlink-loop", {}, "no devenv.toml", setup=_symlink("devenv.toml", "devenv.toml")),
    Case("config-is-folder", {}, "no devenv.toml", setup=_folder("devenv.toml")),
    Case("config-is-fifo", {}, "no devenv.toml", setup=_fifo("devenv.toml")),
    # --- strings: NUL, names, signals, images, unicode ---
    Case(
        "nul-in-env-value",
        {"devenv.toml": WEB + 'environment = { A = "x\\u0000y" }\n'},
        "holds a NUL character",
    ),
    Case(
        "nul-in-env-name",
        {"devenv.toml": WEB + 'environment = { "A\\u0000" = "x" }\n'},
        "is not a variable name",
    ),
    Case(
        "equals-in-env-name",
        {"devenv.toml": WEB + 'environment = { "A=B" = "x" }\n'},
        "is not a variable name",
    ),
    Case(
        "non-ascii-env-name", {"devenv.toml": WEB + 'environment = { "Ä" = "x" }\n'}, "is not a variable name"
    ),
    Case(
        "unknown-signal",
        {"devenv.toml": WEB + 'stop_signal = "SIGFOO"\n'},
        "is not a signal the engine knows",
    ),
    Case(
        "image-is-an-option",
        {"devenv.toml": '[services.web]\nimage = "--privileged"\n'},
        "is not an image reference",
    ),
    Case(
        "image-with-space",
        {"devenv.toml": '[services.web]\nimage = "python 3"\n'},
        "is not an image reference",
    ),
    Case("emoji-service-name", {"devenv.toml": '[services."🙂"]\nimage = "x"\n'}, "is not a service name"),
    Case("lone-surrogate", {"devenv.toml": WEB + 'environment = { A = "\\ud800" }\n'}, "invalid TOML"),
    Case(
        "odd-unicode-values",
        {
            "devenv.toml": WEB
            + 'environment = { A = "\u202egnp.exe\u200b", B = "\U0001f642", C = "\\u0007" }\n'
        },
        None,
    ),
    # --- prod sources: YAML, JSON ---
    Case(
        "prod-yaml-laughs",
        {"devenv.toml": PROD_ENV.format("prod.yaml"), "prod.yaml": laughs()},
        "billion laughs",
        ENV_SHOW,
    ),
    Case(
        "prod-yaml-recursive-alias",
        {"devenv.toml": PROD_ENV.format("prod.yaml"), "prod.yaml": "services: &a\n  web: *a\n"},
        "recursive alias",
        ENV_SHOW,
    ),
    Case(
        "prod-yaml-50000-deep",
        {"devenv.toml": PROD_ENV.format("prod.yaml"), "prod.yaml": deep_yaml(50000)},
        "nested more than 64",
        ENV_SHOW,
    ),
    Case(
        "prod-yaml-block-deep",
        {
            "devenv.toml": PROD_ENV.format("prod.yaml"),
            "prod.yaml": "".join(" " * i + "a:\n" for i in range(2000)),
        },
        "nested more than 64",
        ENV_SHOW,
    ),
    Case(
        "prod-yaml-huge",
        {"devenv.toml": PROD_ENV.format("prod.yaml"), "prod.yaml": "A: " + "x" * (5 * MIB) + "\n"},
        "too large for what it holds",
        ENV_SHOW,
    ),
    Case(
        "prod-json-100000-deep",
        {"devenv.toml": PROD_ENV.format("prod.json"), "prod.json": deep_json(100000)},
        "nested more than 64",
        ENV_SHOW,
    ),
    Case(
        "prod-json-huge-integer",
        {"devenv.toml": PROD_ENV.format("prod.json"), "prod.json": '{"A": ' + "1" * 5000 + "}"},
        "a value cannot be read",
        ENV_SHOW,
    ),
    Case(
        "prod-json-not-json",
        {"devenv.toml": PROD_ENV.format("prod.json"), "prod.json": '{"A": '},
        "not valid JSON",
        ENV_SHOW,
    ),
    Case(
        "prod-is-fifo",
        {"devenv.toml": PROD_ENV.format("prod.yaml")},
        "prod.yaml",
        ENV_SHOW,
        setup=_fifo("prod.yaml"),
    ),
    # --- init --from: compose and devcontainer ---
    Case("init-laughs", {"compose.yaml": laughs()}, "billion laughs", INIT),
    Case("init-recursive-alias", {"compose.yaml": "services: &a\n  web: *a\n"}, "recursive alias", INIT),
    Case("init-yaml-50000-deep", {"compose.yaml": deep_yaml(50000)}, "nested more than 64", INIT),
    Case(
        "init-huge-integer",
        {"compose.yaml": COMPOSE_WEB + "    x-n: " + "1" * 5000 + "\n"},
        "a value cannot be read",
        INIT,
    ),
    Case(
        "init-bad-date",
        {"compose.yaml": COMPOSE_WEB + "    x-d: 2001-13-45\n"},
        "a value cannot be read",
        INIT,
    ),
    Case("init-not-utf8", {"compose.yaml": b"services:\n  web:\n    image: \xff\n"}, "not UTF-8", INIT),
    Case("init-not-yaml", {"compose.yaml": "services: [\n"}, "not valid YAML", INIT),
    Case(
        "init-writes-what-does-not-validate",
        {"compose.yaml": 'services:\n  web:\n    image: "--privileged"\n'},
        "does not validate",
        INIT,
    ),
    Case(
        "init-devcontainer-100000-deep",
        {
            ".devcontainer/devcontainer.json": '{"image": "python:3.12", "x": '
            + "[" * 100000
            + "]" * 100000
            + "}"
        },
        "nested more than 64",
        ("init", "--from", ".devcontainer/devcontainer.json", "--yes"),
    ),
    Case("init-from-fifo", {}, "no such file", INIT, setup=_fifo("compose.yaml")),
    # --- devenv.lock ---
    Case(
        "lock-20000-deep",
        {
            "devenv.toml": PROD_ENV.format("prod.env"),
            "prod.env": "A=1\n",
            "devenv.lock": "[" + ".".join(["a"] * 20000) + "]\n",
        },
        "devenv.lock:1: nested more than 64",
        ("env", "check"),
    ),
    Case(
        "lock-arrays-deep",
        {
            "devenv.toml": PROD_ENV.format("prod.env"),
            "prod.env": "A=1\n",
            "devenv.lock": "a = " + "[" * 100000 + "\n",
        },
        "devenv.lock: nested more than 64",
        ("env", "check"),
    ),
]


def _address_space_baseline() -> int:
    """What this Python needs with devenv and PyYAML imported, before any input is read."""
    probe = (
        "import devenv.cli.app, yaml, json\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmPeak')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), check=True
    )
    return int(done.stdout) * 1024


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVENV_", "DOCKER_"))}
    env.update(PYTHONPATH=str(REPO), NO_COLOR="1", DOCKER_HOST="unix:///nonexistent/docker.sock")
    return env


@pytest.fixture(scope="module")
def memory_limit() -> int:
    return _address_space_baseline() + 200 * MIB


def _run(root: Path, args: tuple[str, ...], memory: int) -> subprocess.CompletedProcess[str]:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (5, 5))

    env = _env()
    env["DEVENV_STATE_DIR"] = str(root.parent / "state")
    return subprocess.run(
        [sys.executable, "-m", "devenv", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        preexec_fn=limits,
        timeout=120,  # only against a hang: the CPU limit is the bound
    )


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits and /proc are Linux's")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, memory_limit: int) -> None:
    root = tmp_path / "project"
    root.mkdir()
    for name, content in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(root)
    done = _run(root, case.args, memory_limit)
    stderr = done.stderr
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (past the CPU limit?): {stderr[-500:]}"
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    assert "MemoryError" not in stderr and "RecursionError" not in stderr, stderr[-2000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    if case.expect is None:
        assert done.returncode == ExitCode.OK, stderr[-2000:]
        assert errors == []
        return
    assert done.returncode == case.code, stderr[-2000:]
    assert len(errors) == 1, stderr[-2000:]
    assert case.expect in errors[0], errors[0]
    assert len(errors[0]) < 400, errors[0]  # names the problem, never quotes the input
    after = stderr.splitlines()[stderr.splitlines().index(errors[0]) + 1 :]
    assert all(line.startswith("hint: ") for line in after) and len(after) <= 1, stderr[-2000:]
    if case.args[0] != "init":  # init says what it wrote before the check of it
        assert len(stderr.splitlines()) == 1 + len(after), stderr[-2000:]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
