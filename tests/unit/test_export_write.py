"""Writing an export: a file devenv export did not write is never replaced without --force, the
files are replaced as a whole (all or none, interrupts held back), and every exported file says
in its header that devenv wrote it (that header is what lets the next export replace it)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.errors import ConfigError
from devenv.export import export_compose, export_k8s
from devenv.export.swarm import export_swarm
from devenv.ops import export as ops_export

DIGEST = "127.0.0.1:5555/busybox@sha256:" + "c" * 64
HAND_WRITTEN = "# our production compose file\nservices:\n  web:\n    image: shop:prod\n"
PROJECT = """\
[project]
name = "shop"

[services.web]
image = "busybox:test"
command = ["httpd", "-f"]
ports = ["8000:8000"]
volumes = ["uploads:/srv/uploads"]
"""


def _project(tmp_path: Path):
    return parse_project(PROJECT, tmp_path / "devenv.toml")


def test_every_exported_file_carries_the_mark(tmp_path: Path) -> None:
    project = _project(tmp_path)
    files = {
        "docker-compose.yml": export_compose(project, images={"web": DIGEST}, envs={}),
        "docker-stack.yml": export_swarm(project, images={"web": DIGEST}, envs={}),
        **export_k8s(project, images={"web": DIGEST}, envs={}),
    }
    assert {"service-web.yaml", "pvc-uploads.yaml"} <= set(files)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        assert ops_export.written_by_devenv(tmp_path / name), name


def test_a_hand_written_compose_file_is_kept(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(HAND_WRITTEN)
    with pytest.raises(ConfigError) as caught:
        ops_export.write_export(tmp_path, {"docker-compose.yml": "# Exported by `devenv export compose`\n"})
    assert (
        caught.value.message
        == f"{tmp_path / 'docker-compose.yml'} was not written by devenv export: it is kept"
    )
    assert "--force" in (caught.value.hint or "")
    assert (tmp_path / "docker-compose.yml").read_text() == HAND_WRITTEN


def test_a_mark_below_the_leading_comments_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: x\n# Exported by `devenv export k8s`\n")
    assert not ops_export.written_by_devenv(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_bytes(b"\xff\xfe\x00binary")
    assert not ops_export.written_by_devenv(tmp_path / "b.yaml")


def test_a_devenv_written_file_is_replaced_and_force_replaces_any(tmp_path: Path) -> None:
    new = "# Exported by `devenv export compose` (new)\nservices: {}\n"
    (tmp_path / "docker-compose.yml").write_text(
        "# Exported by `devenv export compose` (old)\nservices: {}\n"
    )
    ops_export.write_export(tmp_path, {"docker-compose.yml": new})
    assert (tmp_path / "docker-compose.yml").read_text() == new
    (tmp_path / "docker-compose.yml").write_text(HAND_WRITTEN)
    ops_export.write_export(tmp_path, {"docker-compose.yml": new}, force=True)
    assert (tmp_path / "docker-compose.yml").read_text() == new


def test_one_hand_written_file_among_many_keeps_all_of_them(tmp_path: Path) -> None:
    mark = "# Service x, exported by `devenv export k8s`.\n"
    (tmp_path / "deployment-web.yaml").write_text(mark + "old\n")
    (tmp_path / "service-web.yaml").write_text("hand: written\n")
    files = {"deployment-web.yaml": mark + "new\n", "service-web.yaml": mark + "new\n", "pvc-a.yaml": mark}
    with pytest.raises(ConfigError, match=r"service-web.yaml was not written by devenv export"):
        ops_export.write_export(tmp_path, files)
    assert (tmp_path / "deployment-web.yaml").read_text() == mark + "old\n"
    assert not (tmp_path / "pvc-a.yaml").exists()
    assert sorted(os.listdir(tmp_path)) == ["deployment-web.yaml", "service-web.yaml"]


def test_a_failed_rename_puts_every_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = "# exported by `devenv export k8s`.\n"
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(mark + f"old {name}\n")
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_replace)
    files = {name: mark + f"new {name}\n" for name in ("a.yaml", "b.yaml", "c.yaml", "d.yaml")}
    with pytest.raises(ConfigError) as caught:
        ops_export.write_export(tmp_path, files)
    assert "no file was replaced" in caught.value.message
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        assert (tmp_path / name).read_text() == mark + f"old {name}\n"
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]  # no d.yaml, no staging folder


def test_an_interrupt_during_the_renames_lands_after_all_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    sent: list[bool] = []

    def interrupting_replace(src: object, dst: object) -> None:
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first and second rename
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", interrupting_replace)
    mark = "# exported by `devenv export k8s`.\n"
    files = {f"{n}.yaml": mark + n for n in "abcd"}
    with pytest.raises(KeyboardInterrupt):
        ops_export.write_export(tmp_path, files)
    assert {n: (tmp_path / n).read_text() for n in files} == files


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        ops_export.write_export(tmp_path / "file" / "out", {"a.yaml": "x"})
    assert caught.value.message == (
        f"{tmp_path / 'file' / 'out'}: cannot write the export there (Not a directory); no file was replaced"
    )
    assert "-o" in (caught.value.hint or "")
