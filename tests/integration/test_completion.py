"""`devenv completion SHELL` in the real shells: bash runs the script's completion function,
fish its `complete -C`; zsh's side of the protocol is checked directly (driving zsh's
completion system needs a terminal). Service and profile names come from devenv.toml, instance
names from the engine's labels — without importing docker-py, and without a word on stderr
when the engine is not there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parents[2]
TOML = """\
[project]
name = "{name}"

[env.profiles.staging]
set = {{ LOG_LEVEL = "info" }}

[env.targets]
uat = ["deploy/uat.env"]

[services.web]
image = "{image}"
command = ["sleep", "3600"]

[services.worker]
image = "{image}"
command = ["sleep", "3600"]

[services.db]
image = "{image}"
command = ["sleep", "3600"]
"""


def shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(
                f"CI=true but {name} is not installed (scripts/install.sh installs it)", pytrace=False
            )
        pytest.skip(f"{name} is not installed")
    return path


def devenv_env(project, **extra: str) -> dict[str, str]:
    env = project.env(**extra)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def proj(offline_project):
    offline_project.write(TOML.format(name=offline_project.name, image="busybox"))
    return offline_project


def script(project, name: str) -> str:
    result = project.ok("completion", name)
    assert "_DEVENV_COMPLETE" in result.out
    return result.out


def fake_devenv(tmp_path: Path) -> Path:
    """`devenv` on PATH as this checkout (the scripts call `devenv` by name)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "devenv"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m devenv "$@"\n')
    exe.chmod(0o755)
    return bin_dir


def bash_complete(project, tmp_path: Path, line: str) -> list[str]:
    words = line.split(" ")
    program = (
        f"{script(project, 'bash')}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_devenv_completion devenv\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = devenv_env(project)
    env["PATH"] = f"{fake_devenv(tmp_path)}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        [shell("bash"), "-c", program], cwd=project.root, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


def test_bash_completes_commands_services_and_profiles(proj, tmp_path):
    assert "completion" in bash_complete(proj, tmp_path, "devenv ")
    assert bash_complete(proj, tmp_path, "devenv lo") == ["lock", "login", "logs"]
    assert bash_complete(proj, tmp_path, "devenv logs ") == ["db", "web", "worker"]
    assert bash_complete(proj, tmp_path, "devenv up web ") == ["db", "worker"]  # not the one typed
    assert bash_complete(proj, tmp_path, "devenv exec w") == ["web", "worker"]
    assert bash_complete(proj, tmp_path, "devenv env diff ") == ["dev", "prod", "staging", "test"]
    assert bash_complete(proj, tmp_path, "devenv up --profile st") == ["staging"]
    assert bash_complete(proj, tmp_path, "devenv up --target ") == ["prod", "uat"]
    assert bash_complete(proj, tmp_path, "devenv env check -t u") == ["uat"]


def test_fish_completes_with_the_real_script(proj, tmp_path):
    fish = shell("fish")
    completions = tmp_path / "devenv.fish"
    completions.write_text(script(proj, "fish"))
    env = devenv_env(proj)
    env["PATH"] = f"{fake_devenv(tmp_path)}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        [fish, "--no-config", "-c", f"source {completions}; complete -C 'devenv shell '"],
        cwd=proj.root, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [line.split("\t")[0] for line in proc.stdout.splitlines()] == ["db", "web", "worker"]


def test_zsh_script_and_its_answers(proj):
    zsh = shell("zsh")
    text = script(proj, "zsh")
    assert "#compdef devenv" in text and "_devenv_completion" in text
    check = subprocess.run([zsh, "-n", "-c", text], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr  # the script parses in zsh
    answer = proj.run(
        COMP_WORDS="devenv logs w", COMP_CWORD="2", _DEVENV_COMPLETE="zsh_complete"
    )  # what the script asks devenv for
    assert answer.code == 0
    assert answer.out.splitlines() == ["plain", "web", "_", "plain", "worker", "_"]


def test_outside_a_project_and_without_an_engine_nothing_is_offered_and_nothing_said(offline_project):
    result = offline_project.run(
        COMP_WORDS="devenv logs ", COMP_CWORD="2", _DEVENV_COMPLETE="bash_complete"
    )  # no devenv.toml here
    assert (result.code, result.out.strip(), result.err) == (0, "", "")
    offline_project.write(TOML.format(name=offline_project.name, image="busybox"))
    gone = offline_project.run(
        COMP_WORDS="devenv down --instance ",
        COMP_CWORD="3",
        _DEVENV_COMPLETE="bash_complete",
        DOCKER_HOST=f"unix://{offline_project.root}/no-engine.sock",
    )
    assert (gone.code, gone.out.strip(), gone.err) == (0, "", "")


PROBE = """
import sys
sys.argv = ["devenv"]
from devenv.cli.app import main
try:
    main()
except SystemExit:
    pass
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("docker", "watchdog", "yaml")))
"""


@pytest.mark.engine
def test_instances_come_from_the_engine_without_docker_py(project, busybox_image):
    project.write(TOML.format(name=project.name, image=busybox_image))
    project.ok("up", "-d", "web")
    project.ok("up", "-d", "web", "--instance", "qa")
    env = devenv_env(project, COMP_WORDS="devenv down --instance ", COMP_CWORD="3")
    env["_DEVENV_COMPLETE"] = "bash_complete"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=project.root, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:-1] == ["plain,default", "plain,qa"]
    assert lines[-1] == "LOADED []"  # no docker-py, no watchdog, no yaml for a TAB
    project.ok("down", "--instance", "qa")
    project.ok("down")
