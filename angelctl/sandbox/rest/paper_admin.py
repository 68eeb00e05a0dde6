"""The admin face of the paper market and broker, mixed into ``SandboxEngine``.

Each method is also an admin HTTP route under ``/_sandbox`` (``admin_http``): ``set_price``,
``freeze_market``, ``market_view``, ``orders``, ``events``, ``step_orders``, ``seed``,
``gtt_rules``; ``ticker`` and ``paper``/``lock`` serve the WebSocket feeds.

Invariants: every method takes the engine lock, and the paper broker is brought up to the clock
(``sync``) before any read, so what a test sees is always current.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from angelctl.sandbox.clock import SandboxClock
from angelctl.sandbox.engine.market import Ticker
from angelctl.sandbox.engine.paper import PaperBroker
from angelctl.sandbox.rest.market_api import quote_row
from angelctl.sandbox.rest.seeding import seed as apply_seed
from angelctl.sandbox.rest.state import BrokerState


class UnknownInstrument(KeyError):
    """An admin call named an (exch_seg, token) the day's universe does not list."""


class PaperAdmin:
    """Admin reads and moves of the paper market and broker (the engine supplies the fields)."""

    _lock: threading.RLock
    state: BrokerState
    clock: SandboxClock

    @property
    def paper(self) -> PaperBroker:
        """The paper broker (market, orders, books). Hold ``lock`` while using it directly."""
        return self.state.paper

    @property
    def lock(self) -> threading.RLock:
        """The engine lock: a transport calling into ``paper`` from its own thread takes it."""
        return self._lock

    def ticker(self, exch_seg: str, token: str) -> Ticker | None:
        """An instrument's market, advanced to the clock (for feeds); None if not listed."""
        with self._lock:
            return self.state.paper.market.ticker(exch_seg, token)

    def set_price(
        self, exch_seg: str, token: str, ltp: Decimal, close: Decimal | None = None
    ) -> dict[str, Any]:
        """Move an instrument's LTP now (tick-rounded) and run matching; the market view."""
        with self._lock:
            ticker = self.state.paper.set_price(exch_seg, token, ltp, close)
            if ticker is None:
                raise UnknownInstrument(f"{exch_seg}:{token}")
            return self._market_view(exch_seg, token)

    def freeze_market(self, frozen: bool = True) -> dict[str, Any]:
        """Stop (True) or restart (False) the random walk; prices then move only by set_price."""
        with self._lock:
            self.state.paper.sync()
            return {"frozen": self.state.paper.market.freeze(frozen)}

    def market_view(self, exch_seg: str | None = None, token: str | None = None) -> dict[str, Any]:
        """One instrument's market (FULL quote row plus state), or a summary without a token."""
        with self._lock:
            self.state.paper.sync()
            if not exch_seg or not token:
                market = self.state.paper.market
                return {
                    "frozen": market.frozen,
                    "step": market.current_step(),
                    "tracked": market.tracked(),
                }
            return self._market_view(exch_seg, token)

    def _market_view(self, exch_seg: str, token: str) -> dict[str, Any]:
        market = self.state.paper.market
        ticker = market.ticker(exch_seg, token)
        if ticker is None:
            raise UnknownInstrument(f"{exch_seg}:{token}")
        return {
            "frozen": market.frozen,
            "step": ticker.step,
            "version": ticker.version,
            "tick_size": str(ticker.tick),
            "quote": quote_row(ticker, "FULL", self.clock.now()),
        }

    def orders(
        self, *, tag: str | None = None, status: str | None = None, client_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Every order the engine holds (rejected ones too): book rows plus ``clientcode``."""
        with self._lock:
            self.state.paper.sync()
            return self.state.paper.all_orders(tag=tag, status=status, client_code=client_code)

    def events(self, *, since: int = 0, orderid: str | None = None) -> list[dict[str, Any]]:
        """Order state changes in order (``seq`` from 1), each with the full row at that time."""
        with self._lock:
            self.state.paper.sync()
            return self.state.paper.event_dicts(since=since, orderid=orderid)

    def positions(self, *, client_code: str | None = None) -> list[dict[str, str]]:
        """One account's getPosition rows (default: the demo account's), as the route answers."""
        with self._lock:
            self.state.paper.sync()
            account = self.state.account(client_code or self.state.config.accounts[0].client_code)
            return self.state.paper.position_rows(account) if account is not None else []

    def step_orders(self) -> dict[str, Any]:
        """Run due OMS work and one forced matching pass over every working order now."""
        with self._lock:
            return self.state.paper.step()

    def seed(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Open orders, positions and GTT rules in one call (``seeding``); ``SeedError`` if bad."""
        with self._lock:
            return apply_seed(self.state, spec)

    def gtt_rules(self, *, client_code: str | None = None) -> list[dict[str, Any]]:
        """Every GTT rule (admin view: the wire row plus the order a triggered rule created)."""
        with self._lock:
            self.state.paper.sync()
            code = client_code.upper() if client_code else None
            return [rule.admin_row() for rule in self.state.paper.gtt.rules(code)]
