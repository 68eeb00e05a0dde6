"""The sandbox's admin routes (``/_sandbox/…``): their guard and their handlers.

Every route is listed in ``ADMIN_ROUTES`` (``http.build_app`` mounts them under
``ADMIN_PREFIX``); what each does is in ``http``'s docstring. The guard (``admin_guard``, an
aiohttp middleware) answers loopback callers only, with the server's admin token in
``ADMIN_HEADER`` compared in constant time, and JSON only for a request with a body.

Invariants: a refused admin request changes nothing; every answer is compact JSON, an error as
``{"error": "…"}``; the handlers call only ``SandboxEngine``'s public methods.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from angelctl.sandbox.config import SandboxConfigError
from angelctl.sandbox.rest.faults import FaultSpecError
from angelctl.sandbox.rest.paper_admin import UnknownInstrument
from angelctl.sandbox.rest.seeding import SeedError
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.wire import ADMIN_HEADER, ADMIN_PREFIX, BODY_METHODS

ENGINE_KEY = web.AppKey("engine", SandboxEngine)
ADMIN_TOKEN_KEY = web.AppKey("admin_token", bytes)
INSTRUMENT_FILTERS = ("exch_seg", "symbol", "token", "name", "instrumenttype")

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def admin_guard(request: web.Request, handler: AdminHandler) -> web.StreamResponse:
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
        return admin_json({"error": "admin routes answer loopback callers only"}, status=403)
    given = request.headers.get(ADMIN_HEADER)
    if given is None:
        message = f"admin routes need the sandbox's admin token in {ADMIN_HEADER}"
        return admin_json({"error": message}, status=401)
    expected = request.app[ADMIN_TOKEN_KEY]
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
        return admin_json({"error": f"wrong admin token in {ADMIN_HEADER}"}, status=401)
    if request.method in BODY_METHODS and request.content_type != "application/json":
        message = "admin requests with a body must be Content-Type: application/json"
        return admin_json({"error": message}, status=415)
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


def admin_json(payload: Any, status: int = 200) -> web.Response:
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
    return admin_json(request.app[ENGINE_KEY].demo_account())


async def _reset(request: web.Request) -> web.StreamResponse:
    request.app[ENGINE_KEY].reset()
    return admin_json({"reset": True})


async def _list_faults(request: web.Request) -> web.StreamResponse:
    return admin_json(request.app[ENGINE_KEY].list_faults())


async def _add_fault(request: web.Request) -> web.StreamResponse:
    spec = await _json_object(request)
    try:
        return admin_json(request.app[ENGINE_KEY].add_fault(spec))
    except FaultSpecError as exc:
        return admin_json({"error": str(exc)}, status=400)


async def _clear_faults(request: web.Request) -> web.StreamResponse:
    removed = request.app[ENGINE_KEY].clear_faults(_int_query(request, "id"))
    return admin_json({"disarmed": removed})


async def _requests(request: web.Request) -> web.StreamResponse:
    since = _int_query(request, "since") or 0
    records = request.app[ENGINE_KEY].requests(since=since, route=request.query.get("route"))
    return admin_json(records)


async def _stats(request: web.Request) -> web.StreamResponse:
    return admin_json(request.app[ENGINE_KEY].stats())


async def _get_config(request: web.Request) -> web.StreamResponse:
    return admin_json(request.app[ENGINE_KEY].config.runtime_dict())


async def _instruments(request: web.Request) -> web.StreamResponse:
    unknown = sorted(set(request.query) - set(INSTRUMENT_FILTERS))
    if unknown:
        message = f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(INSTRUMENT_FILTERS)}"
        return admin_json({"error": message}, status=400)
    filters = {key: value for key, value in request.query.items() if value != ""}
    return admin_json(request.app[ENGINE_KEY].instruments(**filters))


async def _set_config(request: web.Request) -> web.StreamResponse:
    changes = await _json_object(request)
    try:
        return admin_json(request.app[ENGINE_KEY].update_config(changes))
    except SandboxConfigError as exc:
        return admin_json({"error": str(exc)}, status=400)


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
        return admin_json(request.app[ENGINE_KEY].set_price(exch_seg, token, ltp, close))
    except UnknownInstrument as exc:
        return admin_json({"error": f"no instrument {exc.args[0]}"}, status=404)


async def _freeze_market(request: web.Request) -> web.StreamResponse:
    payload = await _json_object(request)
    frozen = payload.get("frozen", True)
    if not isinstance(frozen, bool):
        raise _bad_request("frozen must be true or false")
    return admin_json(request.app[ENGINE_KEY].freeze_market(frozen))


async def _market(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE_KEY]
    if not request.query.get("exch_seg") and not request.query.get("token"):
        return admin_json(engine.market_view())
    exch_seg, token = _instrument_key(request.query)
    try:
        return admin_json(engine.market_view(exch_seg, token))
    except UnknownInstrument as exc:
        return admin_json({"error": f"no instrument {exc.args[0]}"}, status=404)


async def _orders(request: web.Request) -> web.StreamResponse:
    query = request.query
    rows = request.app[ENGINE_KEY].orders(
        tag=query.get("tag"), status=query.get("status"), client_code=query.get("client_code")
    )
    return admin_json({"orders": rows})


async def _events(request: web.Request) -> web.StreamResponse:
    since = _int_query(request, "since") or 0
    events = request.app[ENGINE_KEY].events(since=since, orderid=request.query.get("orderid"))
    return admin_json({"events": events})


async def _step_orders(request: web.Request) -> web.StreamResponse:
    return admin_json(request.app[ENGINE_KEY].step_orders())


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
            return admin_json(request.app[ENGINE_KEY].seed(spec))
        except SeedError as exc:
            return admin_json({"error": str(exc)}, status=400)

    return handler


async def _positions(request: web.Request) -> web.StreamResponse:
    rows = request.app[ENGINE_KEY].positions(client_code=request.query.get("client_code"))
    return admin_json({"positions": rows})


async def _gtt_rules(request: web.Request) -> web.StreamResponse:
    rules = request.app[ENGINE_KEY].gtt_rules(client_code=request.query.get("client_code"))
    return admin_json({"rules": rules})


ADMIN_ROUTES: list[tuple[str, str, AdminHandler]] = [
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
    ("GET", "/positions", _positions),
    ("POST", "/gtt", _seed_handler("rules")),
    ("GET", "/gtt", _gtt_rules),
]
