"""Compose value forms → devenv values: ports, durations, health checks, commands, env.

Each function takes the compose value and the dotted place it came from, and reports what it
cannot map through `draft.skip` (unconverted) or `draft.note` (converted with a change).
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Optional

from devenv.convert.draft import Draft

_MAX_RANGE = 100  # a port range is expanded into single ports up to this size
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PORT = re.compile(
    r"(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)??"
    r"(?:(?P<host>\d*(?:-\d+)?):)?(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>\w+))?"
)


def as_string(raw: Any) -> str:
    """Compose scalars as strings: YAML may give ints, floats and booleans."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


# --- durations and health ---


def duration(raw: Any, where: str, draft: Draft) -> Optional[str]:
    """Compose duration ("1m30s", "500ms", "10s") → devenv duration ("90s", "500ms")."""
    text = as_string(raw).strip()
    if not text or _DURATION_PART.sub("", text) != "":
        draft.skip(where, f'"{text}" is not a duration devenv can read — write it as e.g. "2s"')
        return None
    seconds = sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(text))
    millis = round(seconds * 1000)
    if millis % 1000 == 0:
        return f"{millis // 1000}s"
    return f"{max(millis, 1)}ms"


def health(raw: Any, where: str, draft: Draft) -> Optional[dict[str, Any]]:
    if not isinstance(raw, dict):
        draft.skip(where, "expected a mapping")
        return None
    if raw.get("disable") is True:
        draft.note(where, "disabled in compose; no health check written")
        return None
    test = raw.get("test")
    if test is None:
        draft.skip(where, "no `test`: the image's own HEALTHCHECK is not read by devenv — add health.cmd")
        return None
    if isinstance(test, str):
        cmd = ["/bin/sh", "-c", test]
    elif isinstance(test, list) and test and test[0] == "NONE":
        draft.note(where, 'test ["NONE"] disables the check; no health check written')
        return None
    elif isinstance(test, list) and len(test) >= 2 and test[0] == "CMD":
        cmd = [as_string(t) for t in test[1:]]
    elif isinstance(test, list) and len(test) == 2 and test[0] == "CMD-SHELL":
        cmd = ["/bin/sh", "-c", as_string(test[1])]
    else:
        draft.skip(f"{where}.test", f"{test!r} is not CMD, CMD-SHELL, NONE or a string")
        return None
    out: dict[str, Any] = {"cmd": cmd}
    for key in ("interval", "timeout", "start_period"):
        if key in raw:
            value = duration(raw[key], f"{where}.{key}", draft)
            if value is not None:
                out[key] = value
    if "retries" in raw:
        try:
            out["retries"] = max(1, int(raw["retries"]))
        except (TypeError, ValueError):
            draft.skip(f"{where}.retries", f"{raw['retries']!r} is not a number")
    for key in raw:
        if key not in ("test", "interval", "timeout", "start_period", "retries", "disable"):
            draft.skip(f"{where}.{key}", "not supported by devenv health checks")
    return out


# --- commands ---


def command(raw: Any, where: str, draft: Draft) -> Optional[list[str]]:
    """Compose splits a string command like a shell would, without running a shell: so do we."""
    if isinstance(raw, list):
        return [as_string(part) for part in raw] or None
    if isinstance(raw, str):
        try:
            parts = shlex.split(raw)
        except ValueError as err:
            draft.skip(where, f"cannot split {raw!r} into words ({err}) — write it as a list")
            return None
        return parts or None
    if raw is None:
        return None
    draft.skip(where, f"expected a string or a list, got {raw!r}")
    return None


# --- environment ---


def env_map(raw: Any, where: str, draft: Draft) -> dict[str, str]:
    """Both forms: ["KEY=value", "KEY"] and {KEY: value}. A bare KEY (taken from the shell) is
    listed as unconverted: devenv.toml holds the values a stack gets, not the caller's shell."""
    pairs: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        for item in raw:
            text = as_string(item)
            k, sep, v = text.partition("=")
            pairs.append((k, v if sep else None))
    else:
        draft.skip(where, f"expected a list or a mapping, got {raw!r}")
    out: dict[str, str] = {}
    for k, v in pairs:
        if v is None:
            draft.skip(
                f"{where}.{k}",
                "value taken from the shell running compose — set it in devenv.toml or in a prod env source",
            )
            continue
        out[str(k)] = as_string(v)
    return out


# --- ports ---


def _span(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def port(raw: Any, where: str, draft: Draft) -> list[str]:
    """One compose port (short or long form) → devenv port strings (ranges expanded)."""
    if isinstance(raw, dict):
        if "target" not in raw:
            draft.skip(where, "long-form port without `target`")
            return []
        for key in raw:
            if key not in ("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"):
                draft.skip(f"{where}.{key}", "not supported by devenv ports")
        if raw.get("mode") == "ingress":
            draft.note(
                f"{where}.mode",
                "ingress (swarm routing mesh) has no meaning for devenv; published on the host",
            )
        published = as_string(raw["published"]) if raw.get("published") not in (None, "") else ""
        ip = raw.get("host_ip")
        short = f"{published}:{raw['target']}" if published else f"{raw['target']}"
        if ip:
            short = f"{ip}:{short}" if published else f"{ip}::{raw['target']}"
        if raw.get("protocol"):
            short += f"/{raw['protocol']}"
        return port(short, where, draft)
    text = as_string(raw).strip()
    match = _PORT.fullmatch(text)
    if not match:
        draft.skip(where, f'"{text}" is not a port devenv understands — write "HOST:CONTAINER"')
        return []
    proto = match["proto"] or "tcp"
    if proto not in ("tcp", "udp"):
        draft.skip(where, f'"{text}": protocol {proto} is not supported by devenv (tcp or udp)')
        return []
    ip = match["ip"]
    if ip and not re.fullmatch(r"\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}", ip):
        draft.skip(where, f'"{text}": host address {ip} is not an IP address')
        return []
    c_first, c_last = _span(match["container"])
    host = match["host"]
    if host is None:
        h_first, h_last = c_first, c_last
        draft.note(
            where,
            f'"{text}" has no host port: compose picks a random one, devenv publishes the same '
            "port (or the next free one)",
        )
    elif host == "":
        h_first, h_last = 0, 0  # "IP::PORT": any free host port
    else:
        h_first, h_last = _span(host)
    suffix = "/udp" if proto == "udp" else ""
    prefix = f"{ip}:" if ip else ""
    count = c_last - c_first + 1
    if count < 1 or count > _MAX_RANGE or h_last < h_first:
        draft.skip(where, f'"{text}": port range cannot be mapped (at most {_MAX_RANGE} ports, low-high)')
        return []
    if count == 1:
        if h_last != h_first:
            draft.note(where, f'"{text}": compose picks a host port in {host}; devenv uses {h_first}')
        return [f"{prefix}{h_first}:{c_first}{suffix}"]
    if h_first == 0:
        return [f"{prefix}0:{c}{suffix}" for c in range(c_first, c_last + 1)]
    if h_last - h_first + 1 != count:
        draft.skip(where, f'"{text}": host and container ranges differ in size')
        return []
    return [f"{prefix}{h_first + i}:{c_first + i}{suffix}" for i in range(count)]


def network_mode_note(
    draft: Draft, names: dict[str, str], raw: dict[str, Any], where: str, reason: str
) -> None:
    """`network_mode: service:X`: compose ran the service in X's network namespace (X at
    localhost); devenv gives each service its own address, so the env must name X instead."""
    mode = str(raw["network_mode"])
    if not mode.startswith("service:"):
        draft.skip(f"{where}.network_mode", reason)
        return
    peer = mode.split(":", 1)[1]
    env = raw.get("environment")
    values = env.values() if isinstance(env, dict) else [str(e).partition("=")[2] for e in env or []]
    local = [str(v) for v in values if v is not None and re.search(r"\blocalhost\b|127\.0\.0\.1", str(v))]
    draft.note(
        f"{where}.network_mode",
        f"compose ran it in {peer}'s network, where {peer} answers on localhost; on devenv's network "
        f'each service has its own address: where its env says localhost for {peer}, write "{names.get(peer, peer)}"'
        + (f" ({len(local)} value(s) say localhost)" if local else ""),
    )
