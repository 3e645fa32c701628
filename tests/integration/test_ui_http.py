"""`devenv ui` over plain HTTP: the gate (token, Host, CSRF), what the API answers, and that a
secret value never leaves the server — in the env view, the state, or the service's logs."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.integration.ui_support import SECRET, dashboard, start_ui, stop_ui, wait_for, write_stack

__all__ = ["dashboard"]
pytestmark = pytest.mark.engine


def request(port: int, path: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: str = "", read: int = -1):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    conn.request(method, path, body=body or None, headers=sent)
    answer = conn.getresponse()
    data = answer.read(read) if read >= 0 else answer.read()
    conn.close()
    return answer.status, dict(answer.getheaders()), data.decode(errors="replace")


def cookie(board) -> dict[str, str]:
    status, headers, _ = request(board.port, f"/?token={board.token}")
    assert status == 200
    set_cookie = headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    return {"Cookie": set_cookie.split(";", 1)[0]}


def test_every_request_needs_the_token_and_the_bound_host(dashboard) -> None:
    port, token = dashboard.port, dashboard.token
    assert request(port, "/")[0] == 403
    assert request(port, "/api/state")[0] == 403
    assert request(port, "/?token=wrong")[0] == 403
    assert request(port, f"/?token={token}")[0] == 200
    assert request(port, f"/?token={token}", headers={"Host": f"localhost:{port}"})[0] == 200
    # DNS rebinding: a name of the attacker's that resolves to 127.0.0.1 still says its own Host.
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"0.0.0.0:{port}"):
        status, _, text = request(port, f"/?token={token}", headers={"Host": host})
        assert status == 403 and "address" in text, host
    sent = cookie(dashboard)
    assert request(port, "/api/state", headers=sent)[0] == 200
    assert request(port, "/api/state", headers={**sent, "Host": f"evil.example:{port}"})[0] == 403


def test_actions_need_post_and_the_csrf_token(dashboard) -> None:
    port, sent = dashboard.port, cookie(dashboard)
    _, _, page = request(port, "/", headers=sent)
    csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    body = json.dumps({"action": "restart", "service": "nope"})
    assert request(port, "/api/action", method="GET", headers=sent)[0] == 405  # a route for POST only
    assert request(port, "/api/action", method="POST", headers=sent, body=body)[0] == 403
    assert request(port, "/api/action", method="POST", headers={**sent, "X-CSRF-Token": "x"}, body=body)[0] == 403
    # The token in the query does not stand in for the cookie on a POST (a cross-site form could send it).
    status = request(port, f"/api/action?token={dashboard.token}", method="POST", headers={"X-CSRF-Token": csrf}, body=body)[0]
    assert status == 403
    foreign = {**sent, "X-CSRF-Token": csrf, "Origin": "http://evil.example"}
    assert request(port, "/api/action", method="POST", headers=foreign, body=body)[0] == 403
    status, _, text = request(port, "/api/action", method="POST", headers={**sent, "X-CSRF-Token": csrf}, body=body)
    assert status == 200 and json.loads(text) == {"ok": False, "message": json.loads(text)["message"]}
    assert "no service 'nope'" in json.loads(text)["message"]
    down = json.dumps({"action": "down"})  # no confirmation: refused, nothing removed
    status, _, text = request(port, "/api/action", method="POST", headers={**sent, "X-CSRF-Token": csrf}, body=down)
    assert status == 400 and "confirmation" in text


def test_env_shows_provenance_and_never_the_secret(dashboard) -> None:
    sent = cookie(dashboard)
    status, _, text = request(dashboard.port, "/api/env/worker", headers=sent)
    assert status == 200
    doc = json.loads(text)
    rows = {v["key"]: v for v in doc["variables"]}
    assert rows["DATABASE_URL"]["source"] == ".env.production:1"
    assert rows["DATABASE_URL"]["value"] == "postgres://app@db:5432/app"
    assert rows["DB_PASSWORD"] == {**rows["DB_PASSWORD"], "value": "***", "secret": True}
    assert rows["DB_PASSWORD"]["source"].startswith("secrets file .devenv/secrets.env")
    assert SECRET not in text


def test_state_and_logs_are_pushed_with_the_secret_masked(dashboard) -> None:
    """The worker prints its password: the event stream carries the line, masked."""
    sent = cookie(dashboard)

    def streamed() -> str:
        conn = http.client.HTTPConnection("127.0.0.1", dashboard.port, timeout=30)
        conn.request("GET", "/api/stream", headers={"Host": f"127.0.0.1:{dashboard.port}", **sent})
        answer = conn.getresponse()
        assert answer.status == 200 and answer.getheader("content-type", "").startswith("text/event-stream")
        text = answer.read1(1 << 20).decode()  # the first message(s): the state and the log backlog
        while "event: logs" not in text:
            text += answer.read1(1 << 20).decode()
        conn.close()
        return text

    def masked_line() -> str:
        text = streamed()
        return text if "connecting with ***" in text else ""

    text = wait_for(masked_line, "the worker's masked line")
    assert SECRET not in text
    state = json.loads(text.split("event: state\ndata: ", 1)[1].split("\n", 1)[0])
    (mine,) = [i for i in state["instances"] if i["current"]]
    services = {s["service"]: s for s in mine["services"]}
    assert services["web"]["health"] == "healthy" and services["web"]["urls"]
    assert services["crasher"]["verdict"] == "bad" and services["crasher"]["exit_code"] == 3
    assert services["worker"]["command"][-1].startswith("echo connecting with $DB_PASSWORD")


def test_a_port_in_use_is_one_line(project, busybox_image, dashboard) -> None:
    write_stack(project, busybox_image)
    taken = project.run("ui", "--no-open", "--port", str(dashboard.port), timeout=60)
    assert taken.code == 1 and f"cannot listen on 127.0.0.1:{dashboard.port}" in taken.err
    assert "Traceback" not in taken.err


def test_ctrl_c_stops_it_cleanly(project, busybox_image) -> None:
    write_stack(project, busybox_image)
    board = start_ui(project)
    sent = cookie(board)
    status, _, _ = request(board.port, "/api/stream", headers=sent, read=10)  # a page's stream is open
    assert status == 200
    err = stop_ui(board)
    assert board.process.returncode == 0 and "Traceback" not in err and "ERROR" not in err, err
