"""The JSON Schema (from the same declarations as the loader) accepts what the loader accepts."""

from __future__ import annotations

import sys
from pathlib import Path

import jsonschema
import pytest

from devenv.config.reference import json_schema, markdown

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", ["examples/shop/devenv.toml", "devenv.toml"])
def test_shipped_files_validate(validator, path: str) -> None:
    validator.validate(tomllib.loads((ROOT / path).read_text()))


@pytest.mark.parametrize(
    "doc",
    [
        {"services": {"web": {"image": "x", "portz": []}}},
        {"services": {"web": {"image": "x", "ports": [True]}}},
        {"services": {"web": {"image": "x", "watch": {"action": "reload"}}}},
        {"services": {"Web!": {"image": "x"}}},
        {"project": {"stop_timeout": "soon"}},
    ],
)
def test_schema_rejects_what_the_loader_rejects(validator, doc: dict) -> None:
    assert list(validator.iter_errors(doc))


def test_reference_page_is_current() -> None:
    assert (ROOT / "docs" / "config-reference.md").read_text() == markdown(), (
        "docs/config-reference.md is stale: run `devenv config reference > docs/config-reference.md`"
    )
