"""Log streams arrive in chunks cut anywhere; services see whole lines."""

from __future__ import annotations

from devenv.engine.logs import lines_of


def test_lines_cut_across_chunks_come_out_whole() -> None:
    chunks = [b"sta", b"rting\r\nre", b"ady\n\npartial"]
    assert list(lines_of(chunks)) == ["starting", "ready", "", "partial"]


def test_a_character_split_between_chunks_is_kept() -> None:
    text = "grüße\n".encode()
    cut = text.index("ü".encode()) + 1  # inside the two bytes of ü
    assert list(lines_of([text[:cut], text[cut:]])) == ["grüße"]


def test_nothing_in_nothing_out() -> None:
    assert list(lines_of([])) == [] and list(lines_of([b""])) == []
