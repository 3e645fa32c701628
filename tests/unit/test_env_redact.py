"""The redaction helper: raw values, their JSON/repr forms, overlaps, short values."""

from __future__ import annotations

import json

from devenv.envvars import Redactor
from devenv.envvars.redact import tier


def test_replaces_every_occurrence():
    r = Redactor(["hunter22"])
    assert r.redact("pw=hunter22; again hunter22") == "pw=***; again ***"


def test_longest_first_so_overlapping_secrets_mask_fully():
    r = Redactor(["abc", "abcdef"])
    assert r.redact("x abcdef y abc") == "x *** y ***"


def test_json_escaped_and_multiline_forms():
    secret = 'line one "q"\nline-two\\x'
    r = Redactor([secret])
    doc = json.dumps({"v": secret, "msg": f"got {secret}"})
    out = r.redact(doc)
    assert "line one" not in out and "line-two" not in out
    assert json.loads(out) == {"v": "***", "msg": "got ***"}


def test_short_and_empty_values_are_left_alone_in_free_text():
    r = Redactor(["", "ab", "abc"])
    assert r.redact("ab abc") == "ab ***"
    assert Redactor([]).redact("anything") == "anything"


def test_regex_metacharacters_are_literal():
    assert Redactor(["a.b*c(d"]).redact("aXbbc a.b*c(d") == "aXbbc ***"


def test_a_common_word_secret_leaves_unrelated_text_alone():
    r = Redactor(["postgres", "secret"])
    for text in (
        "postgres-entrypoint: creating the cluster in /var/lib/postgresql/data",
        "wrote 1 secret value(s) to .devenv/secrets.env (gitignored)",
        'note: "postgres:15-alpine" → "postgres:latest", the team catalog\'s postgres',
        "secrets file .devenv/secrets.env:2",
        "images/postgres/Dockerfile",
    ):
        assert r.redact(text) == text


def test_a_common_word_secret_is_masked_where_it_stands_as_a_value():
    r = Redactor(["postgres", "Secret"])
    assert r.redact("POSTGRES_PASSWORD=postgres") == "POSTGRES_PASSWORD=***"
    assert r.redact("--password='postgres' -U app") == "--password='***' -U app"
    assert r.redact("postgres://app:postgres@db:5432/app") == "postgres://app:***@db:5432/app"
    assert r.redact('{"user": "app", "pw": "Secret"}') == '{"user": "app", "pw": "***"}'
    assert r.redact("Password: Secret.") == "Password: ***."
    assert r.redact("db_password = postgres") == "db_password = ***"
    assert r.redact("  postgres\n") == "  ***\n"  # the whole line is the value


def test_a_short_secret_is_masked_as_a_token_not_inside_longer_words():
    r = Redactor(["x7Kq2"])
    assert r.redact("got x7Kq2. then (x7Kq2) and id=x7Kq2") == "got ***. then (***) and id=***"
    assert r.redact("x7Kq2x ax7Kq2 x7Kq2.txt /x7Kq2/ x7Kq2:5432") == "x7Kq2x ax7Kq2 x7Kq2.txt /x7Kq2/ x7Kq2:5432"


def test_a_long_secret_is_masked_everywhere_even_inside_words():
    r = Redactor(["hunter2hunter2"])
    assert r.redact("ahunter2hunter2b /hunter2hunter2/") == "a***b /***/"


def test_how_free_text_is_searched_for_a_value():
    assert [tier(v) for v in ("postgres", "Password", "admin", "x7Kq2", "abc", "hunter22", "correct-horse")] == [
        "value", "value", "value", "token", "token", "anywhere", "anywhere",
    ]  # fmt: skip
