"""Is a host port free? A bind test, the same check the engine's port proxy will make."""

from __future__ import annotations

import socket


def port_is_free(host_ip: str, port: int, protocol: str = "tcp") -> bool:
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as sock:
        try:
            sock.bind((host_ip, port))
        except OSError:
            return False
    # A port bound on 0.0.0.0 by someone else also blocks 127.0.0.1 on some systems, and the
    # reverse: check the wildcard too when we were asked about a specific address.
    if host_ip not in ("0.0.0.0", "::"):
        with socket.socket(family, kind) as sock:
            try:
                sock.bind(("0.0.0.0" if family == socket.AF_INET else "::", port))
            except OSError:
                return False
    return True
