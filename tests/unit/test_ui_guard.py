"""The dashboard's gate, as a function: the token (query once, then the cookie), the bound
Host only, POST with the CSRF token (and no foreign Origin) for actions."""

from __future__ import annotations

import asyncio

import pytest

from devenv.ui.guard import Guard, cookie_name, judge

PORT, TOKEN, CSRF = 8765, "t0ken-abc", "csrf-xyz"
HOST = (b"host", f"127.0.0.1:{PORT}".encode())
COOKIE = (b"cookie", f"other=1; {cookie_name(PORT)}={TOKEN}".encode())


def verdict(method: str = "GET", headers=(HOST,), query: bytes = b""):  # type: ignore[no-untyped-def]
    return judge(method, headers, query, port=PORT, token=TOKEN, csrf=CSRF)


def test_the_token_in_the_query_passes_a_get_and_sets_the_cookie() -> None:
    found = verdict(query=f"token={TOKEN}".encode())
    assert found.reason is None and found.set_cookie
    again = verdict(headers=(HOST, COOKIE), query=f"token={TOKEN}".encode())
    assert again.reason is None and not again.set_cookie  # the cookie is there already


@pytest.mark.parametrize(
    "query, headers",
    [
        (b"", (HOST,)),
        (b"token=wrong", (HOST,)),
        (b"token=", (HOST,)),
        (b"", (HOST, (b"cookie", f"{cookie_name(PORT + 1)}={TOKEN}".encode()))),  # another dashboard's
        (b"", (HOST, (b"cookie", f"{cookie_name(PORT)}={TOKEN}x".encode()))),
    ],
)
def test_no_token_no_entry(query: bytes, headers) -> None:  # type: ignore[no-untyped-def]
    assert "token" in (verdict(headers=headers, query=query).reason or "")


@pytest.mark.parametrize(
    "host",
    [f"evil.example:{PORT}", "evil.example", f"127.0.0.1:{PORT + 1}", f"0.0.0.0:{PORT}", f"[::1]:{PORT}", "", "127.0.0.1"],
)
def test_only_the_bound_address_is_answered(host: str) -> None:
    headers = ((b"host", host.encode()), COOKIE) if host else (COOKIE,)
    assert "address" in (verdict(headers=headers).reason or "")


def test_localhost_is_the_same_address() -> None:
    assert verdict(headers=((b"host", f"LOCALHOST:{PORT}".encode()), COOKIE)).reason is None


def test_an_action_needs_post_the_cookie_and_the_csrf_token() -> None:
    csrf = (b"x-csrf-token", CSRF.encode())
    assert verdict("POST", (HOST, COOKIE, csrf)).reason is None
    assert "CSRF" in (verdict("POST", (HOST, COOKIE)).reason or "")
    assert "CSRF" in (verdict("POST", (HOST, COOKIE, (b"x-csrf-token", b"nope"))).reason or "")
    # The query's token is for opening the page, not for a POST a foreign form could send.
    assert "token" in (verdict("POST", (HOST, csrf), f"token={TOKEN}".encode()).reason or "")
    foreign = (b"origin", b"http://evil.example")
    assert "cross-origin" in (verdict("POST", (HOST, COOKIE, csrf, foreign)).reason or "")
    same = (b"origin", f"http://localhost:{PORT}".encode())
    assert verdict("POST", (HOST, COOKIE, csrf, same)).reason is None
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        assert verdict(method, (HOST, COOKIE, csrf)).reason == "method not allowed"


def test_the_middleware_answers_403_or_passes_on_with_the_cookie() -> None:
    reached: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Guard(app, port=PORT, token=TOKEN, csrf=CSRF)

    def call(headers, query: bytes = b"") -> list[dict]:  # type: ignore[no-untyped-def]
        sent: list[dict] = []

        async def send(message) -> None:  # type: ignore[no-untyped-def]
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": "GET", "path": "/", "headers": list(headers), "query_string": query}
        asyncio.run(guard(scope, receive, send))
        return sent

    refused = call([HOST])
    assert refused[0]["status"] == 403 and b"token" in refused[1]["body"] and reached == []
    opened = call([HOST], f"token={TOKEN}".encode())
    (cookie,) = [v for k, v in opened[0]["headers"] if k == b"set-cookie"]
    assert cookie == f"{cookie_name(PORT)}={TOKEN}; Path=/; HttpOnly; SameSite=Strict".encode()
    assert reached == ["/"]
