"""What a basket of orders needs in margin, leg by leg and together (``angelctl margin``): the
hedge benefit is what margining the basket together saves over margining each leg alone.

``price_basket`` makes one ``marginBatch`` call for the whole basket and one per leg (a basket
of one leg is priced once), then reads the funds (``getRMS``) and, if asked, the charges
estimate. The broker's client paces the calls under the route's limit (10/s).

Invariants: reads only — nothing is placed, nothing is journalled, the kill-switch latch is not
consulted (pricing adds no exposure); at most ``MAX_LEGS`` (50) legs, else a ``UsageError``
before any call; money is ``Decimal`` and leaves here as decimal strings (``describe``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from angelctl.broker.margin import (
    MAX_LEGS,
    ChargesEstimate,
    MarginRequired,
    estimate_charges,
    margin_required,
)
from angelctl.broker.models import Funds
from angelctl.broker.session import BrokerSession
from angelctl.errors import UsageError
from angelctl.orders.model import OrderRequest
from angelctl.orders.money import legs as money_legs

PAISA = Decimal("0.01")


@dataclass(frozen=True)
class BasketOrder:
    """One order of a basket and where it was written (``line`` 0: the command line)."""

    request: OrderRequest
    line: int = 0


@dataclass(frozen=True)
class LegMargin:
    order: BasketOrder
    margin: MarginRequired  # this leg margined alone


@dataclass(frozen=True)
class BasketMargin:
    legs: list[LegMargin]
    basket: MarginRequired  # every leg margined together
    funds: Funds
    charges: ChargesEstimate | None

    @property
    def sum_of_legs(self) -> Decimal:
        return sum((leg.margin.total for leg in self.legs), start=Decimal(0))

    @property
    def hedge_benefit(self) -> Decimal:
        """What margining the legs together saves over margining each alone."""
        return self.sum_of_legs - self.basket.total

    @property
    def available(self) -> Decimal:
        return self.funds.net

    @property
    def fits(self) -> bool:
        return self.basket.total <= self.available

    def describe(self) -> dict[str, Any]:
        return {
            "legs": [
                {"line": leg.order.line, "order": _order(leg.order.request),
                 "margin": margin_dict(leg.margin)}
                for leg in self.legs
            ],
            "basket": margin_dict(self.basket),
            "sum_of_legs": _text(self.sum_of_legs),
            "hedge_benefit": _text(self.hedge_benefit),
            "available_funds": _text(self.available),
            "fits": self.fits,
            "shortfall": _text(max(self.basket.total - self.available, Decimal(0))),
            "charges": _charges(self.charges),
        }  # fmt: skip


def _text(value: Decimal) -> str:
    """Rupees to the paisa, as a decimal string (``8000.00``)."""
    return format(value.quantize(PAISA), "f")


def _order(request: OrderRequest) -> dict[str, Any]:
    d = request.describe()
    keep = ("symbol", "exchange", "token", "side", "quantity", "lots", "order_type", "price",
            "trigger", "product")  # fmt: skip
    return {k: d[k] for k in keep} | {"lot_size": request.contract.lot_size}


def margin_dict(m: MarginRequired) -> dict[str, str]:
    return {
        "total": _text(m.total),
        "span": _text(m.span),
        "benefit": _text(m.benefit),
        "delivery": _text(m.delivery),
        "non_nfo": _text(m.non_nfo),
        "options_premium": _text(m.options_premium),
        "net_premium": _text(m.net_premium),
    }


def _charges(c: ChargesEstimate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "total": _text(c.total),
        "trade_value": _text(c.trade_value),
        "items": [{"name": i.name, "amount": _text(i.amount)} for i in c.items],
    }


def price_basket(
    session: BrokerSession, orders: list[BasketOrder], *, charges: bool = False
) -> BasketMargin:
    """The basket's margin, each leg's alone, the funds and (``charges``) the charges."""
    if not orders:
        raise UsageError("no orders to price")
    if len(orders) > MAX_LEGS:
        raise UsageError(
            f"{len(orders)} orders: the broker's margin calculator takes at most {MAX_LEGS}",
            hint="split the basket into files of at most 50 orders",
        )
    legs = money_legs([o.request for o in orders])
    basket = margin_required(session, legs)
    alone = [basket] if len(legs) == 1 else [margin_required(session, [leg]) for leg in legs]
    funds = Funds.from_wire(session.call("getRMS"))
    estimate = estimate_charges(session, legs) if charges else None
    return BasketMargin(
        [LegMargin(o, m) for o, m in zip(orders, alone, strict=True)], basket, funds, estimate
    )
