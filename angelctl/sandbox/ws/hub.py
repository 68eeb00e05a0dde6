"""What the two WebSocket endpoints share: live connections, socket faults, heartbeat, admin.

The market feed (``ws.feed``, ``/smart-stream``) and the order-update socket (``ws.orders``,
``/smart-order-update``) are thin aiohttp handlers over the engine; this module keeps their
connections in one ``SocketHub`` (one per app) and applies the ``ws_*`` fault switches of
``faults`` (armed through ``POST /_sandbox/faults`` like every fault, cleared by reset).

``ws.endpoints.register_sockets(app, engine)`` adds both endpoints and these admin routes (the
handlers are here), and must run before the app's catch-all route:

- ``GET  /_sandbox/ws`` — per socket (``smartStream``, ``orderUpdates``): ``open``, ``accepted``,
  ``refused`` (by HTTP status), ``frames_sent``, and every open connection with ``id``,
  ``client_code``, ``frames_sent``, ``data_frames``, ``bad_frames``, ``pings_answered``,
  ``stalled`` and (feed) ``subscriptions`` as ``[{"exchangeType", "token", "mode"}, ...]``;
- ``POST /_sandbox/ws/close`` ``{"route": "*"|"smartStream"|"orderUpdates", "mode":
  "close"|"reset", "code": 1001, "client_code": null}`` — force-close matching connections
  (reconnect storms); ``{"closed": N}``.

Heartbeat (docs/protocol.md#feed-heartbeat, docs/protocol.md#order-update-socket): protocol pings
are answered by hand (``autoping`` is off so a stall can withhold them), text ``ping`` gets text
``pong``; nobody is dropped for silence.

Invariants:
- All hub state lives on the app's event loop; engine state is read only under ``engine.lock``.
- A connection opened before ``engine.reset()`` is closed (code 1012) at its next wakeup: a
  test's leftovers never count against the next test's connection limits.
- ``count`` of a socket fault counts upgrades refused or delayed, frame batches delayed,
  connections dropped or stalled, or bad frames sent (see ``faults``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import struct
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from angelctl.sandbox.rest.faults import WsBadFrame, WsDelay, WsDrop, WsReject, WsStall
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.rest.wire import gateway_failure_page

FEED_ROUTE = "smartStream"
ORDERS_ROUTE = "orderUpdates"
ROUTES = (FEED_ROUTE, ORDERS_ROUTE)
CLOSE_SERVICE_RESTART = 1012
CLOSE_INTERNAL_ERROR = 1011
#: aiohttp's maximum incoming message size for both sockets (requests are small JSON)
MAX_MESSAGE_BYTES = 1 << 20
CONNECTION_LIMIT = "Connection limit exceeded"

Subscription = tuple[int, str, int]  # (exchange type, token, mode)

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    id: int
    route: str
    client_code: str
    remote: str
    ws: web.WebSocketResponse
    request: web.Request
    paper: object  # the engine's paper broker when it opened: a reset replaces it
    subscriptions: set[Subscription] = field(default_factory=set)
    frames_sent: int = 0
    data_frames: int = 0
    bad_frames: int = 0
    pings_answered: int = 0
    stall_mode: str | None = None
    stall_until: float = 0.0
    cursor: int = 0  # order updates: events already looked at

    def stalled(self, now: float) -> str | None:
        if self.stall_mode is not None and now >= self.stall_until:
            self.stall_mode = None
        return self.stall_mode

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "client_code": self.client_code,
            "remote": self.remote,
            "frames_sent": self.frames_sent,
            "data_frames": self.data_frames,
            "bad_frames": self.bad_frames,
            "pings_answered": self.pings_answered,
            "stalled": self.stall_mode,
        }
        if self.route == FEED_ROUTE:
            out["subscriptions"] = [
                {"exchangeType": et, "token": token, "mode": mode}
                for et, token, mode in sorted(self.subscriptions)
            ]
        return out


class SocketHub:
    def __init__(self, engine: SandboxEngine) -> None:
        self.engine = engine
        self.connections: dict[int, Connection] = {}
        self._ids = itertools.count(1)
        self.accepted: Counter[str] = Counter()
        self.refused: dict[str, Counter[int]] = {route: Counter() for route in ROUTES}
        self.frames_sent: Counter[str] = Counter()
        self._paper: object = None

    def _follow_reset(self) -> None:
        """Counters start again when the engine is reset (a new paper broker)."""
        with self.engine.lock:
            paper = self.engine.state.paper
        if paper is not self._paper:
            self._paper = paper
            self.accepted.clear()
            self.frames_sent.clear()
            for counter in self.refused.values():
                counter.clear()

    # ------------------------------------------------------------- connections

    def open_count(self, route: str, client_code: str) -> int:
        self._follow_reset()
        return sum(
            1
            for c in self.connections.values()
            if c.route == route and c.client_code == client_code
        )

    def add(
        self, route: str, client_code: str, ws: web.WebSocketResponse, request: web.Request
    ) -> Connection:
        with self.engine.lock:
            paper = self.engine.state.paper
            cursor = len(paper.events)
        conn = Connection(
            next(self._ids), route, client_code, request.remote or "", ws, request, paper,
            cursor=cursor,
        )  # fmt: skip
        self.connections[conn.id] = conn
        self.accepted[route] += 1
        return conn

    def remove(self, conn: Connection) -> None:
        self.connections.pop(conn.id, None)

    async def send(self, conn: Connection, frame: bytes | str, *, data: bool = True) -> None:
        if isinstance(frame, bytes):
            await conn.ws.send_bytes(frame)
        else:
            await conn.ws.send_str(frame)
        conn.frames_sent += 1
        conn.data_frames += data
        self.frames_sent[conn.route] += 1

    def describe(self) -> dict[str, Any]:
        self._follow_reset()
        out: dict[str, Any] = {}
        for route in ROUTES:
            conns = [c for c in self.connections.values() if c.route == route]
            out[route] = {
                "open": len(conns),
                "accepted": self.accepted[route],
                "refused": {str(k): v for k, v in sorted(self.refused[route].items())},
                "frames_sent": self.frames_sent[route],
                "connections": [c.describe() for c in conns],
            }
        return out

    async def force_close(
        self,
        route: str = "*",
        mode: str = "close",
        code: int = 1001,
        client_code: str | None = None,
    ) -> int:
        targets = [
            c
            for c in self.connections.values()
            if (route == "*" or c.route == route)
            and (client_code is None or c.client_code == client_code)
        ]
        for conn in targets:
            await drop(conn, mode, code)
            self.remove(conn)
        return len(targets)

    # -------------------------------------------------------------------- faults

    async def upgrade_refusal(self, route: str) -> web.Response | None:
        """Apply ``ws_delay`` (stage upgrade) and ``ws_reject`` to one upgrade request."""
        board = self.engine.faults
        with self.engine.lock:
            delays = [f for f in board.socket_faults(WsDelay, route) if f.stage == "upgrade"]
            for fault in delays:
                board.consume(fault)
            rejects = board.socket_faults(WsReject, route)[:1]
            for reject in rejects:
                board.consume(reject)
        wait = sum(f.ms for f in delays) / 1000.0
        if wait > 0:
            await asyncio.sleep(wait)
        if not rejects:
            return None
        status, message = rejects[0].status, rejects[0].message
        if status >= 500:
            page = gateway_failure_page(status)
            return self.refuse(route, status, page.body.decode(), content_type="text/html")
        return self.refuse(route, status, message or "Invalid Header - Invalid Auth token")

    async def accept(
        self,
        request: web.Request,
        route: str,
        authenticate: Callable[[SandboxEngine, web.Request], str | tuple[int, str]],
    ) -> Connection | web.StreamResponse:
        """The upgrade both sockets share: armed upgrade faults, authentication (a status and
        ``x-error-message`` on failure), the per-client-code connection limit (429), then the
        101. Returns the open connection, or the response that refused it."""
        refused = await self.upgrade_refusal(route)
        if refused is not None:
            return refused
        engine = self.engine
        caller = authenticate(engine, request)
        if isinstance(caller, tuple):
            return self.refuse(route, *caller)
        if self.open_count(route, caller) >= engine.config.ws_max_connections:
            return self.refuse(route, 429, CONNECTION_LIMIT)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES)
        conn = self.add(route, caller, ws, request)  # before the 101: a reset now is seen
        try:
            await ws.prepare(request)
        except BaseException:
            self.remove(conn)
            raise
        return conn

    def refuse(
        self, route: str, status: int, message: str, content_type: str = "text/plain"
    ) -> web.Response:
        """An upgrade answered with ``status``; 4xx carry ``x-error-message``
        (docs/protocol.md#feed-handshake)."""
        self._follow_reset()
        self.refused[route][status] += 1
        headers = {"x-error-message": message} if status < 500 else {}
        return web.Response(status=status, text=message, headers=headers, content_type=content_type)

    async def before_batch(self, conn: Connection, now: float) -> bool:
        """Per wakeup: reset detection, drops, stalls, frame delays; False once closed."""
        engine, board = self.engine, self.engine.faults
        with engine.lock:
            if engine.state.paper is not conn.paper:
                action: tuple[str, int] | None = ("close", CLOSE_SERVICE_RESTART)
            else:
                action = None
                for fault in board.socket_faults(WsDrop, conn.route):
                    if conn.data_frames >= fault.after_frames:
                        board.consume(fault)
                        action = (fault.mode, fault.code)
                        break
            if action is None and conn.stall_mode is None:
                for stall in board.socket_faults(WsStall, conn.route)[:1]:
                    board.consume(stall)
                    conn.stall_mode, conn.stall_until = stall.mode, now + stall.seconds
            delays = [f for f in board.socket_faults(WsDelay, conn.route) if f.stage == "frames"]
            for delay in delays:
                board.consume(delay)
        if action is not None:
            await drop(conn, *action)
            self.remove(conn)
            return False
        wait = sum(f.ms for f in delays) / 1000.0
        if wait > 0:
            await asyncio.sleep(wait)
        return not conn.ws.closed

    def bad_frames(self, conn: Connection, sample: bytes | str | None) -> list[bytes | str]:
        """The malformed frames armed for this batch, built from a good one when needed."""
        board = self.engine.faults
        out: list[bytes | str] = []
        with self.engine.lock:
            for fault in board.socket_faults(WsBadFrame, conn.route):
                frame = malformed(fault.kind, sample, seed=conn.id * 1_000_003 + conn.frames_sent)
                if frame is None:
                    continue
                board.consume(fault)
                out.append(frame)
        return out


def malformed(kind: str, sample: bytes | str | None, seed: int) -> bytes | str | None:
    """A broken variant of ``sample`` (None when ``kind`` needs a sample and there is none)."""
    rng = random.Random(seed)
    if kind == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if sample is None:
        return None
    if isinstance(sample, str):  # order updates: JSON text
        if kind == "truncated":
            return sample[: len(sample) // 2]
        if kind == "trailing":
            return sample + "}garbage"
        return sample.replace('"order-status": "AB', '"order-status": "ZZ', 1)
    if kind == "truncated":
        return sample[: rng.randrange(1, len(sample))]
    if kind == "trailing":
        return sample + b"\x00garbage"
    return bytes([9]) + sample[1:]  # unknown_mode


async def drop(conn: Connection, mode: str, code: int = 1001) -> None:
    """End a connection: a close frame with ``code``, or a TCP reset (``mode="reset"``)."""
    if mode == "reset":
        transport = conn.request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        return
    if not conn.ws.closed:
        await conn.ws.close(code=code, message=b"sandbox closed the connection")


TextHandler = Callable[[Connection, str], Awaitable[None]]


async def serve(
    hub: SocketHub, conn: Connection, pump: Awaitable[None], on_text: TextHandler
) -> None:
    """Read until the client goes: answer heartbeats, hand other text to ``on_text``."""
    loop = asyncio.get_running_loop()
    pump_task = asyncio.ensure_future(_guarded(conn, pump))
    try:
        async for msg in conn.ws:
            silent = conn.stalled(loop.time()) == "silent"
            if msg.type == WSMsgType.PING:
                if not silent:
                    await conn.ws.pong(msg.data)
                    conn.pings_answered += 1
            elif msg.type == WSMsgType.TEXT:
                if msg.data == "ping":
                    if not silent:
                        await hub.send(conn, "pong", data=False)
                        conn.pings_answered += 1
                else:
                    await on_text(conn, msg.data)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        pump_task.cancel()
        hub.remove(conn)


async def _guarded(conn: Connection, pump: Awaitable[None]) -> None:
    """Run a connection's sender; if it fails, close with 1011 rather than fall silent."""
    try:
        await pump
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("socket %s #%d: sender failed", conn.route, conn.id)
        await drop(conn, "close", CLOSE_INTERNAL_ERROR)


HUB_KEY = web.AppKey("socket_hub", SocketHub)


async def admin_stats(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[HUB_KEY].describe())


async def admin_close(request: web.Request) -> web.StreamResponse:
    try:
        payload = await request.json() if request.can_read_body else {}
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return web.json_response({"error": "expected a JSON object"}, status=400)
    route = payload.get("route", "*")
    mode = payload.get("mode", "close")
    code = payload.get("code", 1001)
    client_code = payload.get("client_code")
    if route not in ("*", *ROUTES) or mode not in ("close", "reset"):
        return web.json_response(
            {"error": "route: *|smartStream|orderUpdates; mode: close|reset"}, status=400
        )
    if not isinstance(code, int) or not 1000 <= code <= 4999:
        return web.json_response({"error": "code must be 1000..4999"}, status=400)
    if client_code is not None and not isinstance(client_code, str):
        return web.json_response({"error": "client_code must be a string"}, status=400)
    closed = await request.app[HUB_KEY].force_close(route, mode, code, client_code)
    return web.json_response({"closed": closed})
