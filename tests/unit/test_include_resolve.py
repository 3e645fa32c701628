"""Include resolution without an engine: path includes on disk, git includes through a stand-in
fetch (a folder per commit), the merged model, and every conflict as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from devenv.config.includes import IncludeSpec
from devenv.config.load import load_project
from devenv.config.loader import parse_project
from devenv.config.model import Project
from devenv.errors import ConfigError
from devenv.include.expand import expand
from devenv.include.resolve import Fetched, resolve_includes


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "devenv.toml").write_text(text)
    return folder


def svc(name: str, extra: str = "") -> str:
    return f'[services.{name}]\nimage = "busybox"\ncommand = ["sleep", "1d"]\n{extra}\n'


class Repos:
    """git URL → {ref: folder}: a stand-in for the git cache."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.refs: dict[tuple[str, str], Path] = {}
        self.calls: list[str] = []

    def add(self, url: str, ref: str, text: str) -> None:
        self.refs[(url, ref)] = write(self.tmp / "repos" / url.replace("/", "_") / ref, text)

    def __call__(self, spec: IncludeSpec, includer: Project, where: str) -> Fetched:
        self.calls.append(spec.name)
        if spec.git:
            assert spec.ref
            if (spec.git, spec.ref) not in self.refs:
                raise ConfigError(f"{where}: ref {spec.ref!r} not found in {spec.git}", "fix ref")
            folder = self.refs[(spec.git, spec.ref)]
            return Fetched(folder, "git", f"git:{spec.git}", "c" * 39 + spec.ref[-1], "c" * 39 + spec.ref[-1])
        assert spec.path
        folder = (includer.root / spec.path).resolve()
        return Fetched(folder, "path", f"path:{folder}", str(folder))


def resolve(root: Path, fetch: Optional[Repos] = None) -> Project:
    project = load_project(root, explicit=True)
    if fetch is None:
        return expand(project)
    return resolve_includes(project, fetch, lambda folder: load_project(folder, explicit=True))


def test_path_include_merges_services_with_origin_own_profile_and_own_volumes(tmp_path: Path) -> None:
    write(
        tmp_path / "notify",
        '[project]\nname = "notify"\n[env]\nprod = ["prod.env"]\ndefault_profile = "local"\n'
        '[env.profiles.local]\nset = { MODE = "local" }\n'
        + svc("mail", 'env = "prod"\nvolumes = ["spool:/spool"]'),
    )
    (tmp_path / "notify" / "prod.env").write_text("MODE=prod\nSMTP_PORT=25\n")
    write(
        tmp_path / "shop",
        '[project]\nname = "shop"\n[include.notify]\npath = "../notify"\nenv = { EXTRA = "1" }\n'
        + svc("web", 'depends_on = ["mail"]\nvolumes = ["spool:/data"]'),
    )
    project = resolve(tmp_path / "shop")
    assert project.service_names == ("web", "mail")
    mail = project.service("mail")
    assert mail.include == "notify"
    assert [v.name for v in mail.volumes] == ["notify-spool"]  # never the includer's `spool`
    assert [v.name for v in project.service("web").volumes] == ["spool"]
    stack = project.included("notify")
    assert stack.source == "path" and stack.project.root == (tmp_path / "notify").resolve()
    from devenv.envvars import service_env

    env = service_env(project, "mail", "prod").as_dict()  # the includer's profile is ignored
    assert env == {"MODE": "local", "SMTP_PORT": "25", "EXTRA": "1"}


def test_services_selects_those_and_their_dependencies(tmp_path: Path) -> None:
    write(tmp_path / "n", svc("db") + svc("api", 'depends_on = ["db"]') + svc("admin"))
    write(tmp_path / "p", '[include.n]\npath = "../n"\nservices = ["api"]\n' + svc("web"))
    assert set(resolve(tmp_path / "p").service_names) == {"web", "api", "db"}


def test_a_stack_reached_twice_at_the_same_commit_runs_once(tmp_path: Path) -> None:
    repos = Repos(tmp_path)
    repos.add("git://mail", "v1", '[project]\nname = "mail"\n' + svc("smtp"))
    repos.add("git://auth", "v1", '[include.mail]\ngit = "git://mail"\nref = "v1"\n' + svc("auth"))
    repos.add("git://notify", "v1", '[include.mail]\ngit = "git://mail"\nref = "v1"\n' + svc("notify"))
    write(
        tmp_path / "shop",
        '[include.auth]\ngit = "git://auth"\nref = "v1"\n[include.notify]\ngit = "git://notify"\nref = "v1"\n'
        + svc("web", 'depends_on = ["smtp", "auth"]'),
    )
    project = resolve(tmp_path / "shop", repos)
    assert sorted(project.service_names) == ["auth", "notify", "smtp", "web"]
    assert [s.name for s in project.includes] == ["auth", "mail", "notify"]


def test_the_same_stack_at_two_commits_is_refused_naming_both(tmp_path: Path) -> None:
    repos = Repos(tmp_path)
    repos.add("git://mail", "v1", svc("smtp"))
    repos.add("git://mail", "v2", svc("smtp"))
    repos.add("git://auth", "v1", '[include.mail]\ngit = "git://mail"\nref = "v1"\n' + svc("auth"))
    write(
        tmp_path / "shop",
        '[include.auth]\ngit = "git://auth"\nref = "v1"\n\n[include.mail]\ngit = "git://mail"\nref = "v2"\n'
        + svc("web"),
    )
    with pytest.raises(ConfigError) as err:
        resolve(tmp_path / "shop", repos)
    message = str(err.value)
    assert "the same stack at two versions" in message
    assert "devenv.toml:5 include.mail" in message and "include.auth → " in message
    assert "\n" not in message


def test_two_services_of_the_same_name_from_different_stacks(tmp_path: Path) -> None:
    write(tmp_path / "a", svc("db"))
    write(tmp_path / "b", svc("db"))
    write(tmp_path / "p", '[include.a]\npath = "../a"\n[include.b]\npath = "../b"\n' + svc("web"))
    with pytest.raises(
        ConfigError, match=r"service 'db' is defined twice: .*a/devenv.toml:1 \(include a\) and "
    ):
        resolve(tmp_path / "p")


def test_an_included_service_named_like_ours_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "a", svc("web"))
    write(tmp_path / "p", '[include.a]\npath = "../a"\n' + svc("web"))
    with pytest.raises(ConfigError, match="defined twice"):
        resolve(tmp_path / "p")


def test_a_cycle_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "a", '[include.b]\npath = "../b"\n' + svc("x"))
    write(tmp_path / "b", '[include.a]\npath = "../a"\n' + svc("y"))
    with pytest.raises(
        ConfigError, match=r"include\.b → .*b/devenv.toml:1 include\.a: includes form a cycle"
    ):
        resolve(tmp_path / "a")


def test_a_path_without_devenv_toml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "p", svc("web") + '[include.notify]\npath = "../empty"\n')
    with pytest.raises(ConfigError, match=r"devenv.toml:5 include.notify: .*empty has no devenv.toml"):
        resolve(tmp_path / "p")


def test_a_missing_git_ref(tmp_path: Path) -> None:
    write(tmp_path / "p", '[include.n]\ngit = "git://n"\nref = "v9"\n' + svc("web"))
    with pytest.raises(ConfigError, match=r"devenv.toml:1 include.n: ref 'v9' not found"):
        resolve(tmp_path / "p", Repos(tmp_path))


def test_depends_on_an_unknown_service_is_still_refused_with_includes(tmp_path: Path) -> None:
    write(tmp_path / "a", svc("db"))
    write(tmp_path / "p", '[include.a]\npath = "../a"\n' + svc("web", 'depends_on = ["dbb"]'))
    with pytest.raises(ConfigError, match=r"devenv.toml:3 services.web.depends_on: unknown service 'dbb'"):
        resolve(tmp_path / "p")


def test_an_unknown_profile_or_service_of_the_included_stack(tmp_path: Path) -> None:
    write(tmp_path / "a", svc("db"))
    write(tmp_path / "p", '[include.a]\npath = "../a"\nprofile = "nope"\n' + svc("web"))
    with pytest.raises(ConfigError, match="has no profile 'nope'"):
        resolve(tmp_path / "p")
    write(tmp_path / "p", '[include.a]\npath = "../a"\nservices = ["dbx"]\n' + svc("web"))
    with pytest.raises(ConfigError, match="has no service 'dbx'"):
        resolve(tmp_path / "p")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('stack = "notify:1.4"\nref = "v1"', r"devenv.toml:3 include.n.ref: ref is for git includes: a stack names its tag"),
        ('git = "x"', r"include.n.git: a git include needs ref"),
        ('path = "a"\ngit = "b"\nref = "c"', r"include.n.git: has both path and git"),
        ("services = []", r"include.n: needs one of path"),
        ('path = "a"\nref = "v1"', r"include.n.ref: ref is for git includes"),
        ('path = "a"\nport = 1', r'include.n.port: unknown key "port"'),
    ],
)
def test_bad_include_tables_are_one_line_with_file_line_key(table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_project(f"[include.n]\n{table}\n", Path("devenv.toml"))


def test_without_includes_nothing_changes(tmp_path: Path) -> None:
    write(tmp_path / "p", svc("web"))
    project = resolve(tmp_path / "p")
    assert project.includes == () and project.include_specs == ()


def test_an_included_stacks_grants_go_through_the_trust_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devenv import reads
    from devenv.errors import UntrustedError
    from devenv.ops.trust import require, trust

    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(reads, "_allowed", set())
    write(tmp_path / "notify", svc("mail", "privileged = true"))
    write(tmp_path / "shop", '[include.notify]\npath = "../notify"\n' + svc("web"))
    project = resolve(tmp_path / "shop")
    with pytest.raises(UntrustedError, match=r"mail \(include notify\): runs privileged"):
        require(project)
    trust(project)
    require(project)  # trusted now
    # The included file grants more: asked again, though the including file did not change.
    write(tmp_path / "notify", svc("mail", "privileged = true\ndocker_socket = true"))
    with pytest.raises(UntrustedError, match="mounts the engine socket"):
        require(resolve(tmp_path / "shop"))


def test_an_included_stack_runs_the_images_its_own_lock_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own devenv.lock pins its images (and `build.from`): the merged services name those
    digests, resolved against its own registry; an image its lock does not pin stays a tag."""
    from devenv.registry.lockfile import LockedImage, LockFile

    monkeypatch.delenv("DEVENV_REGISTRY", raising=False)
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    write(
        tmp_path / "notify",
        '[project]\nname = "notify"\nregistry = "reg.team:5000"\n'
        + svc("mail").replace('"busybox"', '"mailer:1"')
        + svc("spare").replace('"busybox"', '"spare:2"')
        + '[services.api]\nbuild = { context = ".", from = "python:3.12" }\ncommand = ["sleep", "1d"]\n',
    )
    (tmp_path / "notify" / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    LockFile(
        images={
            "mail": LockedImage("mailer:1", "reg.team:5000/mailer:1", d1),
            "api": LockedImage("python:3.12", "reg.team:5000/python:3.12", d2),
        }
    ).save(tmp_path / "notify" / "devenv.lock")
    write(tmp_path / "shop", '[project]\nname = "shop"\n[include.notify]\npath = "../notify"\n' + svc("web"))
    project = resolve(tmp_path / "shop")
    assert project.service("mail").image == f"reg.team:5000/mailer:1@{d1}"
    assert project.service("api").build is not None
    assert project.service("api").build.base == f"reg.team:5000/python:3.12@{d2}"
    assert project.service("spare").image == "reg.team:5000/spare:2"  # its registry, not the includer's
    assert project.service("web").image == "busybox"  # the including project's own: as written

    # The same stack without a lock: its images as tags (the including project's lock pins them).
    (tmp_path / "notify" / "devenv.lock").unlink()
    assert resolve(tmp_path / "shop").service("mail").image == "reg.team:5000/mailer:1"


def test_lock_check_names_the_include_whose_own_lock_moved(tmp_path: Path) -> None:
    """`lock --check`'s image comparison runs on the expanded project: an included service whose
    stack's own lock now pins another digest is a drift naming the include."""
    from devenv.registry.lockfile import LockedImage, LockFile
    from devenv.registry.locking import check_lock

    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    write(tmp_path / "notify", '[project]\nname = "notify"\n' + svc("mail").replace('"busybox"', '"reg.team:5000/m:1"'))
    write(tmp_path / "shop", '[project]\nname = "shop"\n[include.notify]\npath = "../notify"\n')
    LockFile(images={"mail": LockedImage("reg.team:5000/m:1", "reg.team:5000/m:1", d2)}).save(
        tmp_path / "notify" / "devenv.lock"
    )
    ours = LockFile(images={"mail": LockedImage(f"reg.team:5000/m:1@{d1}", f"reg.team:5000/m@{d1}", d1)})
    drifts = check_lock(resolve(tmp_path / "shop"), ours)
    assert [(d.service, d.problem, d.include) for d in drifts] == [("mail", "image changed", "notify")]
    assert drifts[0].describe() == (
        f"mail (include notify): the included stack now runs 'reg.team:5000/m:1@{d2}' "
        f"(its devenv.toml and devenv.lock) but this devenv.lock has 'reg.team:5000/m:1@{d1}'"
    )
