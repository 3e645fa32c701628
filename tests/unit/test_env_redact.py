"""The redaction helper: raw values, their JSON/repr forms, overlaps, short values."""

from __future__ import annotations

import json

from devenv.envvars import Redactor


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
