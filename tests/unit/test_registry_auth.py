from __future__ import annotations

import base64
import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from devenv.errors import RegistryError
from devenv.registry.auth import Credentials, get_credentials, store_credentials

# A real (tiny) credential helper speaking docker's helper protocol, keeping its store in a file.
HELPER = textwrap.dedent(
    """\
    #!{python}
    import json, sys, pathlib
    store = pathlib.Path(__file__).with_suffix(".json")
    data = json.loads(store.read_text()) if store.exists() else {{}}
    action, payload = sys.argv[1], sys.stdin.read()
    if action == "store":
        item = json.loads(payload)
        data[item["ServerURL"]] = [item["Username"], item["Secret"]]
        store.write_text(json.dumps(data))
    elif action == "get":
        if payload.strip() not in data:
            print("credentials not found in native keychain"); sys.exit(1)
        user, secret = data[payload.strip()]
        print(json.dumps({{"ServerURL": payload.strip(), "Username": user, "Secret": secret}}))
    """
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-devtest"
    helper.write_text(HELPER.format(python=sys.executable))
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return {"DOCKER_CONFIG": str(tmp_path / "docker")}


def test_login_stores_base64_auths_like_docker_with_private_mode(env: dict[str, str]) -> None:
    path = store_credentials("127.0.0.1:5556", "ann", "s3cret", env)
    data = json.loads(path.read_text())
    assert base64.b64decode(data["auths"]["127.0.0.1:5556"]["auth"]) == b"ann:s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert get_credentials("127.0.0.1:5556", env) == Credentials("ann", "s3cret")
    assert get_credentials("127.0.0.1:5557", env) is None


def test_auths_keys_with_scheme_match_the_host(env: dict[str, str]) -> None:
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"auths": {"https://reg.example.com/v1/": {"auth": "dTpw"}}}))  # u:p
    assert get_credentials("reg.example.com", env) == Credentials("u", "p")


def test_creds_store_is_used_for_store_and_get(env: dict[str, str]) -> None:
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"credsStore": "devtest"}))
    store_credentials("reg.example.com", "ann", "pw", env)
    assert "ann" not in config.read_text()  # the secret went to the helper, not the file
    assert get_credentials("reg.example.com", env) == Credentials("ann", "pw")
    assert get_credentials("other.example.com", env) is None  # helper says "not found"


def test_cred_helpers_per_registry_win_over_auths(env: dict[str, str]) -> None:
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text(
        json.dumps(
            {"credHelpers": {"reg.example.com": "devtest"}, "auths": {"reg.example.com": {"auth": "dTpw"}}}
        )
    )
    store_credentials("reg.example.com", "helper-user", "pw", env)
    assert get_credentials("reg.example.com", env) == Credentials("helper-user", "pw")


def test_a_missing_helper_is_a_registry_error_with_a_fix(env: dict[str, str]) -> None:
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"credsStore": "nosuchhelper"}))
    with pytest.raises(RegistryError) as info:
        get_credentials("reg.example.com", env)
    assert "docker-credential-nosuchhelper" in info.value.message
    assert "credsStore" in info.value.hint
