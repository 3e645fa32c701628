from __future__ import annotations

from devenv.cli.output import Output
from devenv.cli.progress import TransferProgress, human_bytes
from devenv.registry.pull import PullEvent

IMG = "127.0.0.1:5555/app:1@sha256:" + "a" * 64


def test_plain_progress_prints_one_line_per_layer_and_a_byte_total(capsys) -> None:
    progress = TransferProgress(Output())
    for event in [
        PullEvent(IMG, "sha256:" + "a" * 64, "Pulling from app"),
        PullEvent(IMG, "l1", "Pulling fs layer"),
        PullEvent(IMG, "l2", "Already exists"),
        PullEvent(IMG, "l1", "Downloading", 1000, 2_500_000),
        PullEvent(IMG, "l1", "Downloading", 2_500_000, 2_500_000),
        PullEvent(IMG, "l1", "Pull complete"),
    ]:
        progress(event)
    progress.finish()
    assert capsys.readouterr().err.splitlines() == [
        "  l2: already exists (cached)",
        "  l1: pull complete (2.5 MB)",
        f"pulled {IMG}: 2 layers, 2.5 MB transferred",
    ]


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (None, 12, 1500, 2_000_000_000)] == ["?", "12 B", "1.5 kB", "2.0 GB"]
