"""A missing tag's message shows the tags that look like it first, then `latest`."""

from __future__ import annotations

from devenv.registry.tag_hints import nearest_first, shown_tags


def test_tags_close_to_the_one_asked_for_come_first_then_latest() -> None:
    tags = [f"fresh-{n:02d}" for n in range(20)] + ["14-alpine", "16-bookworm", "latest", "main", "test"]
    ranked = nearest_first("15-alpine", tags)
    assert ranked[:2] == ["14-alpine", "latest"]
    assert sorted(ranked) == sorted(tags)  # reordered, none lost
    assert nearest_first("15-alpine", ["16-alpine", "14-alpine"]) == ["16-alpine", "14-alpine"]  # ties keep order


def test_without_a_close_tag_latest_leads_and_the_registry_order_stays() -> None:
    assert nearest_first("15-alpine", ["main", "latest", "dev"]) == ["latest", "main", "dev"]
    assert nearest_first("15-alpine", ["main", "dev"]) == ["main", "dev"]


def test_the_closest_of_several_comes_first() -> None:
    assert nearest_first("3.12-slim", ["3.11", "3.12", "3.11-slim", "3.12-slim-bookworm"])[:3] == [
        "3.11-slim", "3.12-slim-bookworm", "3.12",
    ]


def test_a_long_list_says_how_many_there_are() -> None:
    tags = [str(n) for n in range(15)]
    assert shown_tags(tags) == ", ".join(tags[:12]) + ", … (15 in all)"
    assert shown_tags(tags[:12]) == ", ".join(tags[:12])
