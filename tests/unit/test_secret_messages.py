"""No message quotes a secrets file's or a secret's content: a `$` inside a secret value, a
pasted base64 line, a JSON source's non-string secret, a registry address with a password.
Each message names the file and line (and the key when it reads as a key name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.config.model import EnvSpec
from devenv.envvars import resolve_env
from devenv.errors import ConfigError

SECRETS = ".devenv/secrets.env"
TAIL = "TailOfTheSecret9"
BASE64 = "c2VjcmV0UGFzc3dvcmQxMjM0NQ"  # a pasted token: parses as a key


def layered(root: Path, secrets: str, prod: str = "DB_PASSWORD=prod\n", **kw: object):
    (root / ".devenv").mkdir(exist_ok=True)
    (root / SECRETS).write_text(secrets)
    (root / "prod.env").write_text(prod)
    spec = EnvSpec(prod=("prod.env",), secrets=SECRETS, secret_keys=("DB_PASSWORD",), **kw)  # type: ignore[arg-type]
    return resolve_env(root, spec, "dev", process_env={})


def test_an_unquoted_dollar_in_a_secret_is_not_printed_as_a_variable_name(tmp_path):
    env = layered(tmp_path, f"DB_PASSWORD=abc${TAIL}\n")
    assert env.values["DB_PASSWORD"].value == "abc"  # compose's rule: an unset variable is blank
    assert len(env.warnings) == 1
    warning = env.warnings[0]
    assert TAIL not in warning
    assert warning.startswith(f"{SECRETS}:1: DB_PASSWORD: a $ in the value names a variable that is not set")
    assert "single quotes" in warning


def test_a_dollar_reference_that_cannot_expand_is_not_quoted(tmp_path):
    with pytest.raises(ConfigError) as err:
        layered(tmp_path, f'DB_PASSWORD="x${{{TAIL}:?{TAIL}}}"\n')
    assert TAIL not in str(err.value) + (err.value.hint or "")
    assert (
        str(err.value)
        == f"{SECRETS}:1: DB_PASSWORD: a $ in the value starts a reference that cannot be expanded"
    )


@pytest.mark.parametrize("line", [f"{BASE64}=", f"{BASE64}==", f"{BASE64}=\nAPI_KEY=x"])
def test_a_pasted_base64_line_is_not_printed_as_a_key(tmp_path, line):
    env = layered(tmp_path, f"DB_PASSWORD=local\n{line}\n")
    assert env.warnings and not any(BASE64 in w for w in env.warnings)
    expected = {
        f"secrets file {SECRETS}:2: not a secret key of prod's env (or not a KEY=value line); ignored"
    }
    if "API_KEY" in line:  # a name that reads as one is still named
        expected.add(f"secrets file {SECRETS}:3: API_KEY is not a secret key of prod's env; ignored")
    assert set(env.warnings) == expected


def test_a_base64_line_with_a_character_keys_cannot_hold_is_not_quoted(tmp_path):
    with pytest.raises(ConfigError) as err:
        layered(tmp_path, "DB_PASSWORD=local\nc2Vj+cmV0/UGFz=\n")
    text = str(err.value) + (err.value.hint or "")
    assert "+" not in text and "c2Vj" not in text and "/UGFz" not in text
    assert str(err.value) == f"{SECRETS}:2: unexpected character in variable name"


def test_a_json_source_hint_does_not_print_the_value(tmp_path):
    (tmp_path / "prod.json").write_text('{"LOG": "info",\n "DB_PASSWORD": 98765432109}\n')
    spec = EnvSpec(prod=("prod.json",), secret_keys=("DB_PASSWORD",))
    with pytest.raises(ConfigError) as err:
        resolve_env(tmp_path, spec, "prod", process_env={})
    assert "98765432109" not in str(err.value) + (err.value.hint or "")
    assert str(err.value) == "prod.json:2: DB_PASSWORD is int, not a string"
    assert err.value.hint == "env values are strings: put the value of DB_PASSWORD in double quotes"


def test_doctor_masks_a_password_in_a_registry_address(tmp_path, monkeypatch):
    from devenv.ops.doctor import run_doctor

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    (tmp_path / "devenv.toml").write_text(
        '[project]\nname = "shop"\nregistry = "https://u:pw-Secret-1@127.0.0.1:1/team"\n\n'
        '[services.web]\nimage = "busybox:1"\n'
    )
    for environ in ({}, {"DEVENV_REGISTRY": "https://ci:pw-Secret-2@127.0.0.1:1/team"}):
        report = run_doctor(tmp_path, environ=environ)
        text = "\n".join(f"{c.detail} {c.fix}" for c in report.checks)
        assert "pw-Secret" not in text
        assert "u:***@" in text or "ci:***@" in text


def test_url_credentials_mask():
    from devenv.envvars.redact import mask_url_credentials

    assert mask_url_credentials("https://u:pw@host/team") == "https://u:***@host/team"
    assert mask_url_credentials("x oci://a:p@ss@h/x y") == "x oci://a:***@h/x y"
    assert mask_url_credentials("reg/busybox:1@sha256:ab and http://user@host") == (
        "reg/busybox:1@sha256:ab and http://user@host"
    )
