"""The aiohttp application: a thin adapter between HTTP and ``SandboxEngine``.

Routes:
- ``GET /`` — a small JSON 200 whose ``Date`` header is the engine clock (clients measure skew).
- ``/_sandbox/…`` — admin, loopback callers only, never rate-limited or logged. Every admin
  request carries the server's admin token in ``X-Sandbox-Admin`` (compared in constant time;
  missing or wrong: 401 ``{"error"}``, nothing done) and every admin POST is
  ``Content-Type: application/json`` (415 otherwise), so a web page the operator visits cannot
  drive the sandbox with a cross-site form post. Routes:
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
  ``{"rules": [...]}``, each the wire row plus ``orderid`` of a triggered rule).
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
show both sides of an unknown outcome.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from angelctl.sandbox.config import SandboxConfigError
from angelctl.sandbox.rest.faults import FaultSpecError
from angelctl.sandbox.rest.routes import MASTER_ROUTE
from angelctl.sandbox.rest.seeding import SeedError
from angelctl.sandbox.rest.service import SandboxEngine, UnknownInstrument
from angelctl.sandbox.rest.wire import (
    DropMode,
    EngineRequest,
    EngineResponse,
    gateway_failure_page,
)
from angelctl.wire import ADMIN_HEADER, ADMIN_PREFIX, BODY_METHODS

ENGINE_KEY = web.AppKey("engine", SandboxEngine)
ADMIN_TOKEN_KEY = web.AppKey("admin_token", bytes)
INSTRUMENTS_PATH = MASTER_ROUTE.path
INSTRUMENT_FILTERS = ("exch_seg", "symbol", "token", "name", "instrumenttype")
FEED_PATH = "/smart-stream"
ORDER_FEED_PATH = "/smart-order-update"

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(
    engine: SandboxEngine,
    *,
    admin_token: str,
    mounts: Iterable[Callable[[web.Application], None]] = (),
) -> web.Application:
    """The REST app; ``mounts`` add more routes (the sockets) before the catch-all API route."""
    app = web.Application(middlewares=[_admin_guard], client_max_size=4 * 1024 * 1024)
    app[ENGINE_KEY] = engine
    app[ADMIN_TOKEN_KEY] = admin_token.encode("ascii")
    admin = [
        ("GET", "/demo-account", _demo_account),
        ("POST", "/reset", _reset),
        ("GET", "/faults", _list_faults),
        ("POST", "/faults", _add_fault),
        ("DELETE", "/faults", _clear_faults),
        ("GET", "/requests", _requests),
        ("GET", "/stats", _stats),
        ("GET", "/config", _get_config),
        ("POST", "/config", _set_config),
        ("GET", "/instruments", _instruments),
        ("POST", "/market/price", _set_price),
        ("POST", "/market/freeze", _freeze_market),
        ("GET", "/market", _market),
        ("GET", "/orders", _orders),
        ("GET", "/events", _events),
        ("POST", "/orders/step", _step_orders),
        ("POST", "/seed", _seed_handler(None)),
        ("POST", "/orders", _seed_handler("orders")),
        ("POST", "/positions", _seed_handler("positions")),
        ("POST", "/gtt", _seed_handler("rules")),
        ("GET", "/gtt", _gtt_rules),
    ]
    for method, path, handler in admin:
        app.router.add_route(method, ADMIN_PREFIX + path, handler)
    for mount in mounts:
        mount(app)
    app.router.add_get("/", _root)
    app.router.add_route("*", "/{tail:.*}", _api)
    return app


# ----------------------------------------------------------------------------- API


async def _api(request: web.Request) -> web.StreamResponse:
    if request.path.startswith(ADMIN_PREFIX + "/") or request.path == ADMIN_PREFIX:
        return _admin_json({"error": "no such admin route"}, status=404)
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
    if plan.latency_seconds > 0:
        if plan.latency_seconds >= gateway:
            # Past the gateway timeout the request never reaches the engine.
            await asyncio.sleep(gateway)
            engine.note_gateway_timeout(engine_request, processed=False)
            return _to_aiohttp(gateway_failure_page(504))
        await asyncio.sleep(plan.latency_seconds)
    response = engine.handle(engine_request, plan)
    if response.hold_seconds > 0:
        waited = plan.latency_seconds
        if waited + response.hold_seconds >= gateway:
            # Processed, but its answer is held past the gateway timeout: a 504 instead.
            await asyncio.sleep(max(0.0, gateway - waited))
            engine.note_gateway_timeout(engine_request, processed=True)
            if response.drop is None and response.truncate_fraction is None:
                return _to_aiohttp(gateway_failure_page(504))
        else:
            await asyncio.sleep(response.hold_seconds)
    if response.drop is not None:
        _drop_connection(request, response.drop)
        # aiohttp treats a cancelled handler as a vanished client: nothing more is written.
        raise asyncio.CancelledError
    if response.truncate_fraction is not None:
        await _send_truncated(request, response, response.truncate_fraction)
        # Cancelling makes aiohttp close the connection (FIN after the bytes already written).
        raise asyncio.CancelledError
    return _to_aiohttp(response)


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


# --------------------------------------------------------------------------- admin


@web.middleware
async def _admin_guard(request: web.Request, handler: AdminHandler) -> web.StreamResponse:
    if _is_admin(request):
        refusal = _admin_refusal(request)
        if refusal is not None:
            return refusal
    return await handler(request)


def _is_admin(request: web.Request) -> bool:
    """An admin path, or a request the router matched to an admin route."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else ""
    return request.path.startswith(ADMIN_PREFIX) or canonical.startswith(ADMIN_PREFIX)


def _admin_refusal(request: web.Request) -> web.Response | None:
    """Why an admin request is refused (loopback, token, JSON), or None."""
    if not _is_loopback(request.remote):
        return _admin_json({"error": "admin routes answer loopback callers only"}, status=403)
    given = request.headers.get(ADMIN_HEADER)
    if given is None:
        message = f"admin routes need the sandbox's admin token in {ADMIN_HEADER}"
        return _admin_json({"error": message}, status=401)
    expected = request.app[ADMIN_TOKEN_KEY]
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
        return _admin_json({"error": f"wrong admin token in {ADMIN_HEADER}"}, status=401)
    if request.method in BODY_METHODS and request.content_type != "application/json":
        message = "admin requests with a body must be Content-Type: application/json"
        return _admin_json({"error": message}, status=415)
    return None


def _is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _admin_json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, dumps=_compact)


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=_compact({"error": message}), content_type="application/json")


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        payload = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise _bad_request(f"bad JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise _bad_request("expected a JSON object")
    return payload


def _int_query(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise _bad_request(f"{name} must be an integer") from exc


async def _demo_account(request: web.Request) -> web.StreamResponse:
    return _admin_json(request.app[ENGINE_KEY].demo_account())


async def _reset(request: web.Request) -> web.StreamResponse:
    request.app[ENGINE_KEY].reset()
    return _admin_json({"reset": True})


async def _list_faults(request: web.Request) -> web.StreamResponse:
    return _admin_json(request.app[ENGINE_KEY].list_faults())


async def _add_fault(request: web.Request) -> web.StreamResponse:
    spec = await _json_object(request)
    try:
        return _admin_json(request.app[ENGINE_KEY].add_fault(spec))
    except FaultSpecError as exc:
        return _admin_json({"error": str(exc)}, status=400)


async def _clear_faults(request: web.Request) -> web.StreamResponse:
    removed = request.app[ENGINE_KEY].clear_faults(_int_query(request, "id"))
    return _admin_json({"disarmed": removed})


async def _requests(request: web.Request) -> web.StreamResponse:
    since = _int_query(request, "since") or 0
    records = request.app[ENGINE_KEY].requests(since=since, route=request.query.get("route"))
    return _admin_json(records)


async def _stats(request: web.Request) -> web.StreamResponse:
    return _admin_json(request.app[ENGINE_KEY].stats())


async def _get_config(request: web.Request) -> web.StreamResponse:
    return _admin_json(request.app[ENGINE_KEY].config.runtime_dict())


async def _instruments(request: web.Request) -> web.StreamResponse:
    unknown = sorted(set(request.query) - set(INSTRUMENT_FILTERS))
    if unknown:
        message = f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(INSTRUMENT_FILTERS)}"
        return _admin_json({"error": message}, status=400)
    filters = {key: value for key, value in request.query.items() if value != ""}
    return _admin_json(request.app[ENGINE_KEY].instruments(**filters))


async def _set_config(request: web.Request) -> web.StreamResponse:
    changes = await _json_object(request)
    try:
        return _admin_json(request.app[ENGINE_KEY].update_config(changes))
    except SandboxConfigError as exc:
        return _admin_json({"error": str(exc)}, status=400)


# ----------------------------------------------------------------- paper market admin


def _price_field(payload: dict[str, Any], key: str, *, required: bool) -> Decimal | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad_request(f"{key} must be a price (string or number)")
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise _bad_request(f"{key} must be a price, not {value!r}") from exc
    if not price.is_finite() or price <= 0:
        raise _bad_request(f"{key} must be positive")
    return price


def _instrument_key(source: Any) -> tuple[str, str]:
    exch_seg, token = source.get("exch_seg"), source.get("token")
    if not isinstance(exch_seg, str) or not isinstance(token, str | int) or not exch_seg:
        raise _bad_request("exch_seg and token are required")
    return exch_seg, str(token)


async def _set_price(request: web.Request) -> web.StreamResponse:
    payload = await _json_object(request)
    exch_seg, token = _instrument_key(payload)
    ltp = _price_field(payload, "ltp", required=True)
    close = _price_field(payload, "close", required=False)
    assert ltp is not None
    try:
        return _admin_json(request.app[ENGINE_KEY].set_price(exch_seg, token, ltp, close))
    except UnknownInstrument as exc:
        return _admin_json({"error": f"no instrument {exc.args[0]}"}, status=404)


async def _freeze_market(request: web.Request) -> web.StreamResponse:
    payload = await _json_object(request)
    frozen = payload.get("frozen", True)
    if not isinstance(frozen, bool):
        raise _bad_request("frozen must be true or false")
    return _admin_json(request.app[ENGINE_KEY].freeze_market(frozen))


async def _market(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE_KEY]
    if not request.query.get("exch_seg") and not request.query.get("token"):
        return _admin_json(engine.market_view())
    exch_seg, token = _instrument_key(request.query)
    try:
        return _admin_json(engine.market_view(exch_seg, token))
    except UnknownInstrument as exc:
        return _admin_json({"error": f"no instrument {exc.args[0]}"}, status=404)


async def _orders(request: web.Request) -> web.StreamResponse:
    query = request.query
    rows = request.app[ENGINE_KEY].orders(
        tag=query.get("tag"), status=query.get("status"), client_code=query.get("client_code")
    )
    return _admin_json({"orders": rows})


async def _events(request: web.Request) -> web.StreamResponse:
    since = _int_query(request, "since") or 0
    events = request.app[ENGINE_KEY].events(since=since, orderid=request.query.get("orderid"))
    return _admin_json({"events": events})


async def _step_orders(request: web.Request) -> web.StreamResponse:
    return _admin_json(request.app[ENGINE_KEY].step_orders())


_ACCOUNT_KEYS = ("client_code", "opening_cash")


def _seed_handler(kind: str | None) -> AdminHandler:
    """``POST seed`` takes the whole spec; a shorthand takes one entry or ``{kind: [...]}``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        payload = await _json_object(request)
        spec = payload
        if kind is not None and kind not in payload:
            entry = {k: v for k, v in payload.items() if k not in _ACCOUNT_KEYS}
            spec = {k: payload[k] for k in _ACCOUNT_KEYS if k in payload}
            spec[kind] = [entry]
        try:
            return _admin_json(request.app[ENGINE_KEY].seed(spec))
        except SeedError as exc:
            return _admin_json({"error": str(exc)}, status=400)

    return handler


async def _gtt_rules(request: web.Request) -> web.StreamResponse:
    rules = request.app[ENGINE_KEY].gtt_rules(client_code=request.query.get("client_code"))
    return _admin_json({"rules": rules})
