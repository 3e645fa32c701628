"""The dashboard's routes (Starlette), behind `guard.Guard`. The page and its script and style
ship in `static/`: no CDN, works offline."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from devenv.errors import DevenvError
from devenv.ui.actions import ACTIONS, DOWN, run_action
from devenv.ui.guard import Guard
from devenv.ui.live import Live
from devenv.ui.views import drift_doc, env_doc

STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
HEADERS = {
    # Nothing from elsewhere, no inline script, no framing; the token never leaves in a Referer.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


def _static(name: str) -> str:
    return resources.files("devenv.ui").joinpath("static", name).read_text(encoding="utf-8")


def build_app(live: Live, *, port: int, token: str, csrf: str, trust: bool = False) -> Guard:
    files = {name: _static(name) for name in STATIC}
    page = _static("index.html").replace("{{csrf}}", csrf).replace("{{project}}", html.escape(live.project.name))
    busy = asyncio.Lock()  # one action at a time from this dashboard (the instance lock guards the rest)

    async def index(request: Request) -> Response:
        # The current state goes in the page (not executed: data for the script), so the stack
        # is drawn without waiting for the event stream. `<` escaped: no `</script>` can end it.
        state = json.dumps(live.state, separators=(",", ":"))
        state = state.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Response(page.replace("{{state}}", state), media_type="text/html", headers=HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return Response("not found\n", status_code=404, media_type="text/plain")
        return Response(files[name], media_type=STATIC[name], headers=HEADERS)

    async def state(request: Request) -> Response:
        return JSONResponse(live.state, headers=HEADERS)

    async def stream(request: Request) -> Response:
        page = live.subscribe()

        async def messages() -> AsyncIterator[str]:
            try:
                while True:
                    message = await page.get()
                    if message is None:  # the server is stopping
                        return
                    yield message
            finally:
                live.unsubscribe(page)

        return StreamingResponse(
            messages(), media_type="text/event-stream", headers={**HEADERS, "x-accel-buffering": "no"}
        )

    async def env(request: Request) -> Response:
        service = request.path_params["service"]
        profile = request.query_params.get("profile") or None
        try:
            doc = await asyncio.to_thread(env_doc, live.project, service, profile, live.redactor)
        except DevenvError as err:
            return JSONResponse({"error": live.redactor.redact(str(err))}, status_code=400, headers=HEADERS)
        return JSONResponse(doc, headers=HEADERS)

    async def drift(request: Request) -> Response:
        with_lock = request.query_params.get("lock") == "1"
        doc = await asyncio.to_thread(drift_doc, live.project, live.redactor, with_lock=with_lock)
        return JSONResponse(doc, headers=HEADERS)

    async def action(request: Request) -> Response:
        try:
            body: Any = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("action") not in ACTIONS:
            return JSONResponse({"ok": False, "message": f"one of {', '.join(ACTIONS)}"}, status_code=400)
        name, service = body["action"], body.get("service")
        instance = body.get("instance") or live.instance
        if name == DOWN and body.get("confirm") != instance:
            return JSONResponse({"ok": False, "message": "down needs the instance's name as confirmation"}, status_code=400)
        async with busy:
            try:
                message = await asyncio.to_thread(
                    run_action, live.project, instance, name, service, live.engine, trust=trust
                )
                ok = True
            except DevenvError as err:
                message, ok = str(err), False
        return JSONResponse({"ok": ok, "message": live.redactor.redact(message)}, headers=HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await live.start()
        try:
            yield
        finally:
            live.close()

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/state", state),
        Route("/api/stream", stream),
        Route("/api/env/{service}", env),
        Route("/api/drift", drift),
        Route("/api/action", action, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), port=port, token=token, csrf=csrf)
