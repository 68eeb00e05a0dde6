"""A SmartAPI-compatible broker on loopback, for tests, demos and reliability scenarios.

It speaks the real wire protocol (two error dialects, plain-text rate-limit replies, HS512 JWTs,
MPIN + TOTP login) with an engine behind it rather than canned responses, and carries named
fault switches (latency, hold, drop, 5xx, WAF page, empty 400, forced rate limit, token expiry,
truncated or garbage bodies). It lists a market: a deterministic universe of indices, stocks and
derivatives per IST trading day, served as the instrument master in the real format. And it
trades it: a paper broker behind the real order, book, portfolio, funds and quote routes — a
seeded price walk per instrument (``market``), an OMS with the live rejection texts and matching
(``paper``), static-IP and orders-per-second checks, and an append-only list of order events.

Where the modules are:
- transport and gateway: ``http``, ``engine``, ``gateway``, ``routes``, ``wire``, ``faults``,
  ``ratelimit``, ``request_log``, ``sessions``/``tokens``/``accounts`` (login); the WebSocket
  endpoints ``ws_hub`` (connections, socket faults, heartbeat), ``ws_feed`` (binary ticks from
  the same price process the matching engine uses) and ``ws_orders`` (AB00–AB11 frames);
- instruments: ``universe``, ``listing``, ``contracts``, ``instrument``, ``pricing``,
  ``market_calendar``, ``trading_hours``;
- the paper broker: ``market`` (price process), ``paper`` (OMS, matching, funds, events),
  ``orders`` / ``portfolio`` / ``gtt`` (typed records and their wire rows), handlers in
  ``user_api``, ``order_api``, ``gtt_api`` and ``market_api``; ``seeding`` (test set-up in one
  admin call) and ``order_flow`` (order-route figures for benchmarks).

Public entry points:
- ``SandboxConfig`` / ``SandboxAccount`` — what to serve and how strictly (``config``).
- ``SandboxServer(config, clock=None)`` — ``start()``/``stop()``/context manager, URLs,
  ``admin_token``, ``ready_info()``, ``engine`` (``server``); ``serve_forever(config,
  on_ready)`` for the CLI.
- ``SandboxEngine`` — the socket-free core: ``handle(EngineRequest) -> EngineResponse``,
  ``reset()``, faults, request log and stats; the paper market and broker for tests and feeds:
  ``set_price``, ``freeze_market``, ``market_view``, ``ticker``, ``orders``, ``events``,
  ``step_orders``, ``paper`` (``engine``).
- ``ManualClock`` / ``SystemClock`` — the time source the engine reads (``clock``).
- ``build_universe(day) -> Universe`` — the day's instruments, master rows and reference prices
  (``universe``; the engine's current one is ``SandboxEngine.universe``).

Invariants: the sandbox imports nothing of the angelctl client except small shared pieces —
the feed codec's encoder (``angelctl.feed.encode``, ``ticks``, ``layout``), the exchange
calendar's holiday data and DST rule (``angelctl.risk.holidays``, ``angelctl.risk.calendar``),
the structural secret maskers of ``angelctl.broker.trace`` (for the request log) and the admin
header's name (``angelctl.broker.sandbox_admin``) — plus the standard library, aiohttp and
pyotp (never the client's session or CLI); it binds loopback unless told otherwise, and answers
admin routes (``/_sandbox/…``) to loopback callers with its admin token only.
"""

from angelctl.sandbox.clock import ManualClock, SystemClock
from angelctl.sandbox.config import SandboxAccount, SandboxConfig, SandboxConfigError
from angelctl.sandbox.engine import SandboxEngine
from angelctl.sandbox.server import SandboxServer, serve_forever
from angelctl.sandbox.universe import Instrument, Universe, UniverseSpec, build_universe

__all__ = [
    "Instrument",
    "ManualClock",
    "SandboxAccount",
    "SandboxConfig",
    "SandboxConfigError",
    "SandboxEngine",
    "SandboxServer",
    "SystemClock",
    "Universe",
    "UniverseSpec",
    "build_universe",
    "serve_forever",
]
