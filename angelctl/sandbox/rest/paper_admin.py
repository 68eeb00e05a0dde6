"""The admin face of the paper market and broker, mixed into ``SandboxEngine``.

Each method is also an admin HTTP route under ``/_sandbox`` (``admin_http``): ``set_price``,
``freeze_market``, ``market_view``, ``orders``, ``events``, ``step_orders``, ``seed``,
``positions``, ``gtt_rules``, ``replay_status``/``replay_start``; ``ticker``, ``replay_frames``
and ``paper``/``lock`` serve the WebSocket feeds.

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
from angelctl.sandbox.engine.replay import TapeFrame
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

    def replay_status(self) -> dict[str, Any] | None:
        """Where the replay stands (None without one): frames due, finished (frozen at the
        last values), held, torn records skipped when it was read."""
        with self._lock:
            self.state.paper.sync()
            replay = self.state.paper.market.replay
            return None if replay is None else replay.status(self.clock.monotonic())

    def replay_start(self) -> dict[str, Any]:
        """(Re)start the replay from its first frame now (``POST /_sandbox/replay/start``)."""
        with self._lock:
            replay = self.state.paper.market.replay
            if replay is None:
                raise LookupError("this sandbox is not replaying a recording")
            replay.restart(self.clock.monotonic())
            self.state.paper.sync()
            return replay.status(self.clock.monotonic())

    def replay_frames(self, position: int | None) -> tuple[list[TapeFrame], int, int]:
        """For the feed: frames due since ``position`` (None: from now on), the new position,
        and how many were forgotten before this reader got them."""
        with self._lock:
            replay = self.state.paper.market.replay
            if replay is None:
                return [], 0, 0
            start = replay.position if position is None else position
            self.state.paper.sync()
            return replay.since(start)

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
                view: dict[str, Any] = {
                    "frozen": market.frozen,
                    "step": market.current_step(),
                    "tracked": market.tracked(),
                }
                if market.replay is not None:
                    view["replay"] = market.replay.status(self.clock.monotonic())
                return view
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

    def step_orders(self) -> dict[str, Any]:
        """Run due OMS work and one forced matching pass over every working order now."""
        with self._lock:
            return self.state.paper.step()

    def seed(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Open orders, positions and GTT rules in one call (``seeding``); ``SeedError`` if bad."""
        with self._lock:
            return apply_seed(self.state, spec)

    def positions(self, *, client_code: str | None = None) -> list[dict[str, Any]]:
        """One account's position rows as ``getPosition`` answers them (the demo account's by
        default): the books themselves, for a judge that must not trust the client."""
        with self._lock:
            self.state.paper.sync()
            code = (client_code or self.state.config.demo.client_code).upper()
            account = self.state.account(code)
            if account is None:
                raise UnknownInstrument(f"account {code}")
            return [dict(row) for row in self.state.paper.position_rows(account)]

    def gtt_rules(self, *, client_code: str | None = None) -> list[dict[str, Any]]:
        """Every GTT rule (admin view: the wire row plus the order a triggered rule created)."""
        with self._lock:
            self.state.paper.sync()
            code = client_code.upper() if client_code else None
            return [rule.admin_row() for rule in self.state.paper.gtt.rules(code)]
