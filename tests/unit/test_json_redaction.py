"""`--json` redacts values, not the serialized text: whatever a secret's text (`true`, `null`,
`value`, a quote, a backslash, a newline), the document stays valid JSON with its field names,
booleans and nulls intact, the secret shows as `***`, and a variable that is not secret shows
its own value even when it equals a secret (`***` there would tell which secret holds it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from devenv.envvars.redact import MASK, MIN_LENGTH, Redactor, tier

SECRETS = ["true", "null", "1", "secret", "value", '"', "\\", "line one\nline two", "pässwört-密码", "devenv"]


def quoted(value: str) -> str:
    """The value as a double-quoted dotenv value (compose-go's escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run_cli(root: Path, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    from devenv.cli.app import main

    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(root / ".state"))
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture
def shop(tmp_path: Path):
    def make(secret: str) -> Path:
        root = tmp_path / "shop"
        (root / ".devenv").mkdir(parents=True)
        (root / "prod.env").write_text(f"DB_PASSWORD=prod-only-pw\nPLAIN={quoted(secret)}\nLOG=info\n")
        (root / ".devenv/secrets.env").write_text(f"DB_PASSWORD={quoted(secret)}\n")
        (root / "devenv.toml").write_text(
            '[project]\nname = "shop"\n\n[env]\nprod = ["prod.env"]\nsecrets = ".devenv/secrets.env"\n'
            'secret_keys = ["DB_PASSWORD"]\n\n[services.web]\nimage = "busybox:test"\nenv = "prod"\n'
        )
        return root

    return make


def strings(doc: Any, path: str = "") -> list[tuple[str, str]]:
    """(where, text) of every string value in a JSON document (field names are checked apart)."""
    if isinstance(doc, str):
        return [(path, doc)]
    if isinstance(doc, dict):
        return [s for key, value in doc.items() for s in strings(value, f"{path}/{key}")]
    if isinstance(doc, list):
        return [s for n, item in enumerate(doc) for s in strings(item, f"{path}/{n}")]
    return []


def variables(doc: dict[str, Any], field: str = "variables") -> dict[str, dict[str, Any]]:
    return {v["key"]: v for v in doc[field]}


def stands_in(secret: str, text: str) -> bool:
    """Whether `text` shows `secret` where free text must not (docs/env.md, "Secrets in free
    text"): anywhere for a long one; as a token (not inside a longer word or path) for a short
    one; as a value (`=word`, `"word"`, `:word@`) for a common word."""
    if tier(secret) == "anywhere":
        return secret in text or any(line in text for line in secret.splitlines() if len(line) >= MIN_LENGTH)
    if tier(secret) == "token":
        return re.search(rf"(?<![\w/+.-]){re.escape(secret)}(?![\w/+-]|[.:][\w/])", text) is not None
    return any(shape.format(secret) in text for shape in ("={}", '"{}"', "'{}'", ":{}@"))


def assert_reveals_nothing(doc: Any, secret: str, public: set[str]) -> None:
    """No string of the document shows the secret, but the shown values of public variables
    and the schema's name (fixed: it tells nothing)."""
    assert doc["schema"].startswith("devenv.env")
    for where, text in strings(doc):
        if where in public or where == "/schema":
            continue
        assert text != secret, where
        if len(secret) >= MIN_LENGTH:
            assert not stands_in(secret, text), where


@pytest.mark.parametrize("secret", SECRETS, ids=repr)
def test_env_show_json_is_valid_and_reveals_nothing(shop, monkeypatch, capsys, secret):
    root = shop(secret)
    for args in (("env", "show", "--json"), ("env", "show", "web", "--json")):
        code, out, err = run_cli(root, monkeypatch, capsys, *args)
        assert code == 0, err
        doc = json.loads(out)
        assert doc["schema"] == "devenv.env/v1" and doc["profile"] == "dev"
        found = variables(doc)
        assert set(found) == {"DB_PASSWORD", "PLAIN", "LOG"}
        for entry in found.values():
            assert set(entry) == {"key", "value", "secret", "source", "via"}
            assert isinstance(entry["secret"], bool) and entry["via"] is None
        assert found["DB_PASSWORD"]["value"] == MASK and found["DB_PASSWORD"]["secret"] is True
        # not secret: its own value, though a secret has the same text
        assert found["PLAIN"]["value"] == secret and found["PLAIN"]["secret"] is False
        assert found["LOG"]["value"] == "info"
        index = list(found).index("PLAIN")
        assert_reveals_nothing(doc, secret, {f"/variables/{index}/value"})


@pytest.mark.parametrize("secret", SECRETS, ids=repr)
def test_env_diff_json_is_valid_and_reveals_nothing(shop, monkeypatch, capsys, secret):
    root = shop(secret)
    code, out, err = run_cli(root, monkeypatch, capsys, "env", "diff", "prod", "dev", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["schema"], doc["a"], doc["b"], doc["same"]) == ("devenv.env-diff/v1", "prod", "dev", False)
    changed = {c["key"]: c for c in doc["changed"]}
    assert list(changed) == ["DB_PASSWORD"]
    assert set(changed["DB_PASSWORD"]) == {"key", "secret", "a", "b"}
    assert set(changed["DB_PASSWORD"]["a"]) == {"key", "value", "secret", "source", "via"}
    assert changed["DB_PASSWORD"]["secret"] is True
    assert changed["DB_PASSWORD"]["a"]["value"] == changed["DB_PASSWORD"]["b"]["value"] == MASK
    assert_reveals_nothing(doc, secret, set())


def test_redact_doc_keeps_keys_and_json_types_and_masks_inside_longer_values():
    from devenv.envvars.redact import Shown

    redactor = Redactor(["true", "secret", "hunter22"])
    doc = {
        "secret": True,
        "value": "true",
        "note": "pw hunter22 here",
        "n": None,
        "count": 3,
        "shown": Shown("true"),
        "url": Shown("postgres://app:hunter22@db"),
        "items": ("secret", 1.5),
    }
    assert redactor.redact_doc(doc) == {
        "secret": True,
        "value": MASK,
        "note": "pw *** here",
        "n": None,
        "count": 3,
        "shown": "true",
        "url": "postgres://app:***@db",
        "items": [MASK, 1.5],
    }


@pytest.mark.parametrize("secret", ["pässwört-密码-long", "secret", "x7Kq2"], ids=repr)
def test_env_tables_mask_by_the_variables_own_flag(shop, monkeypatch, capsys, secret):
    """PLAIN is public and holds the same text as the secret DB_PASSWORD: the table shows it
    (as --json does), masks DB_PASSWORD, and leaves the sources' text whole."""
    root = shop(secret)
    code, out, err = run_cli(root, monkeypatch, capsys, "env", "show", "web")
    assert code == 0, err
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in out.splitlines()[1:]}
    assert rows["PLAIN"] == [secret, "prod.env:2"]
    assert rows["DB_PASSWORD"] == [MASK, "secrets file .devenv/secrets.env:1"]
    assert rows["LOG"] == ["info", "prod.env:3"]
    code, out, err = run_cli(root, monkeypatch, capsys, "env", "diff", "prod", "dev")
    assert code == 0, err
    (changed,) = [line for line in out.splitlines() if line.startswith("~")]
    assert changed.split() == ["~", "DB_PASSWORD", MASK, MASK, "(secret;", "differs)", "secrets", "file", ".devenv/secrets.env:1"]
