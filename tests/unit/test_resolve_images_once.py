"""The no-op check of `up` asks the engine for each image once, however many services run it
(a stack of fifty busybox workers is one inspect, not fifty). A stand-in engine counts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from devenv.config.load import load_project
from devenv.engine.records import ImageInfo
from devenv.reconcile.resolve import local_services, resolve_envs


class Reads:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def inspect_image(self, reference: str) -> Optional[ImageInfo]:
        self.asked.append(reference)
        return ImageInfo("sha256:" + "1" * 64, (f"{reference.split(':')[0]}@sha256:{'2' * 64}",), {})

    def is_podman(self) -> bool:  # Docker: an image's one repository digest is the registry's
        return False


def test_fifty_services_of_one_image_are_one_inspect(tmp_path: Path) -> None:
    parts = ['[project]\nname = "p"\n']
    for n in range(50):
        parts.append(f'[services.w{n:02d}]\nimage = "reg.example/busybox:1"\ncommand = ["sleep", "1d"]\n')
    parts.append('[services.other]\nimage = "reg.example/python:3"\n')
    (tmp_path / "devenv.toml").write_text("\n".join(parts))
    project = load_project(tmp_path, explicit=True)
    reads = Reads()
    resolution = local_services(reads, project, project.services, resolve_envs(project, project.services, None))  # type: ignore[arg-type]
    assert sorted(reads.asked) == ["reg.example/busybox:1", "reg.example/python:3"]
    assert len(resolution.services) == 51
    assert resolution.services["w49"].image_id == resolution.services["w00"].image_id
