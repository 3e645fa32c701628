"""Every file of ../shared/corpus through the commands that read it, as a user runs them:
`init --from` (compose files, devcontainers), `env show --json` (the converted projects, every
Kubernetes manifest and dotenv file as a prod source), `export compose|k8s` (the converted
projects, with a devenv.lock pinning their images) — and docker-compose 1.29 `config` on each
compose export. No traceback, no internal error: a file devenv cannot take gets one `error:`
line and a hint. A `.env` secret never lands in devenv.toml or an export.

The commands run in-process (`devenv.cli.app.main`, the real entry point), each in a temporary
project holding a copy of the sample (dot-names restored, as SOURCES.md says)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPUS, IN_CI

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = CORPUS.resolve()
COMPOSE = sorted(ROOT.glob("compose/awesome-compose/*/compose.y*ml")) + sorted(
    ROOT.glob("basics/compose/*/compose.yaml")
)
DEVCONTAINERS = sorted(ROOT.glob("devcontainer/**/_devcontainer/devcontainer.json")) + sorted(
    ROOT.glob("basics/devcontainer/*/_devcontainer/devcontainer.json")
)
MANIFESTS = sorted(ROOT.glob("k8s/**/*.yaml")) + sorted(ROOT.glob("basics/k8s/*.yaml"))
DOTENV = sorted(ROOT.glob("dotenv/compose-go/fixtures/*")) + sorted(ROOT.glob("basics/dotenv/*.env"))
SECRET_NAME = re.compile(r"PASS|PW|SECRET|TOKEN|KEY", re.IGNORECASE)


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.fixture(autouse=True)
def _corpus_present(corpus: Path) -> None:
    """Skips (outside CI) or fails (CI=true) when the corpus is not beside the repository."""


class Run:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.root, self.monkeypatch, self.capsys = root, monkeypatch, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from devenv.cli.app import main

        self.monkeypatch.chdir(self.root)
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out = self.capsys.readouterr()
        code = int(exited.value.code or 0)
        where = f"devenv {' '.join(args)} in {self.root}: exit {code}\n{out.err}"
        assert "Traceback" not in out.err + out.out, where
        assert code in (0, 1) and "internal error" not in out.err, where
        if code == 1:  # a clean refusal: one error line, then at most hints
            lines = out.err.strip().splitlines()
            assert lines[-1].startswith("hint: ") or lines[-1].startswith("error: "), where
        return code, out.out, out.err


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    for name in list(os.environ):
        if name.startswith("DEVENV_REGISTRY"):
            monkeypatch.delenv(name)
    root = tmp_path / "proj"
    return Run(root, monkeypatch, capsys)


def copy_sample(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for path in sorted(dst.rglob("_*"), key=lambda p: -len(p.parts)):
        path.rename(path.with_name("." + path.name[1:]))
    for path in [dst, *dst.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # the corpus is read-only; the copy is ours


def give_folders(root: Path) -> None:
    """The samples' code and bind-mounted folders are not in the corpus (SOURCES.md): create the
    project-relative ones the converted devenv.toml names, so the project loads."""
    doc = tomllib.loads((root / "devenv.toml").read_text())
    for svc in (doc.get("services") or {}).values():
        build = svc.get("build")
        if isinstance(build, dict):
            (root / build["context"]).mkdir(parents=True, exist_ok=True)
        for data in svc.get("data") or []:
            source = data["source"]
            if not source.startswith(("/", "~")):
                (root / source).mkdir(parents=True, exist_ok=True)


def lock_images(root: Path) -> None:
    from devenv.registry.lockfile import LockedImage, LockFile

    doc = tomllib.loads((root / "devenv.toml").read_text())
    lock = LockFile()
    for name, svc in (doc.get("services") or {}).items():
        image = svc.get("image") or f"{name}-built"
        repo = re.sub(r"[^a-z0-9._/-]", "-", image.split("@")[0].rsplit(":", 1)[0].lower())
        lock.images[name] = LockedImage(image, f"127.0.0.1:5555/{repo}:locked", "sha256:" + "d" * 64)
    lock.save(root / "devenv.lock")


def dot_env_secrets(root: Path) -> list[str]:
    env = root / ".env"
    if not env.is_file():
        return []
    from devenv.envvars.dotenv import read_dotenv

    values = read_dotenv(env.read_text(encoding="utf-8"), ".env").values()
    return [v for k, v in values.items() if SECRET_NAME.search(k) and len(v) >= 3]


def compose_config(text: str, where: Path) -> None:
    binary = os.environ.get("DEVENV_COMPOSE_BIN") or "/opt/devenv-compose/bin/docker-compose"
    if not Path(binary).is_file():
        if IN_CI:
            pytest.fail(f"CI=true but docker-compose 1.29.2 is not at {binary}", pytrace=False)
        return  # the YAML checks above still ran
    # Beside devenv.toml, where `export compose` writes it: its build contexts and binds are
    # relative to the project folder (compose checks that a build context exists).
    (where / "devenv-export.yml").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    proc = subprocess.run(
        [binary, "-f", "devenv-export.yml", "config", "-q"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"docker-compose config rejects the export:\n{proc.stderr}"


def converted_project_commands(run: Run, source: str) -> dict[str, Any]:
    code, _, err = run("init", "--from", source)
    assert code == 0, err
    secrets = dot_env_secrets(run.root)
    toml = (run.root / "devenv.toml").read_text()
    assert not [s for s in secrets if s in toml], "a .env secret was written into devenv.toml"
    give_folders(run.root)
    code, shown, _ = run("env", "show", "--json")
    lock_images(run.root)
    results: dict[str, Any] = {}
    if code == 0:
        assert '"schema": "devenv.env/v1"' in shown
        for target in ("compose", "k8s"):
            code, text, _ = run("export", target)
            if code == 0:
                assert not [s for s in secrets if s in text], f"a .env secret is in the {target} export"
                results[target] = list(yaml.safe_load_all(text))
    return results


@pytest.mark.parametrize("compose_file", COMPOSE, ids=ids(COMPOSE))
def test_compose_files(compose_file: Path, run: Run) -> None:
    copy_sample(compose_file.parent, run.root)
    exports = converted_project_commands(run, compose_file.name)
    if "compose" in exports:
        compose_config(yaml.safe_dump(exports["compose"][0]), run.root)


@pytest.mark.parametrize("devcontainer", DEVCONTAINERS, ids=ids(DEVCONTAINERS))
def test_devcontainers(devcontainer: Path, run: Run) -> None:
    copy_sample(devcontainer.parent.parent, run.root)
    code, _, err = run("init", "--from", ".devcontainer/devcontainer.json")
    if code == 1:  # e.g. a dockerComposeFile the corpus does not hold: the error names the key
        assert "dockerComposeFile" in err, err
        return
    toml = (run.root / "devenv.toml").read_text()
    body = toml.split("[project]", 1)[1].replace("${DEVENV", "")
    # ${NAME} of a declared secret key is meant: the value moved to the local secrets file
    for key in re.findall(r'"([^"]+)"', re.search(r"secret_keys = \[(.*)\]", body)[1]) if "secret_keys" in body else ():
        body = body.replace("${" + key + "}", "")
    assert "${" not in body, "a variable was kept unresolved"
    assert str(run.root) not in toml, "this machine's path was written into devenv.toml"
    give_folders(run.root)
    code, _, _ = run("env", "show", "--json")
    lock_images(run.root)
    if code == 0:
        for target in ("compose", "k8s"):
            run("export", target)


@pytest.mark.parametrize("manifest", MANIFESTS, ids=ids(MANIFESTS))
def test_kubernetes_manifests(manifest: Path, run: Run) -> None:
    run.root.mkdir()
    shutil.copyfile(manifest, run.root / "prod.yaml")
    (run.root / "devenv.toml").write_text(
        '[project]\nname = "corpus"\n\n[env]\nprod = ["prod.yaml"]\nsecrets = ".devenv/secrets.env"\n\n'
        '[env.profiles.dev]\nplaceholder_secrets = true\n\n[services.app]\nimage = "busybox"\nenv = "prod"\n'
    )
    code, _, err = run("env", "show", "--json", "--profile", "prod")
    if code == 1:
        assert (
            "candidate containers" in err or "not valid YAML" in err or "no [env] prod source defines" in err
        ), err
        return
    code, _, _ = run("env", "show", "app", "--json")
    lock_images(run.root)
    if code == 0:
        run("export", "k8s")
        run("export", "compose")


@pytest.mark.parametrize("dotenv", DOTENV, ids=ids(DOTENV))
def test_dotenv_files(dotenv: Path, run: Run) -> None:
    run.root.mkdir()
    shutil.copyfile(dotenv, run.root / "prod.env")
    (run.root / "devenv.toml").write_text(
        '[project]\nname = "corpus"\n\n[env]\nprod = ["prod.env"]\n\n[services.app]\nimage = "busybox"\n'
    )
    code, _, err = run("env", "show", "--json", "--profile", "prod")
    if code == 1:
        assert dotenv.name in ("invalid1.env",), err  # compose-go rejects it too (a key with a space)
        return
    run("env", "show", "app", "--json")
