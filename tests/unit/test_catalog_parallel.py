"""Catalog builds run side by side once their parent is ready, and their progress renders as
plain lines (no control codes) off a terminal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devenv.cli.output import Output
from devenv.cli.progress import BuildBoard
from devenv.engine.records import Message
from devenv.images import publish
from devenv.images.catalog import BuildPlan
from devenv.registry.pull import PullEvent


def _plan(name: str, parent: str | None = None) -> BuildPlan:
    return BuildPlan(name, f"images/{name}", f"127.0.0.1:5555/{name}", ("main",), "a" * 40, False, (), parent, name)


class _Engine:
    """Builds `python` and `postgres` only when both are building at once (a barrier)."""

    def __init__(self) -> None:
        self.siblings = threading.Barrier(2, timeout=20)
        self.log: list[str] = []
        self.lock = threading.Lock()

    def build(self, *, tag: str, **_: Any) -> Iterator[Message]:
        name = tag.rpartition("/")[2].partition(":")[0]
        with self.lock:
            self.log.append(f"start {name}")
        if name != "base":
            self.siblings.wait()  # a one-at-a-time build never gets past this: BrokenBarrierError
        yield Message("", None, None, None, "Step 1/2 : FROM x\n", None, {})
        with self.lock:
            self.log.append(f"end {name}")
        yield Message("", None, None, None, "", None, {"ID": f"sha256:{name}"})

    def tag(self, image: str, repository: str, tag: str) -> None:
        pass


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish.gitexport, "repo_root", lambda root: root)
    monkeypatch.setattr(publish.gitexport, "source_url", lambda root, environ: None)
    monkeypatch.setattr(publish.gitexport, "archive_head", lambda root, relpath, rev: b"")
    monkeypatch.setattr(publish, "_already_built", lambda engine, plan, environ: None)


def test_siblings_build_together_after_their_parent(offline: None, tmp_path: Path) -> None:
    engine = _Engine()
    project: Any = type("P", (), {"root": tmp_path})()
    events: list[publish.ImageEvent] = []
    plans = [_plan("base"), _plan("postgres", "base"), _plan("python", "base")]
    built, _ = publish.build_images(engine, project, plans, events=events.append)  # type: ignore[arg-type]
    assert [b.plan.name for b in built] == ["base", "postgres", "python"]
    assert engine.log[:2] == ["start base", "end base"]
    assert sorted(engine.log[2:4]) == ["start postgres", "start python"]  # both began before either ended
    done = [(e.name, e.phase) for e in events]
    assert done.index(("base", "done")) < done.index(("python", "building"))


def test_a_failed_parent_starts_none_of_its_children(offline: None, tmp_path: Path) -> None:
    engine = _Engine()

    def broken(*, tag: str, **_: Any) -> Iterator[Message]:
        engine.log.append(tag)
        yield Message("", None, None, None, "", "no space left", {})

    engine.build = broken  # type: ignore[method-assign]
    project: Any = type("P", (), {"root": tmp_path})()
    plans = [_plan("base"), _plan("postgres", "base"), _plan("python", "base")]
    with pytest.raises(publish.DevenvError, match="no space left"):
        publish.build_images(engine, project, plans)  # type: ignore[arg-type]
    assert engine.log == ["127.0.0.1:5555/base:src-base"]


def test_plain_progress_has_no_control_codes(capsys: pytest.CaptureFixture[str]) -> None:
    board = BuildBoard(Output(), live=False)
    board.event(publish.ImageEvent("python", "building"))
    board.build_line("python", "Step 2/7 : RUN apt-get install -y python3")
    board.push_event(PullEvent("127.0.0.1:5555/python:main", "abc123", "Pushing", 10, 100))
    board.push_event(PullEvent("127.0.0.1:5555/python:main", "abc123", "Pushed", None, None))
    board.event(publish.ImageEvent("python", "done", 31.2, "built"))
    board.finish()
    err = capsys.readouterr().err
    assert "\033" not in err and "\r" not in err
    assert err.splitlines() == [
        "  python: started",
        "  python: step 2/7 RUN apt-get install -y python3",
        "  python ✔ 31 s (built)",
    ]


def test_live_progress_redraws_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    board = BuildBoard(Output(), live=True)
    board.event(publish.ImageEvent("python", "building"))
    board.push_event(PullEvent("127.0.0.1:5555/python:main", "abc123", "Pushing", 10, 100))
    board.event(publish.ImageEvent("python", "done", 3.0, "built"))
    err = capsys.readouterr().err
    assert "\rpython pushing 0/1 layers 10 B/100 B" in err.replace("\r  ", "\r")
    assert err.endswith("python ✔ 3 s (built)\n")
