"""One stack per git worktree: which worktree a project folder is in (read from the files git
writes, never by running git), the instance name it gets, the one rule every command uses to
choose its instance, and the guard that keeps a command off another folder's stack."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.records import ContainerInfo
from devenv.errors import DevenvError
from devenv.ops.instance import choose_instance, ensure_own, other_folder
from devenv.ops.stale import orphaned_instances
from devenv.stack.names import instance_from, valid_instance
from devenv.stack.worktree import Worktree, linked_worktree

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _main_repo(root: Path) -> Path:
    """A repository's main worktree as git lays it out: a `.git` folder."""
    (root / ".git" / "worktrees").mkdir(parents=True)
    return root


def _linked(common: Path, top: Path, name: str, *, relative: bool = False) -> Path:
    """A linked worktree as `git worktree add` lays it out: its admin folder under
    <common>/.git/worktrees/<name> (with `commondir`), and a `.git` file pointing there."""
    admin = common / ".git" / "worktrees" / name
    admin.mkdir(parents=True)
    (admin / "commondir").write_text("../..\n")
    (admin / "gitdir").write_text(f"{top}/.git\n")
    top.mkdir(parents=True)
    target = os.path.relpath(admin, top) if relative else str(admin)
    (top / ".git").write_text(f"gitdir: {target}\n")
    return top


# --- detection ---------------------------------------------------------------------------------


def test_no_git_at_all_is_no_worktree(tmp_path: Path) -> None:
    assert linked_worktree(tmp_path / "project") is None


def test_a_plain_repository_is_its_main_worktree(tmp_path: Path) -> None:
    repo = _main_repo(tmp_path / "shop")
    assert linked_worktree(repo) is None
    (repo / "services" / "api").mkdir(parents=True)
    assert linked_worktree(repo / "services" / "api") is None


def test_a_linked_worktree_is_named_as_git_names_it(tmp_path: Path) -> None:
    main = _main_repo(tmp_path / "shop")
    top = _linked(main, tmp_path / "checkouts" / "login", "login")
    found = linked_worktree(top)
    assert found == Worktree("login", top, main / ".git" / "worktrees" / "login")


def test_a_project_folder_nested_inside_the_worktree_walks_up_to_it(tmp_path: Path) -> None:
    main = _main_repo(tmp_path / "shop")
    top = _linked(main, tmp_path / "login", "login")
    nested = top / "services" / "api"
    nested.mkdir(parents=True)
    found = linked_worktree(nested)
    assert found is not None and found.name == "login" and found.top == top


def test_a_relative_gitdir_counts_from_the_worktree(tmp_path: Path) -> None:
    """git 2.48's `worktree.useRelativePaths` writes `gitdir: ../shop/.git/worktrees/x`."""
    main = _main_repo(tmp_path / "shop")
    top = _linked(main, tmp_path / "feature", "feature", relative=True)
    assert (top / ".git").read_text().startswith("gitdir: ../")
    found = linked_worktree(top)
    assert found is not None and found.name == "feature"


def test_the_name_is_gits_not_the_folders(tmp_path: Path) -> None:
    """Two worktrees in folders with one basename: git names the second `login1`."""
    main = _main_repo(tmp_path / "shop")
    _linked(main, tmp_path / "a" / "login", "login")
    second = _linked(main, tmp_path / "b" / "login", "login1")
    found = linked_worktree(second)
    assert found is not None and found.name == "login1"


def test_a_gitfile_pointing_somewhere_missing_still_names_its_worktree(tmp_path: Path) -> None:
    """The repository moved (or the entry was pruned): the checkout is still not the main one,
    and its name stays what it was, so its stack stays its own."""
    top = tmp_path / "login"
    top.mkdir()
    (top / ".git").write_text(f"gitdir: {tmp_path}/moved-away/.git/worktrees/login\n")
    found = linked_worktree(top)
    assert found is not None and found.name == "login"


def test_a_gitfile_pointing_somewhere_missing_that_is_no_worktree_is_none(tmp_path: Path) -> None:
    top = tmp_path / "clone"
    top.mkdir()
    (top / ".git").write_text(f"gitdir: {tmp_path}/gone/repo.git\n")
    assert linked_worktree(top) is None


@pytest.mark.parametrize("content", ["", "not a gitfile\n", "gitdir:\n", "\x00\x01binary"])
def test_a_gitfile_git_would_reject_is_no_worktree(tmp_path: Path, content: str) -> None:
    top = tmp_path / "odd"
    top.mkdir()
    (top / ".git").write_text(content)
    assert linked_worktree(top) is None


def test_a_submodule_is_a_checkout_of_the_worktree_around_it(tmp_path: Path) -> None:
    """A submodule's `.git` file points into .git/modules/ (no `commondir`): the worktree is
    the superproject's — the main one here, a linked one when the superproject's is linked."""
    main = _main_repo(tmp_path / "super")
    (main / ".git" / "modules" / "lib").mkdir(parents=True)
    sub = main / "lib"
    sub.mkdir()
    (sub / ".git").write_text(f"gitdir: {main}/.git/modules/lib\n")
    assert linked_worktree(sub) is None

    top = _linked(main, tmp_path / "feature", "feature")
    (main / ".git" / "worktrees" / "feature" / "modules" / "lib").mkdir(parents=True)
    (top / "lib").mkdir()
    (top / "lib" / ".git").write_text(f"gitdir: {main}/.git/worktrees/feature/modules/lib\n")
    found = linked_worktree(top / "lib")
    assert found is not None and found.name == "feature"


def test_the_main_worktree_inside_another_linked_one_is_its_own(tmp_path: Path) -> None:
    """The nearest `.git` decides: a repository cloned inside a linked worktree is a main one."""
    outer = _main_repo(tmp_path / "outer")
    top = _linked(outer, tmp_path / "wt", "wt")
    inner = _main_repo(top / "vendor" / "inner")
    assert linked_worktree(inner) is None


def test_real_git_worktrees_are_read_as_git_writes_them(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        if IN_CI:
            pytest.fail("CI=true but git is not installed")
        pytest.skip("git is not installed")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def run(*args: str, cwd: Path) -> None:
        subprocess.run([git, *args], cwd=cwd, env=env, check=True, capture_output=True)

    main = tmp_path / "shop"
    main.mkdir()
    run("init", "-q", cwd=main)
    (main / "README").write_text("shop\n")
    run("add", "README", cwd=main)
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init", cwd=main)
    run("worktree", "add", "-q", "--detach", str(tmp_path / "Fix Login.v2"), cwd=main)
    assert linked_worktree(main) is None
    found = linked_worktree(tmp_path / "Fix Login.v2")
    (admin,) = (main / ".git" / "worktrees").iterdir()  # git's own name (git >= 2.30 writes `Fix-Login.v2`)
    assert found == Worktree(admin.name, tmp_path / "Fix Login.v2", admin)
    assert instance_from(found.name) == "fix-login-v2"


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "worktree, instance",
    [
        ("login", "login"),
        ("feature-x", "feature-x"),
        ("Feature.Login", "feature-login"),
        ("fix_bug_42", "fix_bug_42"),
        ("--weird--", "weird"),
        ("Über Café", "uber-cafe"),
        ("a+b@c", "a-b-c"),
    ],
)
def test_worktree_names_become_valid_instance_names(worktree: str, instance: str) -> None:
    assert instance_from(worktree) == instance and valid_instance(instance)


def test_a_long_name_keeps_a_prefix_and_a_hash_so_two_never_meet() -> None:
    first = instance_from("agent-task-refactor-the-billing-module-1")
    second = instance_from("agent-task-refactor-the-billing-module-2")
    assert valid_instance(first) and valid_instance(second) and first != second
    assert first.startswith("agent-task-refactor") and len(first) == 31
    assert first == instance_from("agent-task-refactor-the-billing-module-1")  # stable across runs


@pytest.mark.parametrize("worktree", ["日本語", "___", "..."])
def test_a_name_with_nothing_usable_left_still_gets_a_stable_instance(worktree: str) -> None:
    name = instance_from(worktree)
    assert valid_instance(name) and name.startswith("wt-") and name == instance_from(worktree)


# --- the choice ----------------------------------------------------------------------------------


def _project(root: Path, **kw: object) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "devenv.toml").write_text('[project]\nname = "shop"\n')
    return Project(name="shop", root=root, config_file=root / "devenv.toml", **kw)  # type: ignore[arg-type]


def test_the_main_worktree_keeps_default_and_a_linked_one_gets_its_own(tmp_path: Path) -> None:
    main = _main_repo(tmp_path / "shop")
    top = _linked(main, tmp_path / "Login.Page", "Login.Page")
    assert choose_instance(_project(main)) == ("default", "default", None)
    assert choose_instance(_project(top)) == ("login-page", "worktree", "Login.Page")


def test_instance_overrides_the_worktree_and_is_checked(tmp_path: Path) -> None:
    top = _linked(_main_repo(tmp_path / "shop"), tmp_path / "login", "login")
    assert choose_instance(_project(top), "qa") == ("qa", "option", "login")
    with pytest.raises(DevenvError, match='instance name "Not Valid" is not valid'):
        choose_instance(_project(top), "Not Valid")


def test_automatic_naming_can_be_turned_off(tmp_path: Path) -> None:
    top = _linked(_main_repo(tmp_path / "shop"), tmp_path / "login", "login")
    assert choose_instance(_project(top, instance_per_worktree=False)) == ("default", "default", "login")


def test_a_folders_pin_comes_after_the_option_and_before_the_worktree(tmp_path: Path) -> None:
    top = _linked(_main_repo(tmp_path / "shop"), tmp_path / "login", "login")
    (top / ".devenv").mkdir()
    (top / ".devenv" / "instance").write_text("clone-4f2a\n")
    assert choose_instance(_project(top)) == ("clone-4f2a", "pinned", "login")
    assert choose_instance(_project(top), "qa") == ("qa", "option", "login")


@pytest.mark.parametrize("text", ["", "Not Valid\n", "a\nb\n", "x" * 40])
def test_a_pin_that_is_no_instance_name_names_the_file_and_the_fix(tmp_path: Path, text: str) -> None:
    root = tmp_path / "shop"
    (root / ".devenv").mkdir(parents=True)
    (root / ".devenv" / "instance").write_text(text)
    with pytest.raises(DevenvError, match=r"\.devenv/instance: instance name .* is not valid") as caught:
        choose_instance(_project(root))
    assert "or remove the file" in (caught.value.hint or "")


# --- the guard -----------------------------------------------------------------------------------


def _container(instance: str, folder: str | None, service: str = "web", **extra: str) -> ContainerInfo:
    labels = {L.PROJECT: "shop", L.INSTANCE: instance, L.SERVICE: service, **extra}
    if folder is not None:
        labels[L.PROJECT_DIR] = folder
    return ContainerInfo(
        f"id-{instance}-{service}",
        f"shop-{instance}-{service}",
        service,
        instance,
        "running",
        "Up",
        labels,
        (),
    )


def test_containers_from_this_folder_or_unlabelled_ones_are_this_folders(tmp_path: Path) -> None:
    here = _project(tmp_path / "shop")
    ours = [_container("default", str(here.root)), _container("default", None, "db")]
    assert other_folder(ours, here) is None
    assert ensure_own(ours, here, "default", "up") is None


@pytest.mark.parametrize(
    "command, doing",
    [
        ("up", "`devenv up` here would take it over"),
        ("down", "`devenv down` here would remove that folder's stack"),
        ("watch", "`devenv watch` here would reload it"),
    ],
)
def test_another_live_checkouts_stack_is_refused_naming_the_folder_and_the_fix(
    tmp_path: Path, command: str, doing: str
) -> None:
    here, there = _project(tmp_path / "clone-b"), _project(tmp_path / "clone-a")
    with pytest.raises(DevenvError) as refused:
        ensure_own([_container("default", str(there.root))], here, "default", command)
    message = str(refused.value)
    assert message.startswith(f"shop (default) was created from another folder, {there.root}: {doing}")
    assert "\n" not in message and refused.value.exit_code == 1
    assert "--instance NAME" in (refused.value.hint or "")
    if command != "watch":
        assert f"devenv --project-dir {there.root} down --instance default" in (refused.value.hint or "")


def test_the_leftovers_of_a_folder_that_is_gone_are_taken_over_with_a_warning(tmp_path: Path) -> None:
    here = _project(tmp_path / "shop")
    gone = str(tmp_path / "removed-worktree")
    warning = ensure_own([_container("default", gone)], here, "default", "up")
    assert (
        warning
        == f"shop (default) was created from {gone}, which no longer holds a devenv.toml: taking it over"
    )


def test_a_live_other_folder_wins_over_a_gone_one(tmp_path: Path) -> None:
    here, there = _project(tmp_path / "c"), _project(tmp_path / "b")
    mixed = [_container("default", str(tmp_path / "a-gone")), _container("default", str(there.root), "db")]
    found = other_folder(mixed, here)
    assert found is not None and found.path == str(there.root) and found.live


class _Reads:
    def __init__(self, containers: list[ContainerInfo]):
        self._containers = containers

    def containers(self, labels: object, *, all: bool = True) -> list[ContainerInfo]:
        return self._containers


def test_orphans_are_instances_whose_every_folder_is_gone_and_not_test_runs(tmp_path: Path) -> None:
    live = _project(tmp_path / "shop")
    gone = str(tmp_path / "removed")
    reads = _Reads(
        [
            _container("default", str(live.root)),
            _container("login", gone),
            _container("login", gone, "db"),
            _container("mixed", gone),
            _container("mixed", str(live.root), "db"),
            _container("test-1a2b3c4d", gone, **L.owner_labels(os.getpid(), "here")),
            _container("legacy", None),
        ]
    )
    assert orphaned_instances(reads, "shop") == ["login"]  # type: ignore[arg-type]
