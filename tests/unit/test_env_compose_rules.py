"""Compose's own rules, exactly: the 186 cases of ../shared/corpus/dotenv/compose-go/cases.json
(compose-go's dotenv, template and interpolation tests), the fixtures they read, env_file
`required: false` and `format: raw`, and the defect found on real files (a braced default
holding braces)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devenv.envvars.dotenv import read_dotenv
from devenv.envvars.interpolate import InterpolationError, interpolate
from devenv.envvars.sources import load_prod
from devenv.errors import ConfigError


def cases(corpus: Path) -> list[dict[str, Any]]:
    return json.loads((corpus / "dotenv" / "compose-go" / "cases.json").read_text())


def compose_file(template: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: the template arrives unchanged.
    return f"services:\n  app:\n    environment:\n      RESULT: {json.dumps(template)}\n"


def run_case(case: dict[str, Any], corpus: Path, tmp: Path) -> dict[str, Any]:
    """What devenv makes of one case, compared as the upstream test compares."""
    if case["kind"] == "compose":
        (tmp / ".env").write_text(case["dotenv"])
        (tmp / "compose.yaml").write_text(compose_file(case["template"]))
        got = {k: v.value for k, v in load_prod(tmp, ("compose.yaml",)).values.items()}
    elif case["kind"] == "dotenv-fixture":
        text = (corpus / "dotenv" / "compose-go" / "fixtures" / case["fixture"]).read_text(encoding="utf-8")
        got = read_dotenv(text, case["fixture"]).values()
    else:  # compose-go reads each file on its own (ReadWithLookup); later files win
        got = {}
        for n, text in enumerate(case["files"]):
            got.update(read_dotenv(text, f"f{n}.env").values())
    if case["name"].startswith("var_expansion/"):
        return {"RESULT": got.get("RESULT")}  # upstream checks env["RESULT"] only
    if case["kind"] == "dotenv-fixture" and case["name"] != "TestReadPlainEnv":
        return {k: got.get(k) for k in case["expect"]}  # loadEnvAndCompareValues checks these keys
    return got


def test_the_compose_go_oracle_186_of_186(corpus: Path, tmp_path: Path) -> None:
    all_cases = cases(corpus)
    assert len(all_cases) == 186
    wrong = []
    for n, case in enumerate(all_cases):
        tmp = tmp_path / str(n)
        tmp.mkdir()
        try:
            got = run_case(case, corpus, tmp)
        except ConfigError as err:
            if not case["error"]:
                wrong.append((case["name"], f"error: {err}"))
            continue
        if case["error"] or got != case["expect"]:
            wrong.append((case["name"], got))
    assert wrong == []


# --- the texts and the forms, one by one ---


def test_required_and_invalid_error_texts() -> None:
    env = {"FOO": "first", "BAR": ""}.get
    with pytest.raises(InterpolationError) as err:
        interpolate("not ok ${UNSET_VAR:?Mandatory Variable Unset}", env)
    assert str(err.value) == "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"
    with pytest.raises(InterpolationError) as err:
        interpolate("${BAR:?}", env)
    assert str(err.value) == "required variable BAR is missing a value"
    for template in ("${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}"):
        with pytest.raises(InterpolationError, match=r"^Invalid template"):
            interpolate(template, env)


def test_braced_default_with_braces_inside_regression() -> None:
    """Defect 6: `${JSON:-{"a":1}}` with JSON={"a":2} gave {"a":2}} (the default's brace leaked)."""
    assert interpolate('${JSON:-{"a":1}}', {"JSON": '{"a":2}'}.get) == '{"a":2}'
    assert interpolate('${JSON:-{"a":1}}', {}.get) == '{"a":1}'
    assert interpolate('x ${JSON-{"a":{"b":1}}} y', {}.get) == 'x {"a":{"b":1}} y'


def test_unset_names_are_reported_once_each_use() -> None:
    unset: list[str] = []
    assert interpolate("$A-${B}-${C:-c}", {}.get, unset) == "--c"
    assert unset == ["A", "B"]


def test_a_digit_key_is_dropped_with_a_warning_not_a_rejected_file(tmp_path: Path) -> None:
    (tmp_path / "prod.env").write_text("A=1\n456 = ABC\nB=2\n=orphan\n")
    prod = load_prod(tmp_path, ("prod.env",))
    assert {k: v.value for k, v in prod.values.items()} == {"A": "1", "B": "2"}
    assert prod.warnings == [
        "prod.env:2: 456 starts with a digit; compose ignores it, so does devenv",
        "prod.env:4: a value with no name (no container can receive it); ignored",
    ]


def test_yaml_style_keys_export_dots_dashes_bom_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "prod.env").write_bytes("\ufeffA: 1\nexport B.c-d=2\nE=\"\\a\\0101\\v\"\nF='\\a'\n".encode())
    values = {k: v.value for k, v in load_prod(tmp_path, ("prod.env",)).values.items()}
    assert values == {"A": "1", "B.c-d": "2", "E": "\aA\v", "F": "\\a"}


# --- env_file: required: false, format: raw, and compose's lookup order ---

COMPOSE = """\
services:
  app:
    env_file:
      - path: ./missing.env
        required: false
      - path: ./raw.env
        format: raw
      - ./app.env
    environment:
      FROM_SERVICE: svc
"""


def test_env_file_required_false_and_format_raw(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HOST=from-dot-env\n")
    (tmp_path / "raw.env").write_text("# raw\nRAW='kept \"as is\"' ${HOST} # too\n  SPACED=  x\n")
    (tmp_path / "app.env").write_text("HOST=file\nURL=http://${HOST}\nSVC=${FROM_SERVICE}\nAGAIN=${RAW}\n")
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    values = {k: v.value for k, v in load_prod(tmp_path, ("compose.yaml",)).values.items()}
    assert values == {
        "RAW": "'kept \"as is\"' ${HOST} # too",  # raw: the line after = is the value, literally
        "SPACED": "  x",
        "HOST": "file",
        "URL": "http://from-dot-env",  # compose-go asks the project's .env first
        "SVC": "svc",  # then the service's environment
        "AGAIN": "'kept \"as is\"' ${HOST} # too",  # then what earlier env_files gave
        "FROM_SERVICE": "svc",
    }


def test_an_unknown_env_file_format_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.env").write_text("A=1\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    env_file:\n      - path: x.env\n        format: yaml\n"
    )
    with pytest.raises(
        ConfigError, match=r"compose.yaml:4: service app env_file x.env: unsupported format 'yaml'"
    ):
        load_prod(tmp_path, ("compose.yaml",))


def test_the_corpus_fixtures_exist_where_the_cases_say(corpus: Path) -> None:
    fixtures = {c["fixture"] for c in cases(corpus) if c["kind"] == "dotenv-fixture"}
    assert len(fixtures) == 12
    assert all((corpus / "dotenv" / "compose-go" / "fixtures" / f).is_file() for f in fixtures)


def test_the_basics_oracle(corpus: Path) -> None:
    """../shared/corpus/basics/expected.json: compose-go's fixture values (the keys its tests check)
    and the env keys of two microservices-demo manifests."""
    basics = corpus / "basics"
    expected = json.loads((basics / "expected.json").read_text())
    for name, want in expected["dotenv"].items():
        got = read_dotenv((basics / "dotenv" / name).read_text(encoding="utf-8"), name).values()
        assert {k: got.get(k) for k in want} == want, name
    for entry, keys in expected["k8s"].items():
        assert sorted(load_prod(basics / "k8s", (entry,)).values) == keys, entry
