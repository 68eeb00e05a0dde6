"""A SmartAPI-compatible broker on loopback, for tests, demos and reliability scenarios.

It speaks the real wire protocol (two error dialects, plain-text rate-limit replies, HS512 JWTs,
MPIN + TOTP login) with an engine behind it rather than canned responses, and carries named
fault switches (latency, hold, drop, 5xx, WAF page, empty 400, forced rate limit, token expiry,
truncated or garbage bodies). It lists a market: a deterministic universe of indices, stocks and
derivatives per IST trading day, served as the instrument master in the real format. And it
trades it: a paper broker behind the real order, book, portfolio, funds and quote routes — a
seeded price walk per instrument (``market``), an OMS with the live rejection texts and matching
(``paper``), static-IP and orders-per-second checks, and an append-only list of order events.

Where the modules are (one-way layers, each may import only those listed before it):
- shared leaves: ``clock`` (the time source), ``config`` / ``config_defaults`` (what to serve),
  ``market_calendar``, ``trading_hours``;
- ``engine``: the broker's world with no wire or sockets — accounts, the day's instruments
  (``universe``, ``listing``, ``contracts``, ``instrument``, ``pricing``), the price process
  (``market``), the paper broker (``paper``: OMS checks, matching, funds, GTT firing, report
  rows, segment meters) and its records (``orders``, ``portfolio``, ``gtt``);
- ``rest``: the SmartAPI REST surface — ``SandboxEngine`` (``service``), ``wire``, ``routes``,
  ``gateway``, ``sessions``/``tokens``, ``ratelimit``, ``faults``, ``request_log``, the handlers
  (``user_api``, ``order_api``, ``gtt_api``, ``market_api``) over ``state``, ``seeding`` (test
  set-up in one admin call), ``order_flow`` (order-route figures) and the aiohttp adapter
  ``http``;
- ``ws``: the WebSocket endpoints — ``hub`` (connections, socket faults, heartbeat), ``feed``
  (binary ticks from the same price process the matching engine uses), ``orders`` (AB00–AB11
  frames), ``endpoints`` (mounts them);
- ``server``: runs the app (REST with the sockets mounted) in a thread or in the foreground.

Public entry points:
- ``SandboxConfig`` / ``SandboxAccount`` — what to serve and how strictly (``config``).
- ``SandboxServer(config, clock=None, replay=None)`` — ``start()``/``stop()``/context manager, URLs,
  ``admin_token``, ``ready_info()``, ``engine`` (``server``); ``serve_forever(config,
  on_ready)`` for the CLI.
- ``SandboxEngine`` — the socket-free core: ``handle(EngineRequest) -> EngineResponse``,
  ``reset()``, faults, request log and stats; the paper market and broker for tests and feeds:
  ``set_price``, ``freeze_market``, ``market_view``, ``ticker``, ``orders``, ``events``,
  ``step_orders``, ``paper`` (``rest.service``).
- ``ReplaySource(path, speed=1, start=None, loop=False, hold=False)`` — replay a feed
  recording as the market (``engine.replay``): ``SandboxServer(config, replay=…)`` or
  ``SandboxEngine(config, clock, replay=…)``; ``engine.replay_status()`` / ``replay_start()``.
- ``ManualClock`` / ``SystemClock`` — the time source the engine reads (``clock``).
- ``build_universe(day) -> Universe`` — the day's instruments, master rows and reference prices
  (``engine.universe``; the current one is ``SandboxEngine.universe``).

Invariants: the sandbox imports nothing of the angelctl client — only the feed codec
(``angelctl.feed.encode``, ``decode``, ``ticks``, ``layout``) and the recording format
(``angelctl.feed.recording``, for ``--replay``), the neutral leaves ``angelctl.masking`` (the
request log's secret maskers) and ``angelctl.wire`` (the admin header), ``angelctl.records``,
the exchange calendar's data (through ``market_calendar`` and ``trading_hours``), the standard
library, aiohttp and pyotp (tests/sandbox/test_sandbox_layers.py checks it); it binds loopback
unless told otherwise, and answers admin routes (``/_sandbox/…``) to loopback callers with its
admin token only.
"""

from angelctl.sandbox.clock import ManualClock, SystemClock
from angelctl.sandbox.config import SandboxAccount, SandboxConfig, SandboxConfigError
from angelctl.sandbox.engine.replay import ReplaySource
from angelctl.sandbox.engine.universe import Instrument, Universe, UniverseSpec, build_universe
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.server import SandboxServer, serve_forever

__all__ = [
    "Instrument",
    "ManualClock",
    "ReplaySource",
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
