"""The HTTP side (the standard library's server): `GET /messages[?to=ADDRESS]`,
`GET /messages/ID`, `GET /health`; JSON."""

from __future__ import annotations

import json
import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from notify.store import Store

log = logging.getLogger(__name__)
ONE = re.compile(r"/messages/(\d+)")


class Api(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: Store) -> None:
        super().__init__(("0.0.0.0", port), Handler)
        self.store = store


class Handler(BaseHTTPRequestHandler):
    server: Api

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        store = self.server.store
        if url.path == "/health":
            store.ping()
            self.reply(200, {"status": "ok"})
        elif url.path == "/messages":
            to = parse_qs(url.query).get("to")
            self.reply(200, store.messages(to[0] if to else None))
        elif match := ONE.fullmatch(url.path):
            message = store.message(int(match.group(1)))
            if message is None:
                self.reply(404, {"error": f"no message {match.group(1)}"})
            else:
                self.reply(200, message)
        else:
            self.reply(404, {"error": "try GET /messages, /messages/ID or /health"})

    def reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.path.startswith("/health"):  # the health check asks every second
            log.debug("%s %s", self.address_string(), format % args)
