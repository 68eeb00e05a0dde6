"""The paper broker: order management, matching, books and funds behind the order routes.

Handlers (``order_api``) hand it validated requests; it never sees HTTP. Everything happens
when something calls in — ``sync()`` runs at the start of every API request and admin read —
so there are no threads and tests drive time with the engine's clock.

Life of an order (codes: ``orders``)::

    placeOrder ─ open pending (AB09) ─┬─ OMS/RMS refuses ─ rejected (AB03) + text
                                      └─ accepted ─┬─ open (AB01) ─ matching ─ complete (AB05)
                                                   └─ trigger pending (AB10) ─ LTP crosses ─ open

- With ``oms_latency_seconds`` > 0 an order stays ``open pending`` (and a modification
  ``modify pending``, a cancellation ``cancel pending``) until the clock has moved that far; at 0
  the whole path runs inside the placeOrder call — ``status:true`` and an order id come back even
  when the order is already ``rejected`` in the book (docs/protocol.md#row-shapes,
  docs/protocol.md#known-quirks #7).
- OMS checks, in order: market/IOC policy (``market_orders``), IOC on MCX, lot multiple, freeze
  quantity, tick multiple, circuit band, stop-loss trigger vs limit, funds.
- Matching (one pass per *price step*: an order is matched again only when its instrument's
  ``Ticker.version`` moved, or on ``step()``): a BUY limit fills when LTP ≤ limit (a SELL when
  LTP ≥ limit); the first pass after acceptance or a trigger fills at the LTP if that is better
  than the limit, later passes at the limit. Market orders fill at the LTP. ``fill_lots_per_step``
  caps one pass at N lots and ``partial_fill_fraction`` at that fraction of the unfilled
  quantity (rounded down to lots, at least one lot) — partial fills: status ``open``, growing
  ``filledshares``. IOC leftovers are cancelled. Stop-loss orders wait in ``trigger pending``
  until a BUY's LTP ≥ trigger (a SELL's ≤), then work as a limit (SL-L) or market (SL-M) order.
- With ``enforce_market_hours``, orders outside the segment's session are after-market orders
  (AB06, released at the next open) or rejected "Adapter is Logged Off"; nothing matches then.
- GTT rules (``gtt``) are checked on every ``sync`` before matching: a rule whose trigger the LTP
  reached places its LIMIT order through ``place`` (same OMS checks) and turns SENTTOEXCHANGE.

Seeding for tests (``seed_position``, admin ``POST /_sandbox/positions``): a position is entered
as a complete order with one fill at the given price, so the order book, trade book and
positions agree, without touching rate limits or funds checks.

Funds: available cash = opening cash + realised P&L; ``net`` (what an order may use) = available
cash + unrealised P&L − margin of open positions − margin blocked by working orders. An order
that only reduces a position (net of other working orders on that side, and of demat holdings for
a DELIVERY sell) needs no margin, so exits are never refused for funds.

Invariants: events are appended in order and never changed; an order id is never reused; a
terminal order never changes; ``reset`` is a new ``PaperBroker``.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.records import record
from angelctl.sandbox.accounts import Account
from angelctl.sandbox.clock import IST, SandboxClock
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.gtt import SENT, GttBook
from angelctl.sandbox.instrument import Instrument
from angelctl.sandbox.market import Market, Ticker, to_tick
from angelctl.sandbox.orders import (
    AB_AMO_CANCELLED,
    AB_AMO_MODIFIED,
    AB_MODIFIED,
    AMO_RECEIVED,
    CANCEL_PENDING,
    CANCELLED,
    COMPLETE,
    MODIFY_PENDING,
    OPEN,
    OPEN_PENDING,
    REJECTED,
    STATUS_CODES,
    TRIGGER_PENDING,
    Order,
    OrderEvent,
    PendingChange,
)
from angelctl.sandbox.portfolio import ZERO, Fill, Holding, Position, is_cash, margin, money
from angelctl.sandbox.ratelimit import BucketMeter
from angelctl.sandbox.trading_hours import session_open
from angelctl.sandbox.universe import Universe

# ----------------------------------------------------------------------- rejection texts
# Seen live (docs/protocol.md#row-shapes, docs/protocol.md#market-hours, realdata 2026-05-11):
INSUFFICIENT_FUNDS = (
    "Your order has been rejected due to Insufficient Funds. Available funds - Rs. {available} . "
    "You require Rs. {required} funds to execute this order."
)
CIRCUIT_LIMIT = (
    "Your order price exceeds the circuit limit. Please adjust your order within the circuit "
    "limit or place a market order."
)
ADAPTER_LOGGED_OFF = "Adapter is Logged Off"
IOC_ON_COMMODITY = "IOC orders are not allowed for commodities segment"  # docs wording
# Chosen (Angel's own text is unknown): the April-2026 rule in its own words.
MARKET_PROHIBITED = (
    "Market orders and IOC orders are strictly prohibited for algorithmic trading. "
    "Please place a LIMIT order with DAY validity."
)
# NEST OMS wordings used by other NEST brokers [UNVERIFIED for Angel One].
FREEZE_QUANTITY = "RMS:Rule: Check freeze quantity for {segment}"
TICK_MULTIPLE = "RATE NOT MULTIPLE OF TICK [{tick}]"
# Chosen wordings.
LOT_MULTIPLE = "Quantity should be in multiples of the lot size {lot}"
BUY_TRIGGER_ABOVE_PRICE = "Trigger price cannot be greater than the limit price for a buy order"
SELL_TRIGGER_BELOW_PRICE = "Trigger price cannot be less than the limit price for a sell order"

MODIFIABLE = ("ordertype", "price", "triggerprice", "quantity", "disclosedquantity", "duration")

FREEZE_SEGMENTS = {
    "NSE": "NSE CASH",
    "BSE": "BSE CASH",
    "NFO": "NSE FO",
    "BFO": "BSE FO",
    "MCX": "MCX FO",
    "CDS": "NSE CDS",
}


@record
class OrderTicket:
    """A placeOrder request that passed the API's own validation (``order_api``)."""

    instrument: Instrument
    variety: str
    ordertype: str
    producttype: str
    duration: str
    transactiontype: str
    price: Decimal
    triggerprice: Decimal
    quantity: int
    disclosedquantity: int
    ordertag: str
    squareoff: Decimal = ZERO
    stoploss: Decimal = ZERO
    trailingstoploss: Decimal = ZERO


@dataclass
class AccountBook:
    client_code: str
    opening_cash: Decimal
    holdings: list[Holding]
    orders: list[Order] = field(default_factory=list)
    positions: dict[tuple[str, str, str], Position] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)

    def position(self, instrument: Instrument, product: str) -> Position:
        key = (instrument.exch_seg, instrument.token, product)
        found = self.positions.get(key)
        if found is None:
            found = self.positions[key] = Position(instrument, product)
        return found

    def holding_qty(self, instrument: Instrument) -> int:
        return sum(h.quantity for h in self.holdings if h.instrument.key == instrument.key)


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
        self._orders: dict[str, Order] = {}
        self._by_unique: dict[str, Order] = {}
        self._working: dict[str, Order] = {}
        self.events: list[OrderEvent] = []
        self._order_seq = itertools.count(1)
        self._fill_seq = itertools.count(1)
        self._exchange_seq = itertools.count(1)
        self._rng = random.Random(config().market_seed)
        self.segment_meters: dict[str, BucketMeter] = {}
        self.segment_attempts: dict[str, BucketMeter] = {}  # before the ceiling is applied
        self._segment_windows: dict[tuple[str, str], deque[float]] = {}
        self.gtt = GttBook()

    @property
    def config(self) -> SandboxConfig:
        return self._config()

    # -------------------------------------------------------------------- books

    def book(self, account: Account) -> AccountBook:
        found = self.books.get(account.client_code)
        if found is None:
            found = AccountBook(
                account.client_code, account.available_cash, self._holdings(account)
            )
            self.books[account.client_code] = found
        return found

    def _holdings(self, account: Account) -> list[Holding]:
        universe = self._universe()
        out = []
        for spec in account.spec.holdings:
            instrument = universe.by_symbol(spec.exchange, spec.symbol)
            if instrument is not None:
                out.append(
                    Holding(instrument, spec.isin, spec.quantity, Decimal(spec.average_price))
                )
        return out

    def order(self, client_code: str, orderid: str) -> Order | None:
        found = self._orders.get(orderid)
        return found if found is not None and found.client_code == client_code else None

    def order_by_unique(self, client_code: str, uniqueorderid: str) -> Order | None:
        found = self._by_unique.get(uniqueorderid)
        return found if found is not None and found.client_code == client_code else None

    def ltp(self, instrument: Instrument) -> Ticker:
        ticker = self.market.ticker(instrument.exch_seg, instrument.token)
        assert ticker is not None  # every instrument of the universe has a ticker
        return ticker

    # -------------------------------------------------------------- order entry

    def place(self, account: Account, ticket: OrderTicket) -> Order:
        now = self._clock.now()
        book = self.book(account)
        order = Order(
            client_code=account.client_code,
            orderid=self._next_orderid(now),
            uniqueorderid=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            instrument=ticket.instrument,
            variety=ticket.variety,
            ordertype=ticket.ordertype,
            producttype=ticket.producttype,
            duration=ticket.duration,
            transactiontype=ticket.transactiontype,
            price=ticket.price,
            triggerprice=ticket.triggerprice,
            quantity=ticket.quantity,
            disclosedquantity=ticket.disclosedquantity,
            ordertag=ticket.ordertag,
            status=OPEN_PENDING,
            updated_at=now,
            received_mono=self._clock.monotonic(),
            squareoff=ticket.squareoff,
            stoploss=ticket.stoploss,
            trailingstoploss=ticket.trailingstoploss,
        )
        book.orders.append(order)
        self._orders[order.orderid] = order
        self._by_unique[order.uniqueorderid] = order
        self._working[order.orderid] = order
        self._event(order, OPEN_PENDING)
        config = self.config
        if config.enforce_market_hours and not session_open(order.exchange, now):
            if config.after_hours_orders == "reject":
                self._reject(order, ADAPTER_LOGGED_OFF)
            else:
                order.is_amo = True
                self._event(order, AMO_RECEIVED)
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
            self._event(order, MODIFY_PENDING)
            return None
        self._apply_modify(book, order, changes)
        return None

    def cancel(self, account: Account, order: Order) -> None:
        latency = self.config.oms_latency_seconds
        if order.due is None and not order.is_amo and latency > 0:
            order.pending = PendingChange(
                "cancel", self._clock.monotonic() + latency, order.status, {}
            )
            self._event(order, CANCEL_PENDING)
            return
        self._cancel_now(order)

    def admit_segment(self, client_code: str, exch_seg: str) -> bool:
        """Count one order message against the segment's orders/second; False if over."""
        meter = self.segment_meters.setdefault(exch_seg, BucketMeter())
        window = self._segment_windows.setdefault((client_code, exch_seg), deque())
        now = self._clock.monotonic()
        attempts = self.segment_attempts.setdefault(exch_seg, BucketMeter())
        attempts.record_admitted(self._clock.now().timestamp(), now)
        while window and now - window[0] >= 1.0:
            window.popleft()
        limit = self.config.segment_ops_limit
        if limit is not None and len(window) >= limit:
            meter.rate_limited += 1
            return False
        window.append(now)
        meter.record_admitted(self._clock.now().timestamp(), now)
        return True

    # ---------------------------------------------------------------- the clock

    def sync(self) -> None:
        """Catch up with the clock: GTT triggers, due OMS work, after-market releases, matching."""
        if self.gtt.has_live:
            self._fire_gtt()
        if not self._working:
            return
        now_mono, now = self._clock.monotonic(), self._clock.now()
        enforce = self.config.enforce_market_hours
        for order in list(self._working.values()):
            book = self.books[order.client_code]
            if order.due is not None and now_mono >= order.due:
                order.due = None
                self._accept(book, order)
            elif order.pending is not None and now_mono >= order.pending.due:
                self._apply_pending(book, order)
            elif order.is_amo and (not enforce or session_open(order.exchange, now)):
                order.is_amo = False
                self._event(order, OPEN_PENDING)
                self._accept(book, order)
        self._match_all(forced=False)

    def _fire_gtt(self) -> None:
        for rule in self.gtt.reached(lambda instrument: self.ltp(instrument).ltp):
            ticket = OrderTicket(
                instrument=rule.instrument,
                variety="NORMAL",
                ordertype="LIMIT",
                producttype=rule.producttype,
                duration="DAY",
                transactiontype=rule.transactiontype,
                price=rule.price,
                triggerprice=ZERO,
                quantity=rule.qty,
                disclosedquantity=rule.disclosedqty,
                ordertag="",
            )
            rule.status, rule.updated = SENT, self._clock.now()
            rule.orderid = self.place(rule.account, ticket).orderid

    def fill_now(self, order: Order) -> bool:
        """Fill a working order's rest at once (fault ``fill_before_cancel``); False if it cannot.

        The price is the limit (the trigger for SL-M, the LTP for MARKET): the exchange matched it
        a moment before the cancel or modification arrived.
        """
        if order.pending is not None or order.status not in (OPEN, TRIGGER_PENDING):
            return False
        if order.ordertype == "MARKET":
            price = self.ltp(order.instrument).ltp
        elif order.ordertype == "STOPLOSS_MARKET":
            price = order.triggerprice
        else:
            price = order.price
        self._fill(self.books[order.client_code], order, order.unfilled, price)
        return True

    def seed_position(
        self, account: Account, instrument: Instrument, product: str, net_qty: int, price: Decimal
    ) -> Order:
        """A filled position of ``net_qty`` (negative: short) at ``price``, as one complete order.

        No rate limit, segment meter or OMS check applies: this is test set-up, not trading.
        """
        now = self._clock.now()
        book = self.book(account)
        order = Order(
            client_code=account.client_code,
            orderid=self._next_orderid(now),
            uniqueorderid=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            instrument=instrument,
            variety="NORMAL",
            ordertype="LIMIT",
            producttype=product,
            duration="DAY",
            transactiontype="BUY" if net_qty > 0 else "SELL",
            price=price,
            triggerprice=ZERO,
            quantity=abs(net_qty),
            disclosedquantity=0,
            ordertag="seed",
            status=OPEN_PENDING,
            updated_at=now,
            received_mono=self._clock.monotonic(),
        )
        book.orders.append(order)
        self._orders[order.orderid] = order
        self._by_unique[order.uniqueorderid] = order
        order.exchangeorderid = f"11{next(self._exchange_seq):014d}"
        order.exchtime = now
        self._fill(book, order, order.quantity, price)
        return order

    def step(self) -> dict[str, Any]:
        """One forced matching pass over every working order (``POST /_sandbox/orders/step``)."""
        before = len(self.events)
        seen = {orderid: order.seen_version for orderid, order in self._working.items()}
        self.sync()
        for order in list(self._working.values()):
            # One pass per order: skip the ones sync() has just matched (or accepted).
            if seen.get(order.orderid) != order.seen_version:
                continue
            if order.status in (OPEN, TRIGGER_PENDING):
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
        for order in list(self._working.values()):
            if order.status in (OPEN, TRIGGER_PENDING):
                self._match(self.books[order.client_code], order, forced=forced)

    # --------------------------------------------------------------------- OMS

    def _accept(self, book: AccountBook, order: Order) -> None:
        self._convert_market(order)
        refusal = self._oms_refusal(book, order, exclude=order)
        if refusal is not None:
            self._reject(order, refusal)
            return
        now = self._clock.now()
        order.exchangeorderid = f"11{next(self._exchange_seq):014d}"
        order.exchtime = order.exchorderupdatetime = now
        order.aggressive = True
        self._event(order, TRIGGER_PENDING if order.is_stop else OPEN)
        self._match(book, order, forced=True)

    def _convert_market(self, order: Order) -> None:
        """``market_orders="convert_to_limit"``: MARKET → LIMIT, SL-M → SL-L at the MPP price."""
        if self.config.market_orders != "convert_to_limit" or not order.is_market:
            return
        ticker = self.ltp(order.instrument)
        reference = ticker.ltp if order.ordertype == "MARKET" else order.triggerprice
        protection = Decimal(str(self.config.market_protection_percent)) / 100
        factor = 1 + protection if order.is_buy else 1 - protection
        price = to_tick(reference * factor, ticker.tick)
        if ticker.has_circuits:
            price = min(max(price, ticker.lower_circuit), ticker.upper_circuit)
        order.price = price
        order.ordertype = "LIMIT" if order.ordertype == "MARKET" else "STOPLOSS_LIMIT"

    def _oms_refusal(self, book: AccountBook, order: Order, exclude: Order | None) -> str | None:
        config, instrument = self.config, order.instrument
        if config.market_orders == "reject" and (order.is_market or order.duration == "IOC"):
            return MARKET_PROHIBITED
        if order.duration == "IOC" and instrument.exch_seg == "MCX":
            return IOC_ON_COMMODITY
        lot = instrument.lotsize
        if lot > 1 and order.quantity % lot:
            return LOT_MULTIPLE.format(lot=lot)
        if instrument.freeze_qty and order.quantity >= instrument.freeze_qty:
            return FREEZE_QUANTITY.format(segment=FREEZE_SEGMENTS[instrument.exch_seg])
        ticker = self.ltp(instrument)
        prices = [order.triggerprice] if order.is_stop else []
        if not order.is_market:
            prices.append(order.price)
        for price in prices:
            if price % ticker.tick:
                return TICK_MULTIPLE.format(tick=f"{ticker.tick:.8f}")
        for price in prices:
            if not ticker.within_band(price):
                return CIRCUIT_LIMIT
        if order.ordertype == "STOPLOSS_LIMIT":
            if order.is_buy and order.triggerprice > order.price:
                return BUY_TRIGGER_ABOVE_PRICE
            if not order.is_buy and order.triggerprice < order.price:
                return SELL_TRIGGER_BELOW_PRICE
        funds = self._funds(book, extra=order, exclude=exclude)
        if funds.required > 0 and funds.required > funds.net:
            return INSUFFICIENT_FUNDS.format(
                available=money(funds.net), required=money(funds.required)
            )
        return None

    def _reject(self, order: Order, text: str) -> None:
        order.text = text
        self._event(order, REJECTED)

    def _apply_pending(self, book: AccountBook, order: Order) -> None:
        pending = order.pending
        assert pending is not None
        order.pending = None
        order.status = pending.resume_status
        if pending.kind == "cancel":
            self._cancel_now(order)
        else:
            self._apply_modify(book, order, pending.changes)

    def _apply_modify(self, book: AccountBook, order: Order, changes: dict[str, Any]) -> None:
        was_stop = order.is_stop
        for key, value in changes.items():
            setattr(order, key, value)
        if order.status in (OPEN, TRIGGER_PENDING) and order.is_stop != was_stop:
            # LIMIT → SL waits for its trigger again; SL → LIMIT works at once.
            order.status = TRIGGER_PENDING if order.is_stop else OPEN
        if order.exchangeorderid:
            order.exchorderupdatetime = self._clock.now()
        order.aggressive = True
        order.seen_version = -1
        self._event(order, order.status, AB_AMO_MODIFIED if order.is_amo else AB_MODIFIED)
        if order.status in (OPEN, TRIGGER_PENDING):
            self._match(book, order, forced=True)

    def _cancel_now(self, order: Order) -> None:
        order.pending = None
        order.due = None
        order.cancelsize = order.unfilled
        if order.exchangeorderid:
            order.exchorderupdatetime = self._clock.now()
        self._event(order, CANCELLED, AB_AMO_CANCELLED if order.is_amo else None)

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
        ltp = ticker.ltp
        if order.status == TRIGGER_PENDING:
            hit = ltp >= order.triggerprice if order.is_buy else ltp <= order.triggerprice
            if not hit:
                return
            order.aggressive = True
            self._event(order, OPEN)
        if order.is_market:
            marketable, price = True, ltp
        elif order.is_buy:
            marketable = ltp <= order.price
            price = min(order.price, ltp) if order.aggressive else order.price
        else:
            marketable = ltp >= order.price
            price = max(order.price, ltp) if order.aggressive else order.price
        order.aggressive = False
        if marketable:
            quantity = order.unfilled
            lot = max(order.instrument.lotsize, 1)
            if config.fill_lots_per_step is not None:
                quantity = min(quantity, config.fill_lots_per_step * lot)
            if config.partial_fill_fraction is not None:
                fraction = Decimal(str(config.partial_fill_fraction))
                lots = int(Decimal(order.unfilled // lot) * fraction)
                quantity = min(quantity, max(lots, 1) * lot)
            self._fill(book, order, quantity, price)
        if order.duration == "IOC" and not order.is_terminal:
            self._cancel_now(order)

    def _fill(self, book: AccountBook, order: Order, quantity: int, price: Decimal) -> None:
        now = self._clock.now()
        order.filled += quantity
        order.filled_value += price * quantity
        order.fillid = str(50_000_000 + next(self._fill_seq))
        order.filltime = order.exchorderupdatetime = now
        fill = Fill(
            order.fillid,
            order.orderid,
            order.instrument,
            order.producttype,
            order.transactiontype,
            quantity,
            price,
            now,
        )
        book.fills.append(fill)
        book.position(order.instrument, order.producttype).add(
            order.transactiontype, quantity, price
        )
        self._event(order, COMPLETE if order.unfilled == 0 else OPEN)

    # ------------------------------------------------------------------ events

    def _event(self, order: Order, status: str, code: str | None = None) -> None:
        order.status = status
        order.updated_at = self._clock.now()
        if order.is_terminal:
            self._working.pop(order.orderid, None)
        event = OrderEvent(
            seq=len(self.events) + 1,
            at=order.updated_at,
            client_code=order.client_code,
            order_status=code or STATUS_CODES.get(status),
            orderid=order.orderid,
            status=status,
            row=order.book_row(),
        )
        self.events.append(event)

    def _next_orderid(self, now: datetime) -> str:
        return f"{now.astimezone(IST):%y%m%d}{next(self._order_seq):09d}"

    # ------------------------------------------------------------------- funds

    def _funds(
        self, book: AccountBook, *, extra: Order | None = None, exclude: Order | None = None
    ) -> Funds:
        config = self.config
        funds = Funds(opening=book.opening_cash)
        for position in book.positions.values():
            ticker = self.ltp(position.instrument)
            funds.realised += position.realised()
            funds.unrealised += position.unrealised(ticker.ltp)
            net = position.net_qty
            if net:
                side = "BUY" if net > 0 else "SELL"
                used = margin(
                    position.instrument,
                    position.product,
                    side,
                    abs(net),
                    position.net_price,
                    config,
                )
                funds.add_used(position.instrument, side, used)
        capacity: dict[tuple[str, str, str, str], int] = {}
        working = [o for o in book.orders if o.orderid in self._working and o is not exclude]
        for order in [*working, *([extra] if extra is not None else [])]:
            key = (order.exchange, order.instrument.token, order.producttype, order.transactiontype)
            if key not in capacity:
                capacity[key] = self._reducible(book, order)
            reducing = min(order.unfilled, capacity[key])
            capacity[key] -= reducing
            reference = self._margin_price(order)
            needed = margin(
                order.instrument,
                order.producttype,
                order.transactiontype,
                order.unfilled - reducing,
                reference,
                config,
            )
            if order is extra:
                funds.required = needed
            else:
                funds.add_blocked(needed)
        return funds

    def _reducible(self, book: AccountBook, order: Order) -> int:
        """How much of this side's orders only closes the existing position."""
        position = book.positions.get((order.exchange, order.instrument.token, order.producttype))
        net = position.net_qty if position is not None else 0
        if order.is_buy:
            return max(-net, 0)
        held = book.holding_qty(order.instrument)
        if order.producttype == "DELIVERY" and is_cash(order.instrument):
            return max(net, 0) + held
        return max(net, 0)

    def _margin_price(self, order: Order) -> Decimal:
        if order.ordertype == "MARKET":
            return self.ltp(order.instrument).ltp
        if order.ordertype == "STOPLOSS_MARKET":
            return order.triggerprice
        return order.price

    def funds(self, account: Account) -> dict[str, str]:
        """The getRMS ``data`` (all strings)."""
        funds = self._funds(self.book(account))
        return funds.rms()

    # ----------------------------------------------------------------- reports

    def order_rows(self, account: Account) -> list[dict[str, Any]]:
        return [order.book_row() for order in self.book(account).orders]

    def trade_rows(self, account: Account) -> list[dict[str, Any]]:
        return [fill.row() for fill in self.book(account).fills]

    def position_rows(self, account: Account) -> list[dict[str, str]]:
        rows = []
        for position in self.book(account).positions.values():
            ticker = self.ltp(position.instrument)
            rows.append(position.row(ticker.ltp, ticker.prev_close))
        return rows

    def holding_rows(self, account: Account) -> tuple[list[dict[str, Any]], dict[str, float]]:
        rows: list[dict[str, Any]] = []
        value = invested = pnl = ZERO
        for holding in self.book(account).holdings:
            ticker = self.ltp(holding.instrument)
            rows.append(holding.row(ticker.ltp, ticker.prev_close))
            v, i, p = holding.values(ticker.ltp)
            value, invested, pnl = value + v, invested + i, pnl + p
        percent = (pnl * 100 / invested) if invested else ZERO
        totals = {
            "totalholdingvalue": float(value.quantize(Decimal("0.01"))),
            "totalinvvalue": float(invested.quantize(Decimal("0.01"))),
            "totalprofitandloss": float(pnl.quantize(Decimal("0.01"))),
            "totalpnlpercentage": float(percent.quantize(Decimal("0.01"))),
        }
        return rows, totals

    def convert_position(
        self,
        account: Account,
        instrument: Instrument,
        old: str,
        new: str,
        side: str,
        quantity: int,
    ) -> str | None:
        """Move ``quantity`` of a position to another product; an error message if it cannot."""
        book = self.book(account)
        position = book.positions.get((instrument.exch_seg, instrument.token, old))
        if position is None:
            return "Position not found"
        net = position.net_qty
        available = max(net, 0) if side == "BUY" else max(-net, 0)
        if quantity <= 0 or quantity > available:
            return "Position conversion failed"
        target = book.position(instrument, new)
        if side == "BUY":
            price = position.buy_avg
            position.buy_qty -= quantity
            position.buy_amount -= price * quantity
        else:
            price = position.sell_avg
            position.sell_qty -= quantity
            position.sell_amount -= price * quantity
        target.add(side, quantity, price)
        return None

    def all_orders(
        self, *, tag: str | None = None, status: str | None = None, client_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Every order the engine holds (admin view): book rows plus ``clientcode``."""
        rows = []
        for order in self._orders.values():
            if tag is not None and order.ordertag != tag:
                continue
            if status is not None and order.status != status:
                continue
            if client_code is not None and order.client_code != client_code.upper():
                continue
            rows.append({**order.book_row(), "clientcode": order.client_code})
        return rows

    def event_dicts(self, *, since: int = 0, orderid: str | None = None) -> list[dict[str, Any]]:
        return [
            event.as_dict()
            for event in self.events[since:]
            if orderid is None or event.orderid == orderid
        ]

    def stats(self) -> dict[str, Any]:
        by_status: dict[str, int] = {}
        for order in self._orders.values():
            by_status[order.status] = by_status.get(order.status, 0) + 1
        return {
            "orders": {"total": len(self._orders), "working": len(self._working), **by_status},
            "events": len(self.events),
            "segment_ops_limit": self.config.segment_ops_limit,
            "segments": {
                seg: meter.as_dict() for seg, meter in sorted(self.segment_meters.items())
            },
            "gtt": self.gtt.stats(),
        }

    def segment_flow(self) -> dict[str, dict[str, int]]:
        """Per segment: order messages received, admitted, refused, and the busiest second."""
        out: dict[str, dict[str, int]] = {}
        for seg, attempts in sorted(self.segment_attempts.items()):
            admitted = self.segment_meters.get(seg, BucketMeter())
            out[seg] = {
                "calls": attempts.admitted,
                "admitted": admitted.admitted,
                "rate_limited": admitted.rate_limited,
                "peak_per_second": attempts.peak_per_second,
                "peak_admitted_per_second": admitted.peak_per_second,
            }
        return out


@dataclass
class Funds:
    opening: Decimal
    realised: Decimal = ZERO
    unrealised: Decimal = ZERO
    used_cash: Decimal = ZERO  # cash products and futures margin of open positions
    used_span: Decimal = ZERO  # derivatives margin (futures, option sales)
    used_premium: Decimal = ZERO  # premium of bought options
    blocked: Decimal = ZERO  # margin of working orders
    required: Decimal = ZERO  # margin the order under test needs

    def add_used(self, instrument: Instrument, side: str, amount: Decimal) -> None:
        if instrument.is_option and side == "BUY":
            self.used_premium += amount
        elif instrument.is_option or instrument.is_future:
            self.used_span += amount
        else:
            self.used_cash += amount

    def add_blocked(self, amount: Decimal) -> None:
        self.blocked += amount

    @property
    def available_cash(self) -> Decimal:
        return self.opening + self.realised

    @property
    def utilised(self) -> Decimal:
        return self.used_cash + self.used_span + self.used_premium + self.blocked

    @property
    def net(self) -> Decimal:
        return self.available_cash + self.unrealised - self.utilised

    def rms(self) -> dict[str, str]:
        return {
            "net": money(self.net),
            "availablecash": money(self.available_cash),
            "availableintradaypayin": "0",
            "availablelimitmargin": "0",
            "collateral": "0",
            "m2munrealized": money(self.unrealised),
            "m2mrealized": money(self.realised),
            "utiliseddebits": money(self.utilised),
            "utilisedspan": money(self.used_span),
            "utilisedoptionpremium": money(self.used_premium),
            "utilisedholdingsales": "0",
            "utilisedexposure": "0",
            "utilisedturnover": "0",
            "utilisedpayout": "0",
        }
