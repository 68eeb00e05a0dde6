"""The order-update socket, ``/smart-order-update`` (docs/protocol.md#order-update-socket), over the
paper broker.

Handshake: ``Authorization: Bearer <jwt>`` (the market feed's other headers are accepted and
ignored). No or unknown jwt → 401, expired → 403, more than ``ws_max_connections`` per client
code → 429, each with ``x-error-message``.

Frames (JSON text, keys followed by ``": "`` and no space after commas, as the live server
writes them): first an ``AB00`` acknowledgement with an all-empty ``orderData`` (the realdata
capture ``order_update_ws_AB00_initial_message_thakaresureshss.json``), then one frame per state
change of the caller's orders, in order, from the paper broker's event list: AB09 open pending,
AB01 open (also after each partial fill, with growing ``filledshares``), AB10 trigger pending,
AB11 modify pending, AB04 modified, AB02 cancelled, AB03 rejected, AB05 complete, AB06/07/08
for after-market orders. "cancel pending" has no code and is not sent. ``orderData`` has the
captured key order (no ``uniqueorderid``/``exchangeorderid``, which the captures lack).

Events are picked up every ``POLL_SECONDS``; only events after the connection opened are sent.
The socket does not drive the paper broker (it never calls ``sync``): orders move when a request
or admin call brings the broker up to the clock, exactly as without a listener, so listening
never changes what a test sees.
Heartbeat: text ``ping`` → ``pong``, protocol pings answered, and a 1-byte binary ``b"\\x00"``
every ``order_feed_heartbeat_seconds`` as the live server does (None: off).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from angelctl.sandbox.engine.orders import OrderEvent
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.rest.sessions import TokenCheck
from angelctl.sandbox.ws.hub import (
    HUB_KEY,
    ORDERS_ROUTE,
    Connection,
    SocketHub,
    serve,
)

POLL_SECONDS = 0.02
HEARTBEAT_FRAME = b"\x00"
INVALID_TOKEN = "Invalid Header - Invalid Auth token"
EXPIRED_TOKEN = "Token Expired"

#: ``orderData`` of the AB00 acknowledgement, in the live key order (realdata capture)
EMPTY_ORDER_DATA: dict[str, Any] = {
    "variety": "", "ordertype": "", "ordertag": "", "producttype": "", "price": 0.0,
    "triggerprice": 0.0, "quantity": "0", "disclosedquantity": "0", "duration": "",
    "squareoff": 0.0, "stoploss": 0.0, "trailingstoploss": 0.0, "tradingsymbol": "",
    "transactiontype": "", "exchange": "", "symboltoken": "", "instrumenttype": "",
    "strikeprice": 0.0, "optiontype": "", "expirydate": "", "lotsize": "0", "cancelsize": "0",
    "averageprice": 0.0, "filledshares": "", "unfilledshares": "", "orderid": "", "text": "",
    "status": "", "orderstatus": "", "updatetime": "", "exchtime": "", "exchorderupdatetime": "",
    "fillid": "", "filltime": "", "parentorderid": "",
}  # fmt: skip


def frame_text(client_code: str, order_status: str, order_data: dict[str, Any]) -> str:
    body = {
        "user-id": client_code,
        "status-code": "200",
        "order-status": order_status,
        "error-message": "",
        "orderData": order_data,
    }
    return json.dumps(body, separators=(",", ": "))


def update_frame(event: OrderEvent) -> str:
    row = event.row
    data = {key: row.get(key, empty) for key, empty in EMPTY_ORDER_DATA.items()}
    return frame_text(event.client_code, event.order_status or "", data)


def authenticate(engine: SandboxEngine, request: web.Request) -> str | tuple[int, str]:
    """The caller's client code, or (HTTP status, ``x-error-message``)."""
    scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, INVALID_TOKEN
    with engine.lock:
        check, token_set = engine.state.sessions.check_jwt(token.strip(), engine.clock.now())
    if check is TokenCheck.EXPIRED:
        return 403, EXPIRED_TOKEN
    if check is not TokenCheck.VALID or token_set is None:
        return 401, INVALID_TOKEN
    return token_set.client_code


async def handler(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    conn = await hub.accept(request, ORDERS_ROUTE, authenticate)
    if not isinstance(conn, Connection):
        return conn
    await hub.send(conn, frame_text(conn.client_code, "AB00", dict(EMPTY_ORDER_DATA)))
    await serve(hub, conn, _pump(hub, conn), _ignore_text)
    return conn.ws


async def _ignore_text(conn: Connection, text: str) -> None:
    """The order-update socket takes no requests; other text is ignored."""


def _new_events(hub: SocketHub, conn: Connection) -> list[str]:
    engine = hub.engine
    with engine.lock:
        paper = engine.state.paper
        events = paper.events[conn.cursor :]
        conn.cursor = len(paper.events)
    return [
        update_frame(event)
        for event in events
        if event.client_code == conn.client_code and event.order_status is not None
    ]


async def _pump(hub: SocketHub, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    last_beat = loop.time()
    while not conn.ws.closed:
        await asyncio.sleep(POLL_SECONDS)
        now = loop.time()
        if not await hub.before_batch(conn, now):
            return
        if conn.stalled(now):
            continue
        frames: list[bytes | str] = list(_new_events(hub, conn))
        beat = hub.engine.config.order_feed_heartbeat_seconds
        sample = frames[0] if frames else frame_text(conn.client_code, "AB00", EMPTY_ORDER_DATA)
        bad = hub.bad_frames(conn, sample)
        conn.bad_frames += len(bad)
        for frame in bad:
            await hub.send(conn, frame, data=False)
        for frame in frames:
            await hub.send(conn, frame)
        if beat is not None and now - last_beat >= beat:
            last_beat = now
            await hub.send(conn, HEARTBEAT_FRAME, data=False)
