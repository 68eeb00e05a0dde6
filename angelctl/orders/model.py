"""What the operator asked for: ``OrderRequest``, built and validated from the flags.

What the broker reports is a separate type, ``angelctl.broker.orders.BrokerOrder`` (parsed
there once); ``OrderRequest.ticket(tag)`` is this intent as the broker's ``NewOrder``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from angelctl.broker.orders import NewOrder, wire_money
from angelctl.errors import UsageError
from angelctl.indian import group_indian
from angelctl.instruments.model import Contract
from angelctl.numbers import MAX_UNITS, parse_price, parse_whole
from angelctl.records import record

SIDES = ("BUY", "SELL")
ORDER_TYPES = ("LIMIT", "MARKET", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY", "BO")
VARIETIES = ("NORMAL", "STOPLOSS", "ROBO")
DURATIONS = ("DAY", "IOC")


def choice(value: str, options: tuple[str, ...], flag: str) -> str:
    """``value`` as one of ``options`` (any case, - or _, the usual aliases) or a UsageError."""
    upper = value.strip().upper().replace("-", "_")
    aliases = {
        "SL": "STOPLOSS_LIMIT",
        "SL_M": "STOPLOSS_MARKET",
        "SLM": "STOPLOSS_MARKET",
        "CNC": "DELIVERY",
        "NRML": "CARRYFORWARD",
        "MIS": "INTRADAY",
        "B": "BUY",
        "S": "SELL",
    }
    upper = aliases.get(upper, upper)
    if upper not in options:
        raise UsageError(f"{flag} must be one of {', '.join(options)}, not {value!r}")
    return upper


@record
class OrderRequest:
    contract: Contract
    side: str
    quantity: int  # units, not lots
    order_type: str = "LIMIT"
    price: Decimal | None = None
    trigger: Decimal | None = None
    product: str = "INTRADAY"
    variety: str = "NORMAL"
    duration: str = "DAY"
    disclosed_quantity: int = 0
    user_tag: str = ""
    amo: bool = False  # the operator accepts an after-market order (never on the wire)

    @classmethod
    def build(
        cls,
        contract: Contract,
        *,
        side: str,
        quantity: int | None,
        lots: int | None,
        order_type: str,
        price: str | None,
        trigger: str | None,
        product: str,
        variety: str | None,
        duration: str,
        disclosed: int,
        tag: str,
        amo: bool = False,
    ) -> OrderRequest:
        if (quantity is None) == (lots is None):
            raise UsageError("give the size as --qty UNITS or --lots N (exactly one)")
        if quantity is not None:
            units = parse_whole(quantity, "--qty", low=1, high=MAX_UNITS)
        else:
            units = parse_whole(lots or 0, "--lots", low=1, high=MAX_UNITS) * contract.lot_size
        if units > MAX_UNITS:
            raise UsageError(
                f"{lots} lots is {group_indian(units)} units: "
                f"more than {group_indian(MAX_UNITS)} per order"
            )
        kind = choice(order_type, ORDER_TYPES, "--type")
        variety_value = variety or ("STOPLOSS" if kind.startswith("STOPLOSS") else "NORMAL")
        return cls(
            contract=contract,
            side=choice(side, SIDES, "side"),
            quantity=units,
            order_type=kind,
            price=_decimal(price, "--price"),
            trigger=_decimal(trigger, "--trigger"),
            product=choice(product, PRODUCTS, "--product"),
            variety=choice(variety_value, VARIETIES, "--variety"),
            duration=choice(duration, DURATIONS, "--duration"),
            disclosed_quantity=parse_whole(disclosed, "--disclosed", low=0, high=MAX_UNITS),
            user_tag=tag,
            amo=amo,
        )

    @property
    def lots(self) -> Decimal:
        return Decimal(self.quantity) / Decimal(max(self.contract.lot_size, 1))

    @property
    def notional(self) -> Decimal | None:
        reference = self.price if self.price is not None else self.trigger
        return None if reference is None else reference * self.quantity

    def with_quantity(self, quantity: int) -> OrderRequest:
        return replace(self, quantity=quantity)

    def ticket(self, tag: str) -> NewOrder:
        """This intent as the broker's placeOrder request, under ``tag``."""
        c = self.contract
        return NewOrder(
            exchange=c.exchange,
            symbol=c.symbol,
            token=c.token,
            side=self.side,
            quantity=self.quantity,
            order_type=self.order_type,
            product=self.product,
            variety=self.variety,
            duration=self.duration,
            price=self.price,
            trigger=self.trigger,
            disclosed_quantity=self.disclosed_quantity,
            tag=tag,
        )

    def to_wire(self, ordertag: str) -> dict[str, str]:
        """The placeOrder body (``broker.orders.NewOrder.to_wire``)."""
        return self.ticket(ordertag).to_wire()

    def describe(self) -> dict[str, Any]:
        return {
            "symbol": self.contract.symbol,
            "exchange": self.contract.exchange,
            "token": self.contract.token,
            "side": self.side,
            "quantity": self.quantity,
            "lots": format(self.lots.normalize(), "f"),
            "order_type": self.order_type,
            "price": wire_money(self.price),
            "trigger": wire_money(self.trigger),
            "product": self.product,
            "variety": self.variety,
            "duration": self.duration,
            "disclosed_quantity": self.disclosed_quantity,
            "user_tag": self.user_tag,
            "amo": self.amo,
        }

    def fingerprint(self) -> dict[str, str]:
        """The parameters that make an intent what it is, canonical (plain strings, Decimal
        normalised): the same ``--intent-id`` with another fingerprint is a different order."""

        def number(value: Decimal | None) -> str:
            return "" if value is None else format(value.normalize(), "f")

        return {
            "exchange": self.contract.exchange,
            "token": self.contract.token,
            "side": self.side,
            "quantity": str(self.quantity),
            "price": number(self.price),
            "trigger": number(self.trigger),
            "order_type": self.order_type,
            "product": self.product,
            "variety": self.variety,
            "validity": self.duration,
        }


def _decimal(value: str | None, flag: str) -> Decimal | None:
    """A price the operator typed (``numbers.parse_price``), or None when none was given."""
    return None if value is None else parse_price(value, flag)
