"""The dashboard's gate, as plain ASGI middleware: every request must carry the run's token
(in the query once, then an HttpOnly SameSite=Strict cookie), name the bound address in its
`Host` header (a rebound DNS name never does), and an action must be a POST with the CSRF token
the page was served with. Anything else is answered 403 before it reaches a route."""

from __future__ import annotations

import hmac
import urllib.parse
from collections.abc import Awaitable, Iterable, MutableMapping
from typing import Any, Callable, Optional

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = ("GET", "HEAD")
CSRF_HEADER = "x-csrf-token"


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def cookie_name(port: int) -> str:
    # Cookies ignore ports: two dashboards on one machine must not overwrite each other's.
    return f"devenv_ui_{port}"


def _same(given: Optional[str], expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _cookie(header: str, name: str) -> Optional[str]:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class Verdict:
    """Why a request is refused (`reason`), or that it passes and whether its token came in
    the query (then the answer sets the cookie)."""

    __slots__ = ("reason", "set_cookie")

    def __init__(self, reason: Optional[str] = None, set_cookie: bool = False) -> None:
        self.reason = reason
        self.set_cookie = set_cookie


def judge(
    method: str, headers: Iterable[tuple[bytes, bytes]], query: bytes, *, port: int, token: str, csrf: str
) -> Verdict:
    seen: dict[str, str] = {}
    for key, value in headers:
        seen.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    if seen.get("host", "").lower() not in allowed_hosts(port):
        return Verdict("this dashboard answers only at its own address")
    if method not in (*SAFE_METHODS, "POST"):
        return Verdict("method not allowed")
    from_query = urllib.parse.parse_qs(query.decode("latin-1")).get("token", [None])[0]
    from_cookie = _cookie(seen.get("cookie", ""), cookie_name(port))
    by_query = method in SAFE_METHODS and _same(from_query, token)
    if not (by_query or _same(from_cookie, token)):
        return Verdict("missing or wrong token: open the URL `devenv ui` printed")
    if method == "POST":
        origin = seen.get("origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in allowed_hosts(port)}:
            return Verdict("cross-origin request")
        if not _same(seen.get(CSRF_HEADER), csrf):
            return Verdict("missing or wrong CSRF token")
    return Verdict(set_cookie=by_query and not _same(from_cookie, token))


class Guard:
    """Wraps the app: refuses with 403, or passes the request on (adding the cookie)."""

    def __init__(self, app: ASGIApp, *, port: int, token: str, csrf: str) -> None:
        self.app = app
        self.port = port
        self.token = token
        self.csrf = csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        verdict = judge(
            scope["method"],
            scope.get("headers") or (),
            scope.get("query_string") or b"",
            port=self.port,
            token=self.token,
            csrf=self.csrf,
        )
        if verdict.reason is not None:
            body = f"403 forbidden: {verdict.reason}\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if not verdict.set_cookie:
            await self.app(scope, receive, send)
            return
        cookie = f"{cookie_name(self.port)}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, with_cookie)
