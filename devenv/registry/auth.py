"""Registry credentials, read and stored exactly the way docker does: `config.json` in
`$DOCKER_CONFIG` (default `~/.docker`), `credHelpers` per registry, `credsStore`, or `auths`.
devenv never keeps credentials in the project."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from devenv.errors import ConfigError, RegistryError
from devenv.fsutil import atomic_write

HUB_KEY = "https://index.docker.io/v1/"  # docker's own key for Docker Hub in config.json
_HELPER_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Credentials:
    username: Optional[str] = None
    password: Optional[str] = None
    identity_token: Optional[str] = None  # an OAuth refresh token (username "<token>" in helpers)

    def docker_auth_config(self) -> dict[str, str]:
        """The `X-Registry-Auth` payload the engine expects for a pull/push."""
        if self.identity_token:
            return {"identitytoken": self.identity_token}
        return {"username": self.username or "", "password": self.password or ""}


def config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    override = environ.get("DOCKER_CONFIG")
    return Path(override) if override else Path.home() / ".docker"


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    return config_dir(environ) / "config.json"


def _load_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ConfigError(f"{path}: cannot read docker config ({err.strerror})") from err
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{path}:{err.lineno}: docker config is not valid JSON ({err.msg})",
            hint="fix or remove the file, then run `devenv login`",
        ) from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: docker config must be a JSON object")
    return data


def _key_host(key: str) -> str:
    """`https://host:5000/v1/` and `host:5000` name the same registry."""
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    host = key.split("/", 1)[0]
    return "docker.io" if host in ("index.docker.io", "registry-1.docker.io") else host


def _find_key(mapping: Mapping[str, Any], registry: str) -> Optional[str]:
    host = _key_host(registry)
    for key in mapping:
        if _key_host(key) == host:
            return key
    return None


def _server_url(registry: str) -> str:
    return HUB_KEY if _key_host(registry) == "docker.io" else _key_host(registry)


def _helper_for(config: Mapping[str, Any], registry: str) -> Optional[str]:
    helpers = config.get("credHelpers") or {}
    key = _find_key(helpers, registry)
    if key is not None:
        return str(helpers[key])
    store = config.get("credsStore")
    return str(store) if store else None


def _run_helper(helper: str, action: str, payload: str) -> subprocess.CompletedProcess[str]:
    program = f"docker-credential-{helper}"
    try:
        return subprocess.run(
            [program, action], input=payload, capture_output=True, text=True, timeout=_HELPER_TIMEOUT_S
        )
    except FileNotFoundError as err:
        raise RegistryError(
            f"credential helper '{program}' (named in {config_path()}) is not installed",
            hint=f"install {program}, or remove it from credsStore/credHelpers in the docker config",
        ) from err
    except subprocess.TimeoutExpired as err:
        raise RegistryError(
            f"credential helper '{program}' did not answer within {_HELPER_TIMEOUT_S:.0f} s"
        ) from err


def get_credentials(registry: str, environ: Mapping[str, str] = os.environ) -> Optional[Credentials]:
    """The stored credentials for `registry` (host[:port]), or None when the user never logged in."""
    config = _load_config(config_path(environ))
    helper = _helper_for(config, registry)
    if helper:
        proc = _run_helper(helper, "get", _server_url(registry))
        if proc.returncode != 0:
            if "not found" in (proc.stdout + proc.stderr).lower():
                return None
            raise RegistryError(
                f"credential helper 'docker-credential-{helper}' failed for {registry}: "
                f"{(proc.stderr or proc.stdout).strip()[:200]}"
            )
        try:
            answer = json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            raise RegistryError(f"credential helper 'docker-credential-{helper}' gave no JSON") from err
        user, secret = answer.get("Username"), answer.get("Secret")
        if user == "<token>":
            return Credentials(identity_token=secret)
        return Credentials(username=user, password=secret) if secret else None
    auths = config.get("auths") or {}
    key = _find_key(auths, registry)
    if key is None:
        return None
    entry = auths[key] or {}
    if entry.get("identitytoken"):
        return Credentials(identity_token=entry["identitytoken"])
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        except (ValueError, UnicodeDecodeError) as err:
            raise ConfigError(
                f"{config_path(environ)}: auths.{key}.auth is not base64 'user:password'",
                hint=f"run `devenv login {registry}` again",
            ) from err
        return Credentials(username=user, password=password)
    if entry.get("username"):
        return Credentials(username=entry["username"], password=entry.get("password", ""))
    return None


def store_credentials(
    registry: str, username: str, password: str, environ: Mapping[str, str] = os.environ
) -> Path:
    """Store like `docker login`: through the configured helper, else base64 in `auths` (mode 0600).
    Returns the config file consulted."""
    path = config_path(environ)
    config = _load_config(path)
    helper = _helper_for(config, registry)
    if helper:
        payload = json.dumps({"ServerURL": _server_url(registry), "Username": username, "Secret": password})
        proc = _run_helper(helper, "store", payload)
        if proc.returncode != 0:
            raise RegistryError(
                f"credential helper 'docker-credential-{helper}' could not store credentials for {registry}: "
                f"{(proc.stderr or proc.stdout).strip()[:200]}"
            )
        return path
    auths = config.setdefault("auths", {})
    key = _find_key(auths, registry) or _server_url(registry)
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    auths[key] = {**(auths.get(key) or {}), "auth": token}
    auths[key].pop("identitytoken", None)
    atomic_write(path, json.dumps(config, indent="\t") + "\n", mode=0o600)
    return path
