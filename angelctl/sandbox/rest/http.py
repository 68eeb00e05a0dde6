"""The aiohttp application: a thin adapter between HTTP and ``SandboxEngine``.

Routes:
- ``GET /`` — a small JSON 200 whose ``Date`` header is the engine clock (clients measure skew).
- ``/_sandbox/…`` — admin (guard and handlers: ``admin_http``), loopback callers only, never
  rate-limited or logged. Every admin request carries the server's admin token in
  ``X-Sandbox-Admin`` (compared in constant time; missing or wrong: 401 ``{"error"}``, nothing
  done) and every admin POST is ``Content-Type: application/json`` (415 otherwise), so a web page
  the operator visits cannot drive the sandbox with a cross-site form post. Routes:
  ``GET demo-account``, ``POST reset``, ``GET|POST|DELETE faults`` (``DELETE ?id=N`` for one),
  ``GET requests`` (``?since=SEQ&route=NAME``), ``GET stats``, ``GET|POST config``,
  ``GET instruments`` (``?exch_seg=&symbol=&token=&name=&instrumenttype=``: matching master rows
  of the engine's current universe and their reference prices);
  the paper market and broker: ``POST market/price`` ``{"exch_seg","token","ltp"[,"close"]}``
  (set the LTP now, run matching), ``POST market/freeze`` ``{"frozen": true|false}``,
  ``GET market`` (``?exch_seg=&token=``), ``GET orders`` (``?tag=&status=&client_code=``:
  ``{"orders": [...]}``), ``GET events`` (``?since=SEQ&orderid=``: ``{"events": [...]}``),
  ``POST orders/step`` (one matching pass now);
  seeding (no rate limits; spec in ``seeding``): ``POST seed`` ``{"client_code"?,
  "opening_cash"?, "orders"?: [...], "positions"?: [...], "rules"?: [...]}``, and the shorthands
  ``POST orders``, ``POST positions``, ``POST gtt`` (one entry object, or ``{"<kind>": [...]}``);
  answer ``{"client_code", "orders": [...], "positions": [...], "rules": [...]}`` (400
  ``{"error"}`` on a bad spec, nothing applied); ``GET gtt`` (``?client_code=``:
  ``{"rules": [...]}``, each the wire row plus ``orderid`` of a triggered rule); ``GET positions``
  (``?client_code=``: ``{"positions": [...]}``, the getPosition rows of that account);
  a replaying sandbox (``engine.replay``): ``GET replay`` (where it stands; 404 without one),
  ``POST replay/start`` (start again from the first frame now, or start a held replay).
- ``/smart-stream``, ``/smart-order-update`` — the WebSocket feeds, with admin ``GET ws`` and
  ``POST ws/close`` (package ``ws``; ``server`` mounts them through ``build_app(mounts=…)``).
- everything else — the SmartAPI REST surface and the instrument master download
  (``GET /OpenAPI_File/files/OpenAPIScripMaster.json``), handed to the engine byte for byte.

The adapter's only own behaviour is timing, which the engine cannot do without sockets:
sleep for injected latency *before* the engine processes the request, hold the finished
response, drop the connection (RST or FIN) instead of answering, or send a truncated body
under the full ``Content-Length`` and close. Like the broker's gateway, it gives up after
``gateway_timeout_seconds``: a request delayed that long is discarded unprocessed, an answer
held that long becomes a 504 page (the request *was* processed), so latency and hold faults
show both sides of an unknown outcome. With ``simulated_latency_ms`` set (the kill-switch
drill) nothing sleeps: every wait, and the modelled cost of each request, moves the engine's
clock instead (``SandboxEngine.advance_clock``).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC
from email.utils import format_datetime

from aiohttp import web

from angelctl.sandbox.rest.admin_http import (
    ADMIN_ROUTES,
    ADMIN_TOKEN_KEY,
    ENGINE_KEY,
    admin_guard,
    admin_json,
)
from angelctl.sandbox.rest.routes import MASTER_ROUTE
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.rest.wire import (
    DropMode,
    EngineRequest,
    EngineResponse,
    gateway_failure_page,
)
from angelctl.wire import ADMIN_PREFIX

INSTRUMENTS_PATH = MASTER_ROUTE.path
FEED_PATH = "/smart-stream"
ORDER_FEED_PATH = "/smart-order-update"


def build_app(
    engine: SandboxEngine,
    *,
    admin_token: str,
    mounts: Iterable[Callable[[web.Application], None]] = (),
) -> web.Application:
    """The REST app; ``mounts`` add more routes (the sockets) before the catch-all API route."""
    app = web.Application(middlewares=[admin_guard], client_max_size=4 * 1024 * 1024)
    app[ENGINE_KEY] = engine
    app[ADMIN_TOKEN_KEY] = admin_token.encode("ascii")
    for method, path, handler in ADMIN_ROUTES:
        app.router.add_route(method, ADMIN_PREFIX + path, handler)
    for mount in mounts:
        mount(app)
    app.router.add_get("/", _root)
    app.router.add_route("*", "/{tail:.*}", _api)
    return app


# ----------------------------------------------------------------------------- API


async def _api(request: web.Request) -> web.StreamResponse:
    if request.path.startswith(ADMIN_PREFIX + "/") or request.path == ADMIN_PREFIX:
        return admin_json({"error": "no such admin route"}, status=404)
    engine = request.app[ENGINE_KEY]
    engine_request = EngineRequest(
        method=request.method,
        target=request.raw_path,
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers),
        body=await request.read(),
        remote=request.remote or "",
    )
    plan = engine.plan_faults(engine_request)
    gateway = engine.config.gateway_timeout_seconds
    simulated = engine.config.simulated_latency_ms
    wait = _sleeper(engine)
    base = 0.0 if simulated is None else simulated / 2000.0  # half before, half after
    before = base + plan.latency_seconds
    if before > 0:
        if before >= gateway:
            # Past the gateway timeout the request never reaches the engine.
            await wait(gateway)
            engine.note_gateway_timeout(engine_request, processed=False)
            return _to_aiohttp(gateway_failure_page(504))
        await wait(before)
    response = engine.handle(engine_request, plan)
    after = base + response.hold_seconds
    if after > 0:
        if response.hold_seconds > 0 and before + after >= gateway:
            # Processed, but its answer is held past the gateway timeout: a 504 instead.
            await wait(max(0.0, gateway - before))
            engine.note_gateway_timeout(engine_request, processed=True)
            if response.drop is None and response.truncate_fraction is None:
                return _to_aiohttp(gateway_failure_page(504))
        else:
            await wait(after)
    if response.drop is not None:
        _drop_connection(request, response.drop)
        # aiohttp treats a cancelled handler as a vanished client: nothing more is written.
        raise asyncio.CancelledError
    if response.truncate_fraction is not None:
        await _send_truncated(request, response, response.truncate_fraction)
        # Cancelling makes aiohttp close the connection (FIN after the bytes already written).
        raise asyncio.CancelledError
    return _to_aiohttp(response)


def _sleeper(engine: SandboxEngine) -> Callable[[float], Awaitable[None]]:
    """How the adapter waits: real sleeps, or (simulated time) moves of the engine's clock."""
    if engine.config.simulated_latency_ms is None:
        return asyncio.sleep

    async def advance(seconds: float) -> None:
        engine.advance_clock(seconds)

    return advance


def _to_aiohttp(response: EngineResponse) -> web.Response:
    out = web.Response(status=response.status, body=response.body, headers=response.headers)
    if response.content_type is not None:
        out.content_type = response.content_type
    return out


async def _send_truncated(request: web.Request, response: EngineResponse, fraction: float) -> None:
    """Headers with the full Content-Length, then only ``fraction`` of the body."""
    out = web.StreamResponse(status=response.status, headers=response.headers)
    if response.content_type is not None:
        out.content_type = response.content_type
    out.content_length = len(response.body)
    await out.prepare(request)
    cut = int(len(response.body) * fraction)
    if cut:
        await out.write(response.body[:cut])


def _drop_connection(request: web.Request, mode: DropMode) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if mode == "reset" and sock is not None:
        # SO_LINGER with a zero timeout turns close() into an RST: the client sees a reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _root(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE_KEY]
    date = format_datetime(engine.clock.now().astimezone(UTC), usegmt=True)
    body = {"service": "angelctl-sandbox", "status": "ok"}
    return web.json_response(body, headers={"Date": date})
