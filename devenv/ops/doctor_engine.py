"""The engine-specific checks of `devenv doctor`: what differs between Docker and Podman's
Docker-compatible service. The verdicts are pure (unit-tested); the few looks at this machine
(`podman_sockets`, `init_binary`) are kept apart from them.

- an unreachable engine where Podman is installed: point DOCKER_HOST at its socket, or start it;
- a plain-HTTP registry: Docker treats 127.0.0.0/8 as insecure by default, Podman trusts only
  what a registries.conf file names (and reads it when its service starts);
- Podman's `init` (devenv runs every unsupervised container with one) is catatonit, a package
  of its own that Debian's podman only recommends.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from devenv.engine.errors import PODMAN_SERVICE_HINT
from devenv.engine.kind import EngineKind
from devenv.errors import ExitCode
from devenv.ops.doctor_checks import FAIL, OK, SKIP, WARN, Check

# Where Podman's service listens by default: rootless (systemd user socket), then rootful.
PODMAN_SOCKETS = ("{runtime}/podman/podman.sock", "/run/podman/podman.sock")
# Where distributions put catatonit, Podman's default init_path.
INIT_PATHS = (
    "/usr/libexec/podman/catatonit",
    "/usr/lib/podman/catatonit",
    "/usr/local/libexec/podman/catatonit",
)
REGISTRIES_DROP_IN = "/etc/containers/registries.conf.d/devenv-local.conf"


# --- an unreachable engine ---
def podman_sockets(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Podman sockets that exist on this machine (rootless first)."""
    runtime = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    found = []
    for pattern in PODMAN_SOCKETS:
        path = pattern.format(runtime=runtime)
        try:
            if Path(path).is_socket():
                found.append(path)
        except OSError:  # a folder we may not enter
            continue
    return found


def unreachable_fix(
    host: str, sockets: Sequence[str], *, podman_installed: bool, docker_installed: bool
) -> Optional[str]:
    """The fix for an unreachable engine where Podman is the engine to use (None: Docker's own):
    a Podman socket found here, an address that names Podman, or Podman without Docker."""
    others = [s for s in sockets if f"unix://{s}" != host]
    if others:
        return f"Podman's service listens on {others[0]}: `export DOCKER_HOST=unix://{others[0]}`"
    if "podman" in host.lower() or (podman_installed and not docker_installed):
        return PODMAN_SERVICE_HINT
    return None


# --- a plain-HTTP registry ---
def engine_uses_plain_http(kind: EngineKind, info: Mapping[str, Any], host: str) -> bool:
    """Whether the engine will pull from `host` over plain HTTP, from its info's RegistryConfig:
    the registry is listed as not secure (Podman: from registries.conf; Docker: daemon.json), or
    its address lies in an insecure CIDR (Docker's default holds 127.0.0.0/8)."""
    config = info.get("RegistryConfig") or {}
    entry = (config.get("IndexConfigs") or {}).get(host)
    if isinstance(entry, Mapping) and entry.get("Secure") is False:
        return True
    name = host.rsplit(":", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    for cidr in config.get("InsecureRegistryCIDRs") or ():
        try:
            if address in ipaddress.ip_network(str(cidr), strict=False):
                return True
        except ValueError:
            continue
    return False


def registry_http_check(kind: EngineKind, info: Mapping[str, Any], host: str, *, blocking: bool) -> Check:
    """For a registry devenv speaks plain HTTP to: will the engine's pulls do the same?
    `blocking`: some image must still be pulled (else `up` works without the registry)."""
    check_id, title = f"registry-http:{host}", "registry http"
    if engine_uses_plain_http(kind, info, host):
        return Check(check_id, title, OK, f"{kind.name} pulls from {host} over plain HTTP, as devenv does")
    detail = f"{host} speaks plain HTTP but {kind.name} will pull from it over HTTPS (and fail)"
    if kind.podman:
        fix = (
            f"mark it insecure for Podman: `printf '[[registry]]\\nlocation = \"{host}\"\\ninsecure = true\\n' "
            f"| sudo tee -a {REGISTRIES_DROP_IN}`, then restart the Podman service (it reads the file once)"
        )
    else:
        fix = (
            f'add `"insecure-registries": ["{host}"]` to /etc/docker/daemon.json and restart dockerd '
            "(Docker Desktop: Settings → Docker Engine)"
        )
    if not blocking:
        return Check(check_id, title, WARN, detail + "; every image is on the engine already", fix)
    return Check(check_id, title, FAIL, detail, fix, int(ExitCode.REGISTRY))


# --- Podman's init ---
def init_binary(paths: Sequence[str] = INIT_PATHS) -> Optional[str]:
    return next((p for p in paths if os.access(p, os.X_OK)), None)


def init_check(kind: EngineKind, engine_is_local: bool, found: Optional[str]) -> Optional[Check]:
    """Podman only (Docker ships its own init). `engine_is_local`: the socket's peer is a podman
    process on this machine (not a VM's forwarder), so its files are this machine's."""
    if not kind.podman:
        return None
    if not engine_is_local:
        return Check(
            "init", "init", SKIP, "Podman runs elsewhere (a VM?): its catatonit cannot be checked here"
        )
    if found:
        return Check("init", "init", OK, f"catatonit at {found} (the containers' init)")
    return Check(
        "init",
        "init",
        FAIL,
        "Podman has no catatonit: every container devenv starts with an init fails to start",
        "install it: `sudo apt-get install catatonit` (Fedora: `sudo dnf install catatonit`)",
        int(ExitCode.ENGINE),
    )
