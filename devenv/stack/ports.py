"""Is a host port free? A bind test, the same check the engine's port proxy will make."""

from __future__ import annotations

import socket


def _bindable(family: int, kind: int, address: tuple[str, int]) -> bool:
    with socket.socket(family, kind) as sock:
        if kind == socket.SOCK_STREAM:
            # As the engine's proxy does: connections of a just-removed container lingering in
            # TIME_WAIT must not make its port look taken (a listener still does). Not for UDP,
            # where the option would let us share a port another socket holds.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError:
            return False
    return True


def port_is_free(host_ip: str, port: int, protocol: str = "tcp") -> bool:
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    if not _bindable(family, kind, (host_ip, port)):
        return False
    # A port bound on 0.0.0.0 by someone else also blocks 127.0.0.1 on some systems, and the
    # reverse: check the wildcard too when we were asked about a specific address.
    if host_ip not in ("0.0.0.0", "::"):
        return _bindable(family, kind, ("0.0.0.0" if family == socket.AF_INET else "::", port))
    return True
