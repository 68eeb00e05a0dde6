"""The paper broker: the OMS flows that tie checks, matching, funds and the ledger together.

Handlers (``rest.order_api``) hand it validated requests; it never sees HTTP. Everything
happens when something calls in — ``sync()`` runs at the start of every API request and admin
read — so there are no threads and tests drive time with the engine's clock.

- With ``oms_latency_seconds`` > 0 an order stays ``open pending`` (and a modification
  ``modify pending``, a cancellation ``cancel pending``) until the clock has moved that far; at 0
  the whole path runs inside the placeOrder call — ``status:true`` and an order id come back even
  when the order is already ``rejected`` in the book (docs/protocol.md#row-shapes,
  docs/protocol.md#known-quirks #7).
- Matching runs one pass per *price step*: an order is matched again only when its instrument's
  ``Ticker.version`` moved, or on ``step()``; IOC leftovers are cancelled; a triggered stop works
  as a limit (SL-L) or market (SL-M) order (rules: ``matching``).
- With ``enforce_market_hours``, orders outside the segment's session are after-market orders
  (AB06, released at the next open) or rejected "Adapter is Logged Off"; nothing matches then.
- GTT rules (``gtt``) are checked on every ``sync`` before matching: a rule whose trigger the LTP
  reached places its LIMIT order through ``place`` (same OMS checks), turns SENTTOEXCHANGE.

Invariants: see ``ledger`` (events, ids, terminal orders); ``reset`` is a new ``PaperBroker``.
A replayed market (``engine.replay_market``) is matched after every recorded price.
"""

# long module: the OMS flows share one broker's state; the replay hook took it just past 400
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from angelctl.sandbox.clock import SandboxClock
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.gtt import SENT, GttBook
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.market import Market, Ticker
from angelctl.sandbox.engine.meters import BucketMeter
from angelctl.sandbox.engine.orders import (
    AB_AMO_MODIFIED,
    AB_MODIFIED,
    AMO_RECEIVED,
    CANCEL_PENDING,
    MODIFY_PENDING,
    OPEN,
    OPEN_PENDING,
    TRIGGER_PENDING,
    Order,
    OrderEvent,
    PendingChange,
)
from angelctl.sandbox.engine.paper import reports
from angelctl.sandbox.engine.paper.books import AccountBook, OrderTicket
from angelctl.sandbox.engine.paper.checks import ADAPTER_LOGGED_OFF, convert_market, oms_refusal
from angelctl.sandbox.engine.paper.funds import Funds, account_funds
from angelctl.sandbox.engine.paper.ledger import OrderLedger
from angelctl.sandbox.engine.paper.matching import marketable_at, pass_quantity, trigger_hit
from angelctl.sandbox.engine.paper.segments import SegmentMeters
from angelctl.sandbox.engine.replay_market import replay_due
from angelctl.sandbox.engine.universe import Universe
from angelctl.sandbox.trading_hours import session_open

MODIFIABLE = ("ordertype", "price", "triggerprice", "quantity", "disclosedquantity", "duration")
WORKING = (OPEN, TRIGGER_PENDING)


class PaperBroker:
    def __init__(
        self,
        config: Callable[[], SandboxConfig],
        clock: SandboxClock,
        universe: Callable[[], Universe],
    ) -> None:
        self._config = config
        self._clock = clock
        self._universe = universe
        self.market = Market(config, clock, universe)
        self.books: dict[str, AccountBook] = {}
        self.ledger = OrderLedger(clock, config().market_seed)
        self.segments = SegmentMeters(clock)
        self.gtt = GttBook()

    @property
    def config(self) -> SandboxConfig:
        return self._config()

    @property
    def events(self) -> list[OrderEvent]:
        return self.ledger.events

    @property
    def segment_meters(self) -> dict[str, BucketMeter]:
        return self.segments.meters

    # -------------------------------------------------------------------- books

    def book(self, account: Account) -> AccountBook:
        found = self.books.get(account.client_code)
        if found is None:
            found = self.books[account.client_code] = AccountBook.open(account, self._universe())
        return found

    def order(self, client_code: str, orderid: str) -> Order | None:
        return self.ledger.order(client_code, orderid)

    def order_by_unique(self, client_code: str, uniqueorderid: str) -> Order | None:
        return self.ledger.order_by_unique(client_code, uniqueorderid)

    def ltp(self, instrument: Instrument) -> Ticker:
        ticker = self.market.ticker(instrument.exch_seg, instrument.token)
        assert ticker is not None  # every instrument of the universe has a ticker
        return ticker

    def _price(self, instrument: Instrument) -> Decimal:
        return self.ltp(instrument).ltp

    # -------------------------------------------------------------- order entry

    def place(self, account: Account, ticket: OrderTicket) -> Order:
        now = self._clock.now()
        book = self.book(account)
        order = self.ledger.open(book, ticket, now)
        self.ledger.working[order.orderid] = order
        self.ledger.event(order, OPEN_PENDING)
        config = self.config
        if config.enforce_market_hours and not session_open(order.exchange, now):
            if config.after_hours_orders == "reject":
                self.ledger.reject(order, ADAPTER_LOGGED_OFF)
            else:
                order.is_amo = True
                self.ledger.event(order, AMO_RECEIVED)
            return order
        if config.oms_latency_seconds > 0:
            order.due = order.received_mono + config.oms_latency_seconds
            return order
        self._accept(book, order)
        return order

    def modify(self, account: Account, order: Order, changes: dict[str, Any]) -> str | None:
        """Apply (or queue) a modification; the OMS refusal text if it is refused."""
        book = self.book(account)
        candidate = dataclasses.replace(order, **changes)
        if candidate.quantity <= order.filled:
            return f"Quantity cannot be less than or equal to the filled quantity {order.filled}"
        live = order.due is None and not order.is_amo
        if live:
            self._convert_market(candidate)
            refusal = self._oms_refusal(book, candidate, exclude=order)
            if refusal is not None:
                return refusal
            changes = {key: getattr(candidate, key) for key in MODIFIABLE}
        latency = self.config.oms_latency_seconds
        if live and latency > 0:
            order.pending = PendingChange(
                "modify", self._clock.monotonic() + latency, order.status, changes
            )
            self.ledger.event(order, MODIFY_PENDING)
            return None
        self._apply_modify(book, order, changes)
        return None

    def cancel(self, account: Account, order: Order) -> None:
        latency = self.config.oms_latency_seconds
        if order.due is None and not order.is_amo and latency > 0:
            order.pending = PendingChange(
                "cancel", self._clock.monotonic() + latency, order.status, {}
            )
            self.ledger.event(order, CANCEL_PENDING)
            return
        self.ledger.cancel_now(order)

    def admit_segment(self, client_code: str, exch_seg: str) -> bool:
        """Count one order message against the segment's orders/second; False if over."""
        return self.segments.admit(client_code, exch_seg, self.config.segment_ops_limit)

    # ---------------------------------------------------------------- the clock

    def sync(self) -> None:
        """Catch up with the clock: replayed prices, GTT triggers, OMS work, AMOs, matching."""
        for _ in replay_due(self.market):  # GTT and matching after every replayed price
            self._fire_gtt()
            self._match_all(forced=False)
        if self.gtt.has_live:
            self._fire_gtt()
        working = self.ledger.working
        if not working:
            return
        now_mono, now = self._clock.monotonic(), self._clock.now()
        enforce = self.config.enforce_market_hours
        for order in list(working.values()):
            book = self.books[order.client_code]
            if order.due is not None and now_mono >= order.due:
                order.due = None
                self._accept(book, order)
            elif order.pending is not None and now_mono >= order.pending.due:
                self._apply_pending(book, order)
            elif order.is_amo and (not enforce or session_open(order.exchange, now)):
                order.is_amo = False
                self.ledger.event(order, OPEN_PENDING)
                self._accept(book, order)
        self._match_all(forced=False)

    def _fire_gtt(self) -> None:
        if not self.gtt.has_live:
            return
        for rule in self.gtt.reached(self._price):
            ticket = OrderTicket.for_gtt(rule)
            rule.status, rule.updated = SENT, self._clock.now()
            rule.orderid = self.place(rule.account, ticket).orderid

    def fill_now(self, order: Order) -> bool:
        """Fill a working order's rest at once (fault ``fill_before_cancel``); False if it cannot.

        The price is the limit (the trigger for SL-M, the LTP for MARKET): the exchange matched it
        a moment before the cancel or modification arrived.
        """
        if order.pending is not None or order.status not in WORKING:
            return False
        if order.ordertype == "MARKET":
            price = self.ltp(order.instrument).ltp
        elif order.ordertype == "STOPLOSS_MARKET":
            price = order.triggerprice
        else:
            price = order.price
        self.ledger.fill(self.books[order.client_code], order, order.unfilled, price)
        return True

    def seed_position(
        self, account: Account, instrument: Instrument, product: str, net_qty: int, price: Decimal
    ) -> Order:
        """A filled position of ``net_qty`` (negative: short) at ``price``, as one complete order.

        No rate limit, segment meter or OMS check applies: this is test set-up, not trading.
        """
        now = self._clock.now()
        book = self.book(account)
        ticket = OrderTicket.seed(instrument, product, net_qty, price)
        order = self.ledger.open(book, ticket, now)
        self.ledger.at_exchange(order, now)
        self.ledger.fill(book, order, order.quantity, price)
        return order

    def step(self) -> dict[str, Any]:
        """One forced matching pass over every working order (``POST /_sandbox/orders/step``)."""
        before = len(self.events)
        working = self.ledger.working
        seen = {orderid: order.seen_version for orderid, order in working.items()}
        self.sync()
        for order in list(working.values()):
            # One pass per order: skip the ones sync() has just matched (or accepted).
            if seen.get(order.orderid) != order.seen_version:
                continue
            if order.status in WORKING:
                self._match(self.books[order.client_code], order, forced=True)
        changed = [event.orderid for event in self.events[before:]]
        return {"events": len(changed), "orders": sorted(set(changed))}

    def set_price(
        self, exch_seg: str, token: str, price: Decimal, close: Decimal | None = None
    ) -> Ticker | None:
        ticker = self.market.set_ltp(exch_seg, token, price, close)
        if ticker is not None:
            self.sync()
        return ticker

    def _match_all(self, *, forced: bool) -> None:
        for order in list(self.ledger.working.values()):
            if order.status in WORKING:
                self._match(self.books[order.client_code], order, forced=forced)

    # --------------------------------------------------------------------- OMS

    def _accept(self, book: AccountBook, order: Order) -> None:
        self._convert_market(order)
        refusal = self._oms_refusal(book, order, exclude=order)
        if refusal is not None:
            self.ledger.reject(order, refusal)
            return
        now = self._clock.now()
        self.ledger.at_exchange(order, now)
        order.exchorderupdatetime = now
        order.aggressive = True
        self.ledger.event(order, TRIGGER_PENDING if order.is_stop else OPEN)
        self._match(book, order, forced=True)

    def _convert_market(self, order: Order) -> None:
        convert_market(self.config, order, lambda: self.ltp(order.instrument))

    def _oms_refusal(self, book: AccountBook, order: Order, exclude: Order | None) -> str | None:
        return oms_refusal(
            self.config,
            order,
            lambda: self.ltp(order.instrument),
            lambda: self._funds(book, extra=order, exclude=exclude),
        )

    def _apply_pending(self, book: AccountBook, order: Order) -> None:
        pending = order.pending
        assert pending is not None
        order.pending = None
        order.status = pending.resume_status
        if pending.kind == "cancel":
            self.ledger.cancel_now(order)
        else:
            self._apply_modify(book, order, pending.changes)

    def _apply_modify(self, book: AccountBook, order: Order, changes: dict[str, Any]) -> None:
        was_stop = order.is_stop
        for key, value in changes.items():
            setattr(order, key, value)
        if order.status in WORKING and order.is_stop != was_stop:
            # LIMIT → SL waits for its trigger again; SL → LIMIT works at once.
            order.status = TRIGGER_PENDING if order.is_stop else OPEN
        if order.exchangeorderid:
            order.exchorderupdatetime = self._clock.now()
        order.aggressive = True
        order.seen_version = -1
        self.ledger.event(order, order.status, AB_AMO_MODIFIED if order.is_amo else AB_MODIFIED)
        if order.status in WORKING:
            self._match(book, order, forced=True)

    # ---------------------------------------------------------------- matching

    def _match(self, book: AccountBook, order: Order, *, forced: bool) -> None:
        if order.is_terminal or order.due is not None or order.pending is not None:
            return
        ticker = self.ltp(order.instrument)
        if not forced and ticker.version == order.seen_version:
            return
        config = self.config
        if config.enforce_market_hours and not session_open(order.exchange, self._clock.now()):
            return
        order.seen_version = ticker.version
        if order.status == TRIGGER_PENDING:
            if not trigger_hit(order, ticker.ltp):
                return
            order.aggressive = True
            self.ledger.event(order, OPEN)
        marketable, price = marketable_at(order, ticker.ltp)
        order.aggressive = False
        if marketable:
            self.ledger.fill(book, order, pass_quantity(order, config), price)
        if order.duration == "IOC" and not order.is_terminal:
            self.ledger.cancel_now(order)

    # ------------------------------------------------------------------- funds

    def _funds(
        self, book: AccountBook, *, extra: Order | None = None, exclude: Order | None = None
    ) -> Funds:
        return account_funds(
            book, self.ledger.working, self._price, self.config, extra=extra, exclude=exclude
        )

    def funds(self, account: Account) -> dict[str, str]:
        """The getRMS ``data`` (all strings)."""
        return self._funds(self.book(account)).rms()

    # ----------------------------------------------------------------- reports

    def order_rows(self, account: Account) -> list[dict[str, Any]]:
        return reports.order_rows(self.book(account))

    def trade_rows(self, account: Account) -> list[dict[str, Any]]:
        return reports.trade_rows(self.book(account))

    def position_rows(self, account: Account) -> list[dict[str, str]]:
        return reports.position_rows(self.book(account), self.ltp)

    def holding_rows(self, account: Account) -> tuple[list[dict[str, Any]], dict[str, float]]:
        return reports.holding_rows(self.book(account), self.ltp)

    def convert_position(
        self, account: Account, instrument: Instrument, old: str, new: str, side: str, qty: int
    ) -> str | None:
        """Move ``qty`` of a position to another product; an error message if it cannot (and
        nothing moves) — also when the funds cannot carry the new product's margin."""
        book = self.book(account)
        floor = min(self._funds(book).net, Decimal(0))
        fits = lambda: self._funds(book).net >= floor  # noqa: E731 (one expression)
        return book.convert_position(instrument, old, new, side, qty, fits)

    def all_orders(
        self, *, tag: str | None = None, status: str | None = None, client_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Every order the engine holds (admin view): book rows plus ``clientcode``."""
        return self.ledger.all_orders(tag=tag, status=status, client_code=client_code)

    def event_dicts(self, *, since: int = 0, orderid: str | None = None) -> list[dict[str, Any]]:
        return self.ledger.event_dicts(since=since, orderid=orderid)

    def stats(self) -> dict[str, Any]:
        return {
            "orders": self.ledger.counts(),
            "events": len(self.events),
            "segment_ops_limit": self.config.segment_ops_limit,
            "segments": self.segments.as_dict(),
            "gtt": self.gtt.stats(),
        }

    def segment_flow(self) -> dict[str, dict[str, int]]:
        """Per segment: order messages received, admitted, refused, and the busiest second."""
        return self.segments.flow()
