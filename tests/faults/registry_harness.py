"""A registry that misbehaves on demand, in front of the real test registry."""

from __future__ import annotations

import http.client
import http.server
import json
import socketserver
import threading
from typing import Any


class BadRegistry:
    """An HTTP server in front of the real test registry. `mode`: proxy | 401 | 404 | 500 | stall.
    `down()` closes the port (connection refused)."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.mode = "proxy"
        self.release = threading.Event()  # ends stalled requests at teardown
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

            do_HEAD = do_GET

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, req: Any) -> None:
        mode = self.mode
        if mode == "stall":
            self.release.wait(120)
            return
        if mode in ("401", "404", "500"):
            body = json.dumps(
                {
                    "errors": [
                        {
                            "code": {"401": "UNAUTHORIZED", "404": "MANIFEST_UNKNOWN", "500": "UNKNOWN"}[
                                mode
                            ],
                            "message": "injected fault",
                        }
                    ]
                }
            ).encode()
            req.send_response(int(mode))
            if mode == "401":
                req.send_header("WWW-Authenticate", 'Basic realm="faults"')
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            if req.command != "HEAD":
                req.wfile.write(body)
            return
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() in ("accept", "authorization")}
        conn.request(req.command, req.path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        req.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                req.send_header(key, value)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def down(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def close(self) -> None:
        self.release.set()
        try:
            self.down()
        except OSError:
            pass
