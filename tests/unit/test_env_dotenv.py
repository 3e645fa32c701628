"""dotenv parsing against the cases the docker compose env-file page documents, plus errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devenv.envvars.dotenv import parse_dotenv
from devenv.envvars.interpolate import InterpolationError, interpolate
from devenv.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "env"

# key -> value, as docs.docker.com/compose/environment-variables/env-file/ states for each form
COMPOSE_DOCUMENTED = {
    "PLAIN": "VAL",
    "DQ": "VAL",
    "SQ": "VAL",
    "INLINE": "VAL",
    "NOT_COMMENT": "VAL# not a comment",
    "DQ_HASH": "VAL # not a comment",
    "DQ_COMMENT": "VAL",
    "SQ_LITERAL": "$OTHER",
    "SQ_LITERAL_BRACED": "${OTHER}",
    "SQ_ESCAPED_QUOTE": "Let's go!",
    "DQ_JSON": '{"hello": "json"}',
    "DQ_TAB": "some\tvalue",
    "SQ_TAB": "some\\tvalue",
    "UQ_TAB": "some\\tvalue",
    "DQ_NEWLINE": "some\nvalue",
    "DQ_MULTI": "some\nvalue",
    "SQ_MULTI": "some\nvalue",
    "EXPORTED": "yes",
    "OTHER": "other",
    "INTERP": "other",
    "INTERP_PLAIN": "other/x",
    "DEFAULT_UNSET": "fallback",
    "DEFAULT_EMPTY_COLON": "fallback",  # EMPTY is not set yet here
    "DEFAULT_EMPTY_NOCOLON": "fallback",
    "EMPTY": "",
    "DEFAULT_EMPTY_COLON2": "fallback",  # set but empty: `:-` substitutes
    "DEFAULT_EMPTY_NOCOLON2": "",  # set but empty: `-` keeps ""
    "ALT_SET": "alt",
    "ALT_UNSET": "",
    "NESTED": "other",
    "DOLLAR": "$OTHER",
    "DQ_INTERP": "pre-other-post",
    "SPACED": "spaced value",
}


def parse(text: str, lookup=None):
    return parse_dotenv(text, "app.env", lookup)


def as_dict(text: str, lookup=None) -> dict:
    return {e.key: e.value for e in parse(text, lookup).entries}


def test_corpus_matches_compose_documentation():
    result = parse_dotenv((FIXTURES / "basic.env").read_text(), "basic.env")
    assert {e.key: e.value for e in result.entries} == COMPOSE_DOCUMENTED
    assert result.warnings == []


def test_corpus_lines_are_the_lines_of_the_keys():
    lines = {e.key: e.line for e in parse_dotenv((FIXTURES / "basic.env").read_text(), "basic.env").entries}
    assert lines["PLAIN"] == 2
    assert lines["SQ_MULTI"] == 19  # a multi-line value is attributed to its first line
    assert lines["EXPORTED"] == 21


def test_later_duplicate_wins_and_earlier_value_feeds_interpolation():
    assert as_dict("A=1\nB=${A}\nA=2\nC=$A\n") == {"A": "2", "B": "1", "C": "2"}


def test_unset_variable_defaults_to_blank_with_a_warning_naming_the_line():
    result = parse("A=x\nB=${MISSING}-y\n")
    assert result.entries[1].value == "-y"
    assert result.warnings == ["app.env:2: the MISSING variable is not set, defaulting to a blank string"]


def test_lookup_is_consulted_after_the_file():
    assert as_dict("A=$X/$Y\nY=file\nB=$Y", {"X": "ext", "Y": "ext"}.get) == {
        "A": "ext/ext",
        "Y": "file",
        "B": "file",
    }


def test_bare_key_is_inherited_from_the_lookup():
    entries = parse("HOME\nOTHER\n", {"HOME": "/root"}.get).entries
    assert [(e.key, e.value, e.inherited) for e in entries] == [
        ("HOME", "/root", True),
        ("OTHER", None, True),
    ]


def test_crlf_bom_and_escaped_dollar():
    assert as_dict('\ufeffA=1\r\nB="\\$A ${A}"\r\n') == {"A": "1", "B": "$A 1"}


def test_empty_values_and_a_hash_right_after_equals():
    # compose-go cuts an unquoted value at " #" only after the value starts: `D= # x` is "# x"
    assert as_dict("A=\nB=\"\"\nC=''\nD= # only a comment\nE=#hash\nF=v # c\n") == {
        "A": "",
        "B": "",
        "C": "",
        "D": "# only a comment",
        "E": "#hash",
        "F": "v",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('A=1\nB="never closed\nC=3\n', 'app.env:2: unterminated quoted value (no closing ")'),
        ("A B=1\n", "app.env:1: key cannot contain a space"),
        ("A=1\nb$d=2\n", "app.env:2: unexpected character '$' in variable name"),
        ("A=${B:?B is required}\n", "app.env:1: required variable B is missing a value: B is required"),
        ("A=${B?}\n", "app.env:1: required variable B is missing a value"),
        ("A=${B\n", "app.env:1: Invalid template"),
        ("A=${B/x/y}\n", "app.env:1: Invalid template"),
    ],
)
def test_errors_name_file_and_line(text, message):
    with pytest.raises(ConfigError) as err:
        parse(text)
    assert str(err.value).startswith(message)
    assert err.value.hint


def test_errors_never_echo_the_offending_line():
    # The secrets file is parsed with the same code: an error must not print its contents.
    for text in ('TOKEN="s3cr3t-value\n', "TOKEN=${s3cr3t\n", "TOKEN=s3cr3t\ns3cr3t!=1\n"):
        with pytest.raises(ConfigError) as err:
            parse(text)
        assert "s3cr3t" not in str(err.value) + str(err.value.hint)


@pytest.mark.parametrize(
    ("template", "env", "expected"),
    [
        ("${A:-${B:-deep}}", {}, "deep"),
        ("${A?$B}", {"A": "a"}, "a"),
        ("$$A $A", {"A": "1"}, "$A 1"),
        ("cost: $5 and $", {}, "cost: $5 and $"),
        ("${A+set}|${A:+nonempty}", {"A": ""}, "set|"),
    ],
)
def test_interpolation_forms(template, env, expected):
    assert interpolate(template, env.get) == expected


def test_required_message_is_itself_interpolated():
    with pytest.raises(InterpolationError, match="need A for B"):
        interpolate("${A:?need A for $B}", {"B": "B"}.get)


def _double_quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
)
def test_any_value_survives_double_quoting(value):
    assert as_dict(f"K={_double_quote(value)}\n") == {"K": value}


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\\\x00\r"), max_size=40
    )
)
def test_single_quoted_values_are_literal(value):
    assert as_dict(f"K='{value}'\n") == {"K": value}
