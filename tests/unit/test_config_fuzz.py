"""Property-based fuzzing of the loader: whatever the text, `parse_project` returns a Project or
raises one ConfigError whose message is one line naming the file (and, for a key, its line).
Never another exception — that would reach the user as an internal error.

Examples are bounded for CI; DEVENV_FUZZ_EXAMPLES raises the count for a long local run.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devenv.config.load import load_project
from devenv.config.loader import parse_project
from devenv.errors import ConfigError

EXAMPLES = int(os.environ.get("DEVENV_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_KEY = r'(?:[^\s":]|"(?:[^"\\]|\\.)*")+'  # dotted key; quoted parts may hold spaces and colons
_MESSAGE = re.compile(rf"\S*devenv\.toml(?::(?P<line>\d+))?(?: (?P<key>{_KEY}))?: \S.*")
PATH = Path("/nonexistent-devenv-fuzz/devenv.toml")  # data/build paths below it never exist


def check(text: str) -> None:
    """The property: a Project, or one clean ConfigError line."""
    try:
        parse_project(text, PATH)
    except ConfigError as err:
        message = err.message
        assert "\n" not in message, message
        match = _MESSAGE.fullmatch(message)
        assert match, message
        if "invalid TOML" in message:
            assert match["line"], f"a syntax error without a line: {message}"
        elif match["key"]:
            assert match["line"] and int(match["line"]) > 0, f"a key error without a line: {message}"


# --- 1. any text at all ---------------------------------------------------------------


@FUZZ
@given(st.text())
def test_any_text(text: str) -> None:
    check(text)


TOML_ALPHABET = st.sampled_from([*"[]{}=\"'.,#\n =abcsvrieport0189:-_\\", "services", "web", "image"])


@FUZZ
@given(st.lists(TOML_ALPHABET, max_size=80).map("".join))
def test_toml_shaped_noise(text: str) -> None:
    check('[services.web]\nimage = "x"\n' + text)


# --- 2. valid documents with one part broken --------------------------------------------

VALID: dict[str, Any] = {
    "project": {"name": "shop", "stop_timeout": "1s"},
    "env": {"default_profile": "dev", "profiles": {"dev": {"set": {"A": "1"}, "unset": ["B"]}}},
    "services": {
        "web": {
            "image": "busybox:test",
            "command": ["httpd", "-f"],
            "ports": ["8000:8080", {"container": 9000, "host": 9001}],
            "code": "/app",
            "volumes": ["uploads:/srv/uploads"],
            "depends_on": ["db"],
            "environment": {"MODE": "dev"},
            "watch": {"paths": ["src/"], "action": "restart", "debounce_ms": 50},
        },
        "db": {
            "image": "busybox:test",
            "health": {"cmd": ["true"], "interval": "100ms", "retries": 5},
            "volumes": ["dbdata:/var/lib/db"],
        },
    },
    "volumes": {"uploads": {"driver": "local"}},
}

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "70000:80", "a:b:c", "1x", "/", "..", "web", "db", "500ms", "db:/x:rx"]),
)
keys = st.one_of(
    st.sampled_from(["image", "ports", "x", "services", "web", "name"]), st.text(min_size=1, max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=8,
)


def paths_of(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(paths_of(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend(paths_of(value, (*prefix, index)))
    return out


@st.composite
def broken_documents(draw: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(doc)[1:]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        if how == "replace":
            parent[path[-1]] = draw(values)
        elif how == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        else:
            parent.append(draw(values))
    return doc


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def to_toml(doc: dict[str, Any], table: tuple[str, ...] = ()) -> str:
    """Tables of tables become [headers] (as people write them); everything else is inline."""
    plain = {k: v for k, v in doc.items() if not (isinstance(v, dict) and v and _all_tables(v))}
    nested = {k: v for k, v in doc.items() if k not in plain}
    out = ""
    if table and (plain or not nested):
        out += "[" + ".".join(toml_key(t) for t in table) + "]\n"
    for key, value in plain.items():
        out += f"{toml_key(key)} = {toml_value(value)}\n"
    for key, value in nested.items():
        out += to_toml(value, (*table, key))
    return out


def _all_tables(value: dict[str, Any]) -> bool:
    return all(isinstance(v, dict) for v in value.values())


def test_the_unbroken_document_is_valid() -> None:
    project = parse_project(to_toml(VALID), Path("/tmp/devenv.toml"))
    assert project.service_names == ("web", "db")


@FUZZ
@given(broken_documents())
def test_valid_document_with_broken_parts(doc: dict[str, Any]) -> None:
    check(to_toml(doc))


# --- 3. bytes and nesting a parser may choke on -------------------------------------------


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_from_disk(tmp_path_factory: Any, raw: bytes) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "devenv.toml").write_bytes(raw)
    try:
        load_project(folder, explicit=True)
    except ConfigError as err:
        assert "\n" not in err.message


def test_deep_nesting_is_a_config_error() -> None:
    for text in (
        "a = " + "[" * 5000,
        "a = " + "{b = " * 5000,
        "[services.web]\nimage = " + "[" * 990 + "]" * 990,
    ):
        check(text)
