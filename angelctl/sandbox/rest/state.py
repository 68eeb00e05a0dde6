"""The broker's world behind the gateway, and the per-call context handlers receive.

``BrokerState`` owns the things a real broker keeps: accounts, login sessions, the instrument
universe of the current IST trading day, and the paper broker (``paper``: market, orders, books,
funds). Route handlers are
plain functions ``(state, call) -> EngineResponse``; they never see HTTP, rate limits or faults —
the engine has dealt with those before a handler runs.

Invariants:
- A ``Call`` for a secure route always carries the verified ``TokenSet`` of the caller.
- ``universe`` is always the one of the clock's IST calendar day: it is rebuilt (lazily) when that
  day changes. ``reset`` keeps it — a ``Universe`` is immutable, and rebuilding one (~40 ms) before
  every test would be pure cost.
- ``paper`` reads the *current* config and universe on every use, so run-time config changes
  apply at once; ``reset`` replaces it (cheaply: tickers and books are created on first use).
- With a replay tape (``engine.replay``), every paper broker (a reset makes a new one) replays
  it from its own start, and ``universe`` also lists the recording's instruments.
- ``Call.text`` is the one place request-body values are read: numbers and strings are both
  accepted (the SDKs send either), ``None``/missing reads as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from angelctl.sandbox.clock import IST, SandboxClock
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.paper import PaperBroker
from angelctl.sandbox.engine.replay import Replay, ReplayTape
from angelctl.sandbox.engine.universe import Universe, build_universe
from angelctl.sandbox.rest.routes import Route
from angelctl.sandbox.rest.sessions import SessionTable, TokenSet
from angelctl.sandbox.rest.tokens import TokenSigner
from angelctl.sandbox.rest.wire import EngineRequest, EngineResponse


class BrokerState:
    def __init__(
        self, config: SandboxConfig, clock: SandboxClock, replay: ReplayTape | None = None
    ) -> None:
        self.config = config
        self.clock = clock
        self.replay = replay
        self.signer = TokenSigner()
        self.sessions = SessionTable(self.signer)
        self.accounts: dict[str, Account] = {}
        self._universe: Universe | None = None
        self.paper = self._new_paper()
        self.reset(config)

    def reset(self, config: SandboxConfig) -> None:
        self.config = config
        self.sessions.clear()
        self.accounts = {
            spec.client_code.upper(): Account.from_spec(spec) for spec in config.accounts
        }
        self._api_keys = {spec.api_key for spec in config.accounts}
        self.paper = self._new_paper()

    def _new_paper(self) -> PaperBroker:
        paper = PaperBroker(lambda: self.config, self.clock, lambda: self.universe)
        if self.replay is not None:
            held = self.replay.source.hold
            paper.market.replay = Replay(self.replay, None if held else self.clock.monotonic())
        return paper

    @property
    def trading_day(self) -> date:
        """The IST calendar day of the clock: the day whose instrument master is served."""
        return self.clock.now().astimezone(IST).date()

    @property
    def universe(self) -> Universe:
        day = self.trading_day
        if self._universe is None or self._universe.trading_day != day:
            universe = build_universe(day)
            if self.replay is not None:
                universe = universe.with_extras(self.replay.instruments, self.replay.prices)
            self._universe = universe
        return self._universe

    def is_known_api_key(self, api_key: str) -> bool:
        return api_key in self._api_keys

    def account(self, client_code: str) -> Account | None:
        return self.accounts.get(client_code.strip().upper())


@dataclass
class Call:
    request: EngineRequest
    route: Route
    now: datetime
    body: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    token: TokenSet | None = None

    def text(self, key: str) -> str | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return format(Decimal(repr(value)), "f")
        return str(value)

    @property
    def client_code(self) -> str:
        if self.token is None:
            raise RuntimeError(f"{self.route.name} is not a secure route")
        return self.token.client_code


# What every API module's handler is: one request, in the engine's state, to one response.
Handler = Callable[[BrokerState, Call], EngineResponse]
