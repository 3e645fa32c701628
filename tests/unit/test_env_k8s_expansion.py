"""The kubelet's `$(VAR)` expansion against Kubernetes' own test vectors (tests/unit/vectors)."""

from __future__ import annotations

import pytest

from devenv.envvars.expansion import expand, expand_text
from devenv.envvars.model import Piece
from tests.unit.vectors.k8s_expand import CASES, CONTEXT, MAP_REFERENCE_ENV, MAP_REFERENCE_EXPECTED


def test_all_upstream_vectors_are_here() -> None:
    assert len(CASES) == 37


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expand_test_go(name: str, text: str, expected: str) -> None:
    assert expand_text(text, CONTEXT) == expected


def test_map_reference_expands_in_order_against_earlier_values() -> None:
    declared = dict(MAP_REFERENCE_ENV)
    for key, raw in MAP_REFERENCE_ENV:
        declared[key] = expand_text(raw, declared)
    assert declared == MAP_REFERENCE_EXPECTED


def test_pieces_remember_which_variable_gave_which_text() -> None:
    def lookup(name: str) -> Piece | None:
        return Piece(CONTEXT[name], name, name == "VAR_B") if name in CONTEXT else None

    assert expand("x$(VAR_A)$$(VAR_B)-$(VAR_B)$(NOPE)", lookup) == (
        Piece("x"),
        Piece("A", "VAR_A"),
        Piece("$(VAR_B)-"),
        Piece("B", "VAR_B", True),
        Piece("$(NOPE)"),
    )
