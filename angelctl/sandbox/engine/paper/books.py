"""An account's books at the paper broker, and the order request the OMS receives.

``AccountBook`` holds one client's opening cash, demat holdings, orders (in arrival order),
positions (by exchange, token and product) and fills; ``OrderTicket`` is a placeOrder request
that passed the API's own validation (``rest.order_api``). ``convert_position`` is the one
change to a position that is not a fill.

Invariants: a book's orders and fills are only ever appended; a position is created on first
use and never removed (a flat position still shows, as on the live API).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from angelctl.records import record
from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.gtt import GttRule
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import Order
from angelctl.sandbox.engine.portfolio import ZERO, Fill, Holding, Position
from angelctl.sandbox.engine.universe import Universe


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

    @classmethod
    def seed(
        cls, instrument: Instrument, product: str, net_qty: int, price: Decimal
    ) -> OrderTicket:
        """The order a seeded position is entered as (``net_qty`` < 0: a short)."""
        return cls(
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
        )

    @classmethod
    def for_gtt(cls, rule: GttRule) -> OrderTicket:
        """The LIMIT DAY order a triggered GTT rule places."""
        return cls(
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


@dataclass
class AccountBook:
    client_code: str
    opening_cash: Decimal
    holdings: list[Holding]
    orders: list[Order] = field(default_factory=list)
    positions: dict[tuple[str, str, str], Position] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)

    @classmethod
    def open(cls, account: Account, universe: Universe) -> AccountBook:
        """A fresh book: the account's cash, and its holdings the day's universe lists."""
        holdings = []
        for spec in account.spec.holdings:
            instrument = universe.by_symbol(spec.exchange, spec.symbol)
            if instrument is not None:
                holdings.append(
                    Holding(instrument, spec.isin, spec.quantity, Decimal(spec.average_price))
                )
        return cls(account.client_code, account.available_cash, holdings)

    def position(self, instrument: Instrument, product: str) -> Position:
        key = (instrument.exch_seg, instrument.token, product)
        found = self.positions.get(key)
        if found is None:
            found = self.positions[key] = Position(instrument, product)
        return found

    def holding_qty(self, instrument: Instrument) -> int:
        return sum(h.quantity for h in self.holdings if h.instrument.key == instrument.key)

    def convert_position(
        self,
        instrument: Instrument,
        old: str,
        new: str,
        side: str,
        quantity: int,
        fits: Callable[[], bool] = lambda: True,
    ) -> str | None:
        """Move ``quantity`` of a position to another product; an error message if it cannot.
        The quantity keeps its average price; ``fits`` is asked after the move, which is
        undone (both rows restored) when it answers False (the funds cannot carry it)."""
        position = self.positions.get((instrument.exch_seg, instrument.token, old))
        if position is None:
            return "Position not found"
        net = position.net_qty
        available = max(net, 0) if side == "BUY" else max(-net, 0)
        if quantity <= 0 or quantity > available:
            return "Position conversion failed"
        target_key = (instrument.exch_seg, instrument.token, new)
        saved = dataclasses.replace(position), self.positions.get(target_key)
        saved_target = dataclasses.replace(saved[1]) if saved[1] is not None else None
        target = self.position(instrument, new)
        if side == "BUY":
            price = position.buy_avg
            position.buy_qty -= quantity
            position.buy_amount -= price * quantity
        else:
            price = position.sell_avg
            position.sell_qty -= quantity
            position.sell_amount -= price * quantity
        target.add(side, quantity, price)
        if fits():
            return None
        self.positions[(instrument.exch_seg, instrument.token, old)] = saved[0]
        if saved_target is None:
            del self.positions[target_key]
        else:
            self.positions[target_key] = saved_target
        return "Insufficient funds"
