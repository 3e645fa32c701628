"""Each devenv.toml key is declared once (devenv/config/schema.py): its declaration fills the model
record's field (`Record.build`), so the records and the declarations must agree, field by field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devenv.config import model, schema
from devenv.config.loader import parse_project
from devenv.config.schema import HEALTH
from devenv.config.types import Key, Record

RECORDS: list[Record[Any]] = [v for v in vars(schema).values() if isinstance(v, Record)]


def test_every_model_record_is_filled_from_declarations() -> None:
    records = {v for v in vars(model).values() if isinstance(v, type) and hasattr(v, "_fields")}
    assert {r.model for r in RECORDS} == records


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.model.__name__)
def test_each_field_is_filled_by_one_key_or_named_extra(record: Record[Any]) -> None:
    fields = [key.field for key in record.keys] + list(record.extra)
    assert sorted(fields) == sorted(record.model._fields)  # type: ignore[attr-defined]


def _defaults(record: Record[Any]) -> Iterator[tuple[Key, Any]]:
    for key in record.keys:
        if not key.custom and key.default is not None:
            yield key, key.type.to_model(key.type.check(key.default))


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.model.__name__)
def test_the_records_defaults_are_the_declared_ones(record: Record[Any]) -> None:
    """A written default and an unset key give the same record: the record's own default is the
    declared default, normalized (`"1s"` → 1.0); a key without one may be unset only if the record
    has a default for it."""
    own = record.model._field_defaults  # type: ignore[attr-defined]
    for key, declared in _defaults(record):
        if key.field in own:
            assert own[key.field] == declared, f"{record.model.__name__}.{key.field}"
    for key in record.keys:
        if not key.custom and not key.required and key.default is None:
            assert key.field in own, f"{record.model.__name__}.{key.field} needs a default: the key may be unset"


def test_build_fills_fields_by_their_declared_names() -> None:
    checked = HEALTH.check({"cmd": "true", "interval": "2s", "start_period": "1m"})
    assert HEALTH.build(checked) == model.Health(("/bin/sh", "-c", "true"), 2.0, 5.0, 30, 60.0)


def test_a_file_spelling_out_every_default_loads_as_the_empty_one(tmp_path: Path) -> None:
    """Every declared default written out gives the record an unset key gives."""
    (tmp_path / "ctx").mkdir()
    bare = '[services.web]\nimage = "x"\nbuild = "ctx"\nhealth = { cmd = "true" }\nwatch = {}\n'
    spelled = (
        '[project]\nstop_timeout = "1s"\ninstance_per_worktree = true\n'
        '[services.web]\nimage = "x"\nread_only = false\nprivileged = false\ndocker_socket = false\n'
        "supervise = true\n"
        'build = { context = "ctx", dockerfile = "Dockerfile" }\n'
        'health = { cmd = "true", interval = "1s", timeout = "5s", retries = 30, start_period = "0s" }\n'
        'watch = { action = "restart", max_wait_ms = 2000, restart_after_exec = false, include_ignored = false, '
        "preload = false }\n"
        '[env]\ndefault_profile = "dev"\n[env.profiles.dev]\nplaceholder_secrets = false\n'
        '[volumes.v]\ndriver = "local"\nexternal = false\n'
    )
    bare += '[env.profiles.dev]\n[volumes.v]\n'
    path = tmp_path / "devenv.toml"
    one, other = parse_project(bare, path), parse_project(spelled, path)
    assert one._replace(services=()) == other._replace(services=())
    assert one.services[0]._replace(line=0) == other.services[0]._replace(line=0)
