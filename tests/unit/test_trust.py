"""The trust gate's parts without an engine: what a devenv.toml grants, the store of trusted
files, the refusal, and the env readers refusing files outside the project (issue item 7)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from devenv import reads
from devenv.config.load import load_project
from devenv.envvars import resolve_env
from devenv.errors import DevenvError, ExitCode, UntrustedError
from devenv.ops.trust import assess, require, trust, untrust
from devenv.trust import store
from devenv.trust.grants import READS, grants

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(reads, "_allowed", set())  # nothing trusted from an earlier test
    return tmp_path / "state"


def project_with(tmp_path: Path, body: str, **files: str):
    root = tmp_path / "proj"
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "devenv.toml").write_text('[project]\nname = "p"\n' + body)
    return load_project(root)


def shown(project) -> list[str]:
    return [g.line() for g in grants(project)]


# --- what a file grants ---


def test_the_shop_and_the_quickstart_need_no_trust() -> None:
    """examples/shop (what scripts/quickstart.sh brings up) asks for nothing beyond its folder:
    code, a data disk inside, a build context inside, env files inside."""
    assert grants(load_project(REPO / "examples" / "shop")) == []


def test_a_plain_stack_grants_nothing(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        '[services.web]\nimage = "busybox"\ncode = "/app"\nports = ["8000:8000"]\n'
        'data = [{ source = "disk", target = "/data", read_only = false }]\n'
        'volumes = ["db:/var/lib/db"]\n[volumes.db]\n'
        '[volumes.scratch]\noptions = { type = "tmpfs", device = "tmpfs", o = "size=5m" }\n'
        '[volumes.share]\noptions = { type = "nfs", o = "addr=10.0.0.1", device = ":/export" }\n',
        **{"disk/x": "x"},
    )
    assert shown(project) == []


def test_every_container_grant_is_listed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = project_with(
        tmp_path,
        "[services.web]\nimage = \"busybox\"\nprivileged = true\ndocker_socket = true\n"
        f'data = [{{ source = "{outside}", target = "/o" }}, {{ source = "/", target = "/host", read_only = false }}]\n'
        '[services.tool]\nbuild = ".."\n'
        f'[volumes.home]\noptions = {{ type = "none", o = "bind", device = "{outside}" }}\n',
    )
    assert shown(project) == [
        "web: runs privileged: every device and kernel capability of the host",
        "web: mounts the engine socket: /var/run/docker.sock (root on the host)",
        f"web: mounts a host path read-only: {outside} at /o",
        "web: mounts a host path read-write: / at /host",
        f"tool: builds from a host folder: {tmp_path}",
        f"volume home: binds a host path: {outside}",
    ]


def test_a_symlink_that_leaves_the_project_is_outside(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "disk").symlink_to(Path.home())
    (root / ".devenv").mkdir()
    (root / ".devenv" / "secrets.env").symlink_to("/proc/self/environ")
    project = project_with(
        tmp_path,
        '[env]\nsecrets = ".devenv/secrets.env"\n'
        '[services.web]\nimage = "busybox"\ndata = [{ source = "disk", target = "/d" }]\n',
    )
    assert shown(project) == [
        f"web: mounts a host path read-only: {Path.home().resolve()} at /d",
        f"[env] secrets: reads a file outside the project: {Path('/proc/self/environ').resolve()}",
    ]


def test_a_folder_symlink_on_the_way_leads_out(tmp_path: Path) -> None:
    """`deploy -> /etc` committed in the repository: `deploy/hostname` is /etc/hostname."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "deploy").symlink_to("/etc")
    (root / "inner").mkdir()
    (root / "inner" / "up").symlink_to(root)  # a symlink that stays inside is fine
    (root / "app.env").write_text("A=1\n")
    project = project_with(tmp_path, '[env]\nprod = ["deploy/hostname", "inner/up/app.env"]\n')
    assert shown(project) == [f"[env] prod: reads a file outside the project: {Path('/etc/hostname').resolve()}"]
    with pytest.raises(UntrustedError, match="hostname, outside the project"):
        resolve_env(project.root, project.env, "prod", process_env={})


def test_env_files_outside_the_project_are_read_grants(tmp_path: Path) -> None:
    (tmp_path / "creds.env").write_text("A=1\n")
    compose = "services:\n  web:\n    image: x\n    env_file: [../../creds.env, /etc/hostname, local.env]\n"
    project = project_with(
        tmp_path,
        '[env]\nprod = ["/proc/self/environ", "../creds.env", "deploy/compose.yaml#web"]\n'
        '[services.web]\nimage = "busybox"\n',
        **{"deploy/compose.yaml": compose, "deploy/local.env": "B=2\n"},
    )
    found = grants(project)
    assert {g.kind for g in found} == {READS}
    assert [g.line() for g in found] == [
        f"[env] prod: reads a file outside the project: {Path('/proc/self/environ').resolve()}",
        f"[env] prod: reads a file outside the project: {tmp_path / 'creds.env'}",
        "env_file in deploy/compose.yaml: reads a file outside the project: /etc/hostname",
    ]  # ../../creds.env from deploy/ is the same file as ../creds.env: listed once


def test_an_extends_file_outside_the_project_is_a_read_grant(tmp_path: Path) -> None:
    """A compose prod source whose service `extends` a file outside the project: the grant is
    listed, so trusting the file lets the reader follow it (else it could never be read)."""
    (tmp_path / "base.yaml").write_text("services:\n  app:\n    environment:\n      FROM_BASE: '1'\n")
    compose = "services:\n  web:\n    extends: {file: ../base.yaml, service: app}\n"
    project = project_with(tmp_path, '[env]\nprod = ["compose.yaml#web"]\n', **{"compose.yaml": compose})
    assert shown(project) == [
        f"extends in compose.yaml: reads a file outside the project: {tmp_path / 'base.yaml'}"
    ]
    require(project, READS, assume=True)
    assert resolve_env(project.root, project.env, "prod", process_env={}).as_dict()["FROM_BASE"] == "1"


# --- the env readers (item 7): a file outside the project is refused, not read ---


@pytest.mark.parametrize(
    ("env", "files"),
    [
        ('prod = ["/proc/self/environ"]', {}),
        ('prod = ["../outside.env"]', {}),
        ('prod = ["compose.yaml#web"]', {"compose.yaml": "services:\n  web:\n    env_file: ../outside.env\n"}),
        ('prod = ["app.env"]\nsecrets = "../outside.env"', {"app.env": "A=1\n"}),
    ],
    ids=["proc-environ", "relative", "compose-env_file", "secrets"],
)
def test_env_readers_refuse_files_outside_the_project(tmp_path: Path, env: str, files: dict[str, str]) -> None:
    (tmp_path / "outside.env").write_text("A=from-outside\n")
    project = project_with(tmp_path, f"[env]\n{env}\n", **files)
    with pytest.raises(UntrustedError) as err:
        resolve_env(project.root, project.env, "dev", process_env={})
    assert err.value.exit_code == ExitCode.UNTRUSTED
    assert "outside the project; devenv reads it only once you trust devenv.toml" in err.value.message
    assert err.value.message.startswith(("[env] prod in devenv.toml names ", "compose.yaml:3 names ", "[env] secrets"))
    assert "devenv trust" in (err.value.hint or "")
    require(project, READS, assume=True)  # what --trust / a trusted file allows
    resolve_env(project.root, project.env, "dev", process_env={})


def test_a_reader_the_detection_misses_still_fails_closed(tmp_path: Path) -> None:
    """An env_file key spelled with a YAML escape is not seen by the grant detection (it looks
    for the plain word), so trusting the file does not allow it: the reader refuses it."""
    (tmp_path / "outside.env").write_text("A=1\n")
    compose = 'services:\n  web:\n    "env\\x5ffile": ../outside.env\n'
    project = project_with(tmp_path, '[env]\nprod = ["compose.yaml#web"]\n', **{"compose.yaml": compose})
    assert grants(project) == []
    require(project, READS)
    with pytest.raises(UntrustedError, match=r"compose\.yaml:3 names .*/outside\.env, outside the project"):
        resolve_env(project.root, project.env, "prod", process_env={})


# --- trusting ---


PRIVILEGED = '[services.web]\nimage = "busybox"\nprivileged = true\n'


def test_untrusted_is_refused_with_the_list(tmp_path: Path) -> None:
    project = project_with(tmp_path, PRIVILEGED)
    with pytest.raises(UntrustedError) as err:
        require(project)
    lines = err.value.message.splitlines()
    assert lines[0] == (
        f"{project.config_file} is not trusted, and it grants 1 thing beyond the project; nothing was done:"
    )
    assert lines[1:] == ["  web: runs privileged: every device and kernel capability of the host"]
    assert "`devenv trust`" in (err.value.hint or "") and "DEVENV_TRUST=1" in (err.value.hint or "")
    assert require(project, assume=True).grants  # --trust / DEVENV_TRUST


def test_trust_is_for_this_content_at_this_path(tmp_path: Path, state: Path) -> None:
    project = project_with(tmp_path, PRIVILEGED)
    trust(project)
    assert assess(project).trusted
    require(project)
    mode = stat.S_IMODE((state / "trust.json").stat().st_mode)
    assert mode == 0o600
    (project.root / "devenv.toml").write_text(project.config_file.read_text() + "# a change\n")
    changed = load_project(project.root)
    found = assess(changed)
    assert not found.trusted and found.changed
    with pytest.raises(UntrustedError, match="changed since you trusted it"):
        require(changed)
    assert untrust(changed) == 1
    assert not assess(changed).changed  # forgotten: no longer "changed", just not trusted


def test_a_new_grant_from_a_named_file_asks_again(tmp_path: Path) -> None:
    """devenv.toml unchanged, its compose source gains an env_file outside: not covered."""
    project = project_with(
        tmp_path,
        '[env]\nprod = ["/etc/hostname", "compose.yaml#web"]\n',
        **{"compose.yaml": "services:\n  web:\n    environment: {A: '1'}\n"},
    )
    trust(project)
    assert assess(project, READS).trusted
    (project.root / "compose.yaml").write_text("services:\n  web:\n    env_file: /etc/passwd\n")
    assert not assess(project, READS).trusted


def test_a_file_that_grants_nothing_is_not_recorded(tmp_path: Path, state: Path) -> None:
    project = project_with(tmp_path, '[services.web]\nimage = "busybox"\n')
    assert trust(project).grants == []
    assert not (state / "trust.json").exists()


def test_two_files_and_two_contents_are_kept_apart(tmp_path: Path) -> None:
    first = project_with(tmp_path / "a", PRIVILEGED)
    second = project_with(tmp_path / "b", PRIVILEGED)
    trust(first)
    assert not assess(second).trusted  # same content, another path
    text = first.config_file.read_text()
    first.config_file.write_text(text + "# on a branch\n")
    trust(load_project(first.root))
    first.config_file.write_text(text)  # back on main: still trusted, no question
    assert assess(load_project(first.root)).trusted


def test_a_store_from_a_newer_devenv_is_never_overwritten(tmp_path: Path, state: Path) -> None:
    state.mkdir(parents=True)
    newer = {"version": store.STORE_VERSION + 1, "files": [{"whatever": True}]}
    (state / "trust.json").write_text(json.dumps(newer))
    project = project_with(tmp_path, PRIVILEGED)
    assert not assess(project).trusted  # read as nothing trusted
    with pytest.raises(DevenvError, match="written by a newer devenv"):
        trust(project)
    assert json.loads((state / "trust.json").read_text()) == newer


def test_a_damaged_store_is_refused_not_replaced(tmp_path: Path, state: Path) -> None:
    state.mkdir(parents=True)
    (state / "trust.json").write_text("{not json")
    project = project_with(tmp_path, PRIVILEGED)
    assert not assess(project).trusted
    with pytest.raises(DevenvError, match="damaged") as err:
        trust(project)
    assert "remove it" in (err.value.hint or "")
    assert (state / "trust.json").read_text() == "{not json"
    os.unlink(state / "trust.json")
    trust(project)
    assert assess(project).trusted
