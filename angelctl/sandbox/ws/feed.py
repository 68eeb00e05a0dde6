"""The WebSocket 2.0 market feed, ``/smart-stream`` (docs/protocol.md#websocket-20-market-feed),
over the paper market.

Handshake: credentials in headers (``Authorization`` raw or ``Bearer …``, ``x-api-key``,
``x-client-code``, ``x-feed-token``) or query parameters (``clientCode``, ``feedToken``,
``apiKey``). Client code and a live feed token of that client are required; an Authorization
or API key, when sent, must be valid too. Failures: HTTP 401 with ``x-error-message``
``Invalid Header - Invalid Auth token | Invalid Client Code | Invalid API Key | Invalid Feed
Token`` (checked in that order); more than ``ws_max_connections`` per client code: 429.

Requests (text, docs/protocol.md#subscribe-requests): ``{"correlationID", "action": 1|0, "params":
{"mode", "tokenList": [{"exchangeType", "tokens": ["3045"]}]}}``. Anything malformed — including
mode 4 unless ``feed_depth20`` — is refused whole with ``E1001``; a subscribe that would take the
connection past ``feed_subscription_limit`` token×mode pairs with ``E1002``
(docs/protocol.md#server-text-frames; the correlation id is echoed). Duplicates are free, unknown
unsubscribes ignored, a refused request changes nothing. Tokens the day's universe does not list
count against the quota but never tick.

Ticks: every connection wakes ``feed_ticks_per_second`` times a second, on slot boundaries
shared by all connections (a late wakeup sends the slots it missed, up to a second's worth, so
the configured rate is the rate delivered), and sends one binary frame per subscription in its
mode, encoded by
``angelctl.feed.encode``. Values come from ``market.Ticker`` — the same object the matching
engine fills against — so a fill and the tick of that moment show one price. ``TickSource``
keeps one built tick per token×mode (rebuilt only when the ticker's ``version`` moves) and one
encoded frame per token×mode per slot (shared by every connection), so a wakeup costs a dict
lookup per subscription plus one ``struct`` pack per token×mode.

Replay (``engine.replay``): a replayed token never ticks from the slots above. Each connection
of a replaying sandbox has a second sender (``_replay_pump``) that wakes every
``REPLAY_PERIOD_S``, brings the market up to the clock and sends every frame that came due since
its last wakeup, in recorded order: to a subscription in the frame's own mode the **recorded
bytes**; to one in a mode the recording has no frames of for that token, a packet encoded from
the ticker (as of the wakeup; sequence and exchange time are the frame's). A connection starts
at the frames due after it opened.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from aiohttp import web

from angelctl.feed.encode import encode
from angelctl.feed.ticks import (
    DepthLevel,
    DepthTick,
    ExchangeType,
    LtpTick,
    QuoteTick,
    SnapQuoteTick,
    Tick,
    divisor_for,
)
from angelctl.sandbox.engine.market import Ticker
from angelctl.sandbox.engine.replay import SEGMENTS, TapeFrame
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.rest.sessions import TokenCheck
from angelctl.sandbox.ws.hub import (
    FEED_ROUTE,
    HUB_KEY,
    Connection,
    SocketHub,
    Subscription,
    serve,
)

INVALID_AUTH = "Invalid Header - Invalid Auth token"
INVALID_CLIENT = "Invalid Header - Invalid Client Code"
INVALID_API_KEY = "Invalid Header - Invalid API Key"
INVALID_FEED_TOKEN = "Invalid Header - Invalid Feed Token"
E1001 = ("E1001", "Invalid Request Payload.")
E1002 = ("E1002", "Invalid Request. Subscription Limit Exceeded")

DEPTH20_LEVELS = 20
REPLAY_PERIOD_S = 0.02


# ----------------------------------------------------------------------- handshake


def authenticate(engine: SandboxEngine, request: web.Request) -> str | tuple[int, str]:
    """The caller's client code, or (HTTP status, ``x-error-message``)."""
    headers, query = request.headers, request.query
    auth = (headers.get("Authorization") or "").strip()
    api_key = headers.get("x-api-key", query.get("apiKey"))
    client = (headers.get("x-client-code") or query.get("clientCode") or "").strip()
    feed = (headers.get("x-feed-token") or query.get("feedToken") or "").strip()
    jwt_client = ""
    with engine.lock:
        state, now = engine.state, engine.clock.now()
        if auth:
            scheme, _, rest = auth.partition(" ")
            jwt = rest.strip() if scheme.lower() == "bearer" else auth
            check, token_set = state.sessions.check_jwt(jwt, now)
            if check is not TokenCheck.VALID or token_set is None:
                return 401, INVALID_AUTH
            jwt_client = token_set.client_code.upper()
        account = state.account(client) if client else None
        if account is None:
            return 401, INVALID_CLIENT
        if auth and jwt_client != account.client_code.upper():
            return 401, INVALID_AUTH
        if api_key is not None and not state.is_known_api_key(api_key.strip()):
            return 401, INVALID_API_KEY
        if not feed:
            return 401, INVALID_FEED_TOKEN
        check, token_set = state.sessions.check_feed(feed, now)
        if check is not TokenCheck.VALID or token_set is None:
            return 401, INVALID_FEED_TOKEN
        if token_set.client_code.upper() != account.client_code.upper():
            return 401, INVALID_FEED_TOKEN
        return account.client_code


async def handler(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    conn = await hub.accept(request, FEED_ROUTE, authenticate)
    if not isinstance(conn, Connection):
        return conn
    pump: Any = _pump(hub, conn)
    if hub.engine.state.replay is not None:
        pump = asyncio.gather(pump, _replay_pump(hub, conn))
    await serve(hub, conn, pump, _on_request)
    return conn.ws


# ------------------------------------------------------------------------ requests


class RequestRefused(Exception):
    def __init__(self, correlation_id: str, code: tuple[str, str]) -> None:
        super().__init__(code[1])
        self.correlation_id, self.code = correlation_id, code

    def frame(self) -> str:
        return json.dumps(
            {
                "correlationID": self.correlation_id,
                "errorCode": self.code[0],
                "errorMessage": self.code[1],
            }
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_request(text: str, *, depth20: bool) -> tuple[str, int, set[Subscription]]:
    """(correlation id, action, token×mode pairs) of one request; ``RequestRefused`` if bad."""
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    correlation = ""
    if isinstance(payload, dict) and isinstance(payload.get("correlationID"), str):
        correlation = payload["correlationID"]
    refused = RequestRefused(correlation, E1001)
    if not isinstance(payload, dict):
        raise refused
    action, params = payload.get("action"), payload.get("params")
    if action not in (0, 1) or not _is_int(action) or not isinstance(params, dict):
        raise refused
    mode, token_list = params.get("mode"), params.get("tokenList")
    modes = (1, 2, 3, 4) if depth20 else (1, 2, 3)
    if not isinstance(mode, int) or not _is_int(mode) or mode not in modes:
        raise refused
    if not isinstance(token_list, list):
        raise refused
    pairs: set[Subscription] = set()
    for group in token_list:
        if not isinstance(group, dict):
            raise refused
        exchange, tokens = group.get("exchangeType"), group.get("tokens")
        if not isinstance(exchange, int) or not _is_int(exchange) or exchange not in SEGMENTS:
            raise refused
        if not isinstance(tokens, list):
            raise refused
        for token in tokens:
            ok = isinstance(token, str) and 0 < len(token) <= 25
            if not ok or not (token.isascii() and token.isdigit()):
                raise refused
            pairs.add((exchange, token, mode))
    if not pairs:
        raise refused
    return correlation, action, pairs


async def _on_request(conn: Connection, text: str) -> None:
    hub = conn.request.app[HUB_KEY]
    config = hub.engine.config
    try:
        correlation, action, pairs = parse_request(text, depth20=config.feed_depth20)
        if action == 1:
            new = pairs - conn.subscriptions
            if len(conn.subscriptions) + len(new) > config.feed_subscription_limit:
                raise RequestRefused(correlation, E1002)
            conn.subscriptions |= new
        else:
            conn.subscriptions -= pairs
    except RequestRefused as refused:
        await hub.send(conn, refused.frame(), data=False)


# --------------------------------------------------------------------------- ticks


def _raw(value: Decimal, divisor: int) -> int:
    return int(value * divisor)


def build_tick(mode: int, exchange_type: int, token: str, t: Ticker) -> Tick:
    """The tick a subscription in ``mode`` sees of ticker ``t`` (sequence and time left 0)."""
    div = divisor_for(exchange_type)
    ltp = _raw(t.ltp, div)
    if mode == 1:
        return LtpTick(1, exchange_type, token, 0, 0, ltp)
    bids, asks = t.depth()
    if mode == 4:
        return _depth20(exchange_type, token, t, bids, asks, div)
    buy, sell = t.total_quantities()
    quote = (
        t.last_qty, _raw(t.avg_price, div), t.volume, float(buy), float(sell),
        _raw(t.open, div), _raw(t.high, div), _raw(t.low, div), _raw(t.prev_close, div),
    )  # fmt: skip
    if mode == 2:
        return QuoteTick(2, exchange_type, token, 0, 0, ltp, *quote)
    oi = t.open_interest
    change = (oi - t.oi_base) * 100.0 / t.oi_base if t.oi_base else 0.0
    return SnapQuoteTick(
        3, exchange_type, token, 0, 0, ltp, *quote, int(t.last_trade_at.timestamp()), oi, change,
        tuple(DepthLevel(b.quantity, _raw(b.price, div), b.orders) for b in bids),
        tuple(DepthLevel(a.quantity, _raw(a.price, div), a.orders) for a in asks),
        _raw(t.upper_circuit, div), _raw(t.lower_circuit, div),
        _raw(t.week52_high, div), _raw(t.week52_low, div),
    )  # fmt: skip


def _depth20(
    exchange_type: int, token: str, t: Ticker, bids: Any, asks: Any, div: int
) -> DepthTick:
    """Twenty levels a side: the market's five, continued a tick or two apart."""
    lot, tick = t.instrument.lotsize, t.tick
    sides = []
    for levels, direction in ((bids, -1), (asks, 1)):
        out = [DepthLevel(lv.quantity, _raw(lv.price, div), lv.orders) for lv in levels]
        price = levels[-1].price
        for i in range(len(out), DEPTH20_LEVELS):
            price += direction * tick * (1 + (t.version + i) % 2)
            if price <= 0 or levels[-1].quantity == 0:
                out.append(DepthLevel(0, 0, 0))
                continue
            lots = 1 + (t.seed >> (i % 48) ^ t.version) % 300
            out.append(DepthLevel(lots * lot, _raw(price, div), 1 + lots % 25))
        sides.append(tuple(out))
    return DepthTick(exchange_type, token, 0, 0, sides[0], sides[1], 4)


class TickSource:
    """Encoded frames per token×mode, built once per ticker version and once per slot."""

    def __init__(self, engine: SandboxEngine) -> None:
        self._engine = engine
        self._paper: object = None
        self._ticks: dict[Subscription, tuple[Ticker, int, Tick]] = {}
        self._frames: dict[Subscription, tuple[int, bytes]] = {}

    def frames(self, subscriptions: Iterable[Subscription], slot: int) -> list[bytes]:
        engine = self._engine
        out: list[bytes] = []
        with engine.lock:
            paper = engine.state.paper
            if paper is not self._paper:
                self._paper = paper
                self._ticks.clear()
                self._frames.clear()
            market, frames, ticks = paper.market, self._frames, self._ticks
            now_ms = int(engine.clock.now().timestamp() * 1000)
            replayed = engine.state.replay.prices if engine.state.replay is not None else {}
            for key in subscriptions:
                if replayed and (SEGMENTS[ExchangeType(key[0])], key[1]) in replayed:
                    continue  # its frames come from the recording (_replay_pump)
                hit = frames.get(key)
                if hit is not None and hit[0] == slot:
                    out.append(hit[1])
                    continue
                exchange_type, token, mode = key
                ticker = market.ticker(SEGMENTS[ExchangeType(exchange_type)], token)
                if ticker is None:
                    continue
                built = ticks.get(key)
                if built is None or built[0] is not ticker or built[1] != ticker.version:
                    built = (ticker, ticker.version, build_tick(mode, exchange_type, token, ticker))
                    ticks[key] = built
                tick = built[2]
                tick.exchange_time_ms = now_ms
                if not isinstance(tick, DepthTick):
                    tick.sequence = slot
                data = encode(tick)
                frames[key] = (slot, data)
                out.append(data)
        return out


SOURCE_KEY = web.AppKey("tick_source", TickSource)


async def _pump(hub: SocketHub, conn: Connection) -> None:
    """Send this connection's ticks, one batch per slot, until it closes."""
    loop = asyncio.get_running_loop()
    source = conn.request.app[SOURCE_KEY]
    slot, paced_at = 0, 0.0
    while not conn.ws.closed:
        rate = hub.engine.config.feed_ticks_per_second
        now = loop.time()
        due = int(now * rate)  # the latest slot whose boundary has passed
        if rate != paced_at or due - slot > rate:  # start, a new rate, or over a second behind
            slot, paced_at = due, rate
        slot += 1  # a late batch (a busy event loop, the engine lock) is caught up, not skipped
        await asyncio.sleep(max(slot / rate - now, 0.0))
        now = loop.time()
        if not await hub.before_batch(conn, now):
            return
        if conn.stalled(now):
            continue
        batch: list[bytes | str] = list(source.frames(conn.subscriptions, slot))
        bad = hub.bad_frames(conn, batch[0] if batch else None)
        conn.bad_frames += len(bad)
        for frame in bad:
            await hub.send(conn, frame, data=False)
        for frame in batch:
            if conn.ws.closed:
                return
            await hub.send(conn, frame)


async def _replay_pump(hub: SocketHub, conn: Connection) -> None:
    """Send the replay's due frames to this connection, in recorded order, until it closes."""
    engine = hub.engine
    position: int | None = None
    loop = asyncio.get_running_loop()
    while not conn.ws.closed:
        await asyncio.sleep(REPLAY_PERIOD_S)
        if conn.stalled(loop.time()) or conn.paper is not engine.state.paper:
            continue  # a reset closes the connection at the slot pump's next wakeup
        # a connection more than LOG_LIMIT frames behind skips the forgotten ones (``lost``)
        due, position, _lost = engine.replay_frames(position)
        for data in replay_packets(engine, conn.subscriptions, due):
            if conn.ws.closed:
                return
            await hub.send(conn, data)


def replay_packets(
    engine: SandboxEngine, subscriptions: set[Subscription], due: list[TapeFrame]
) -> list[bytes]:
    """The packets a connection with ``subscriptions`` gets for ``due`` frames."""
    out: list[bytes] = []
    tape = engine.state.replay
    recorded = tape.recorded if tape is not None else frozenset()
    for frame in due:
        tick = frame.tick
        exchange_type, token = tick.exchange_type, tick.token
        for mode in (1, 2, 3, 4):
            if (exchange_type, token, mode) not in subscriptions:
                continue
            if mode == tick.mode:
                out.append(frame.payload)
                continue
            if (exchange_type, token, mode) in recorded:
                continue  # that mode has recorded frames of its own
            ticker = engine.ticker(*frame.key)
            if ticker is None:
                continue
            with engine.lock:
                built = build_tick(mode, exchange_type, token, ticker)
            built.exchange_time_ms = tick.exchange_time_ms
            if not isinstance(built, DepthTick) and not isinstance(tick, DepthTick):
                built.sequence = tick.sequence
            out.append(encode(built))
    return out
