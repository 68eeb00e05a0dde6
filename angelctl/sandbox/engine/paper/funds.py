"""Funds and margin of one account: what the getRMS route shows and what an order may use.

Available cash = opening cash + realised P&L; ``net`` (what an order may use) = available cash
+ unrealised P&L − margin of open positions − margin blocked by working orders. An order that
only reduces a position (net of other working orders on that side, and of demat holdings for a
DELIVERY sell) needs no margin, so exits are never refused for funds.

Invariant: computing funds changes nothing; prices come from the ``ltp`` callable the broker
passes in (the market's ticker of each instrument).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal

from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import Order
from angelctl.sandbox.engine.paper.books import AccountBook
from angelctl.sandbox.engine.portfolio import ZERO, is_cash, margin, money

Ltp = Callable[[Instrument], Decimal]


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


def account_funds(
    book: AccountBook,
    working: Collection[str],
    ltp: Ltp,
    config: SandboxConfig,
    *,
    extra: Order | None = None,
    exclude: Order | None = None,
) -> Funds:
    """The book's funds; with ``extra``, ``required`` is the margin that order would need.

    ``working`` holds the ids of working orders (their unfilled rest blocks margin); ``exclude``
    is left out (the order being modified, whose new form is ``extra``).
    """
    funds = Funds(opening=book.opening_cash)
    _add_positions(funds, book, ltp, config)
    capacity: dict[tuple[str, str, str, str], int] = {}
    orders = [o for o in book.orders if o.orderid in working and o is not exclude]
    for order in [*orders, *([extra] if extra is not None else [])]:
        key = (order.exchange, order.instrument.token, order.producttype, order.transactiontype)
        if key not in capacity:
            capacity[key] = reducible(book, order)
        reducing = min(order.unfilled, capacity[key])
        capacity[key] -= reducing
        needed = margin(
            order.instrument,
            order.producttype,
            order.transactiontype,
            order.unfilled - reducing,
            margin_price(order, ltp),
            config,
        )
        if order is extra:
            funds.required = needed
        else:
            funds.add_blocked(needed)
    return funds


def _add_positions(funds: Funds, book: AccountBook, ltp: Ltp, config: SandboxConfig) -> None:
    for position in book.positions.values():
        price = ltp(position.instrument)
        funds.realised += position.realised()
        funds.unrealised += position.unrealised(price)
        net = position.net_qty
        if net:
            side = "BUY" if net > 0 else "SELL"
            used = margin(
                position.instrument, position.product, side, abs(net), position.net_price, config
            )
            funds.add_used(position.instrument, side, used)


def reducible(book: AccountBook, order: Order) -> int:
    """How much of this side's orders only closes the existing position."""
    position = book.positions.get((order.exchange, order.instrument.token, order.producttype))
    net = position.net_qty if position is not None else 0
    if order.is_buy:
        return max(-net, 0)
    held = book.holding_qty(order.instrument)
    if order.producttype == "DELIVERY" and is_cash(order.instrument):
        return max(net, 0) + held
    return max(net, 0)


def margin_price(order: Order, ltp: Ltp) -> Decimal:
    """The price an order's margin is computed at: LTP for MARKET, trigger for SL-M."""
    if order.ordertype == "MARKET":
        return ltp(order.instrument)
    if order.ordertype == "STOPLOSS_MARKET":
        return order.triggerprice
    return order.price
