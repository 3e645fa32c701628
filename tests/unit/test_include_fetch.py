"""How `stack =` includes are fetched, without a registry (fetch_stack stood in for): the stack
includes of one file that need the registry are asked side by side, and a failure is still
raised in the file's order, naming its include."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.errors import RegistryNotFound
from devenv.include.expand import RealFetch, expand_with
from devenv.registry import stack_fetch
from devenv.registry.stack_artifact import StackConfig
from devenv.registry.stack_fetch import FetchedStack

NAMES = ("a", "b", "c")


def product(tmp: Path) -> Path:
    root = tmp / "shop"
    root.mkdir()
    body = '[project]\nname = "shop"\nregistry = "reg.team:5000"\n'
    body += "".join(f'[include.{n}]\nstack = "{n}:1"\n' for n in NAMES)
    (root / "devenv.toml").write_text(body + '[services.web]\nimage = "busybox"\ncommand = ["sleep", "1d"]\n')
    return root


def published(tmp: Path, name: str) -> FetchedStack:
    folder = tmp / "cache" / name
    folder.mkdir(parents=True)
    (folder / "devenv.toml").write_text(
        f'[project]\nname = "{name}"\n[services.{name}]\nimage = "x"\ncommand = ["sleep", "1d"]\n'
    )
    digest = "sha256:" + name * 64
    return FetchedStack(folder, digest, StackConfig(name, "r", {name: f"reg.team:5000/{name}@{digest}"}))


def test_the_stack_includes_of_a_file_are_fetched_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stand-in fetch waits until all three are asked: one after another, the first would
    wait for ever (the barrier breaks after 30 s instead)."""
    stacks = {n: published(tmp_path, n) for n in NAMES}
    barrier = threading.Barrier(len(NAMES), timeout=30)

    def fetch(ref, where, *, pinned=None, environ=None):  # type: ignore[no-untyped-def]
        barrier.wait()
        return stacks[ref.repository]

    monkeypatch.setattr(stack_fetch, "fetch_stack", fetch)
    own = load_project(product(tmp_path), explicit=True)
    fetcher = RealFetch(own, refresh=True, use_lock=False)
    project = expand_with(own, fetcher)
    assert [s.name for s in project.includes] == list(NAMES)
    assert project.service("b").image == f"reg.team:5000/b@sha256:{'b' * 64}"
    assert {n: pin[2] for n, pin in fetcher.stacks.items()} == {n: stacks[n].digest for n in NAMES}


def test_a_failure_is_raised_in_the_files_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """b and c both fail: b's error is the one raised, naming include.b."""
    stacks = {n: published(tmp_path, n) for n in NAMES}

    def fetch(ref, where, *, pinned=None, environ=None):  # type: ignore[no-untyped-def]
        if ref.repository != "a":
            raise RegistryNotFound(f"{where}: not found in registry {ref.registry}")
        return stacks[ref.repository]

    monkeypatch.setattr(stack_fetch, "fetch_stack", fetch)
    own = load_project(product(tmp_path), explicit=True)
    with pytest.raises(RegistryNotFound, match=r"devenv.toml:\d+ include\.b: not found"):
        expand_with(own, RealFetch(own, refresh=True, use_lock=False))


def test_a_linked_include_the_lock_pins_needs_no_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """b is linked to a checkout and pinned (as devenv.lock pins it): it runs from the checkout
    and nothing asks the registry for it (a developer offline on b); a and c are fetched."""
    from devenv.include.links import write_links
    from devenv.registry.reference import resolve_image

    stacks = {n: published(tmp_path, n) for n in NAMES}
    asked: list[str] = []

    def fetch(ref, where, *, pinned=None, environ=None):  # type: ignore[no-untyped-def]
        asked.append(ref.repository)
        return stacks[ref.repository]

    def stack_ref(self, stack, includer):  # type: ignore[no-untyped-def]
        ref = resolve_image(stack, "reg.team:5000")
        return ref, stacks[ref.repository].digest  # each pinned, as by the lock

    monkeypatch.setattr(stack_fetch, "fetch_stack", fetch)
    monkeypatch.setattr(stack_fetch, "cached", lambda digest: None)  # none cached: the registry
    monkeypatch.setattr(RealFetch, "_stack_ref", stack_ref)
    root = product(tmp_path)
    checkout = tmp_path / "b-checkout"
    checkout.mkdir()
    (checkout / "devenv.toml").write_text('[project]\nname = "b"\n[services.b]\nimage = "y"\ncommand = ["sleep", "1d"]\n')
    write_links(root, {"b": checkout})
    own = load_project(root, explicit=True)
    fetcher = RealFetch(own)
    project = expand_with(own, fetcher)
    assert sorted(asked) == ["a", "c"]
    assert project.service("b").image.endswith("/y:latest")  # the checkout's own devenv.toml
    assert fetcher.stacks["b"][2] == stacks["b"].digest  # the released pin, kept for unlink
