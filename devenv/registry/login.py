"""`devenv login`: check the credentials against the registry, then store them the docker way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from devenv.errors import RegistryError
from devenv.registry.api import RegistryClient, Timeouts
from devenv.registry.auth import Credentials, store_credentials
from devenv.registry.reference import registry_host


def login(registry: str, username: str, password: str, environ: Mapping[str, str] = os.environ) -> Path:
    """Verify `username`/`password` on `registry` (host or host/path) and store them.
    Returns the docker config file that now holds (or points at the helper holding) them."""
    host = registry_host(registry)
    client = RegistryClient(host, Credentials(username, password), Timeouts.from_env(environ), environ)
    try:
        client.check_login()
    except RegistryError as err:
        if "credentials" in err.message or "needs a login" in err.message:
            raise RegistryError(
                f"registry {host} rejected the username or password for '{username}'",
                hint="check them (registries with tokens take the token as the password)",
            ) from err
        raise
    return store_credentials(host, username, password, environ)
