"""A container's config hash is the SHA-256 of its hash document dumped as JSON with sorted
keys; `_digests` builds that JSON from its parts' dumps. The hashes must stay what they were, or
every running container of every user would be recreated on upgrade."""

import hashlib
import json
from pathlib import PurePosixPath
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from devenv.reconcile.desired import _digests

LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
VALUE = st.recursive(
    LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
)


def _sha(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@given(st.dictionaries(st.text(max_size=8), VALUE, max_size=6))
def test_whole_and_parts_as_dumped_whole(doc: dict[str, Any]) -> None:
    whole, parts = _digests(doc)
    assert whole == _sha(doc)
    assert parts == {key: _sha(value) for key, value in doc.items()}


def test_a_hash_document_of_the_kind_up_makes() -> None:
    doc = {
        "v": 1,
        "image": "sha256:" + "ab" * 32,
        "command": ["python3", "-m", "shop"],
        "env": "e" * 16,
        "mounts": [{"source": PurePosixPath("/src/é"), "target": "/app", "read_only": False}],
        "ports": [{"host": 8000, "container": 8000, "protocol": "tcp"}],
        "health": None,
        "labels": {"dev.devenv.project": "shop", "ünï": "\u2028"},
    }
    assert _digests(doc)[0] == _sha(doc)
