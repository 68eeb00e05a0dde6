"""Order values: what the operator asked for (``OrderRequest``) and what the broker reports
(``BrokerOrder``) are separate types; the broker's rows (numbers as JSON numbers or strings,
``broker.fields``) are parsed here once.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from angelctl.broker.fields import decimal_field, int_field
from angelctl.errors import UnparseableResponse, UsageError
from angelctl.instruments.model import Contract
from angelctl.numbers import MAX_UNITS, parse_price, parse_whole
from angelctl.records import record

SIDES = ("BUY", "SELL")
ORDER_TYPES = ("LIMIT", "MARKET", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY", "BO")
VARIETIES = ("NORMAL", "STOPLOSS", "ROBO")
DURATIONS = ("DAY", "IOC")

# Order-book statuses (lower-case text on the wire) grouped by what they mean for exposure.
TERMINAL_STATUSES = frozenset({"complete", "cancelled", "rejected"})
WORKING_STATUSES = frozenset(
    {
        "open",
        "trigger pending",
        "open pending",
        "modify pending",
        "cancel pending",
        "after market order req received",
        "modify after market order req received",
        "validation pending",
        "put order req received",
        "modify validation pending",
    }
)


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
            raise UsageError(f"{lots} lots is {units:,} units: more than {MAX_UNITS:,} per order")
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

    def to_wire(self, ordertag: str) -> dict[str, str]:
        """The placeOrder body: every value a string, as the real clients send."""
        c = self.contract
        body = {
            "variety": self.variety,
            "tradingsymbol": c.symbol,
            "symboltoken": c.token,
            "transactiontype": self.side,
            "exchange": c.exchange,
            "ordertype": self.order_type,
            "producttype": self.product,
            "duration": self.duration,
            "price": _money(self.price),
            "triggerprice": _money(self.trigger),
            "squareoff": "0",
            "stoploss": "0",
            "quantity": str(self.quantity),
            "disclosedquantity": str(self.disclosed_quantity),
            "ordertag": ordertag,
        }
        return body

    def describe(self) -> dict[str, Any]:
        return {
            "symbol": self.contract.symbol,
            "exchange": self.contract.exchange,
            "token": self.contract.token,
            "side": self.side,
            "quantity": self.quantity,
            "lots": format(self.lots.normalize(), "f"),
            "order_type": self.order_type,
            "price": _money(self.price),
            "trigger": _money(self.trigger),
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


def _money(value: Decimal | None) -> str:
    return "0" if value is None else format(value, "f")


@record
class BrokerOrder:
    order_id: str
    unique_order_id: str
    tag: str
    status: str
    exchange: str
    symbol: str
    token: str
    side: str
    order_type: str
    product: str
    variety: str
    quantity: int
    filled: int
    unfilled: int
    price: Decimal
    trigger: Decimal
    average_price: Decimal
    text: str
    updated: str
    duration: str = ""  # DAY or IOC ("" when the row does not say)

    @classmethod
    def from_wire(cls, row: Any) -> BrokerOrder:
        if not isinstance(row, dict):
            raise UnparseableResponse("an order-book row is not an object")
        status = str(row.get("orderstatus") or row.get("status") or "").strip().lower()
        return cls(
            order_id=str(row.get("orderid") or ""),
            unique_order_id=str(row.get("uniqueorderid") or ""),
            tag=str(row.get("ordertag") or ""),
            status=status,
            exchange=str(row.get("exchange") or ""),
            symbol=str(row.get("tradingsymbol") or ""),
            token=str(row.get("symboltoken") or ""),
            side=str(row.get("transactiontype") or ""),
            order_type=str(row.get("ordertype") or ""),
            product=str(row.get("producttype") or ""),
            variety=str(row.get("variety") or ""),
            quantity=int_field(row, "quantity"),
            filled=int_field(row, "filledshares"),
            unfilled=int_field(row, "unfilledshares"),
            price=decimal_field(row, "price"),
            trigger=decimal_field(row, "triggerprice"),
            average_price=decimal_field(row, "averageprice"),
            text=str(row.get("text") or ""),
            updated=str(row.get("updatetime") or ""),
            duration=str(row.get("duration") or "").strip().upper(),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_working(self) -> bool:
        return not self.is_terminal

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "unique_order_id": self.unique_order_id,
            "tag": self.tag,
            "status": self.status,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "side": self.side,
            "order_type": self.order_type,
            "product": self.product,
            "variety": self.variety,
            "quantity": self.quantity,
            "filled": self.filled,
            "unfilled": self.unfilled,
            "price": format(self.price, "f"),
            "trigger": format(self.trigger, "f"),
            "average_price": format(self.average_price, "f"),
            "text": self.text,
            "updated": self.updated,
        }


def parse_order_book(data: Any) -> list[BrokerOrder]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise UnparseableResponse("the order book is not a list")
    return [BrokerOrder.from_wire(row) for row in data]
