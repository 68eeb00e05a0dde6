"""Handlers for the margin calculator and the charges estimate (docs/protocol.md#route-table
#26-#27): ``margin/v1/batch`` (``getMarginApi`` in the SDKs) and
``brokerage/v1/estimateCharges``. The models are ``engine.margin_calc`` and ``engine.charges``
(docs/margins.md).

Request keys. marginBatch positions are read case-insensitively, so the docs sample's camelCase
(``productType``, ``tradeType``, ``orderType``) and the docs field table's lower case both work
([CONFLICT] in the reference); ``orderType`` defaults to LIMIT; ``symboltoken``/``quantity``/
``transactiontype`` are accepted as aliases. estimateCharges reads the documented snake_case
(``product_type``, ``transaction_type``, ``quantity``, ``price``, ``exchange``, ``symbol_name``,
``token``) and, the same way, tolerates camelCase. A zero price (or MARKET) is valued at the LTP.

Refusals (the OMS error shape; codes chosen where the docs give none):
- no ``positions``/``orders`` list, or an empty one → AB1007 "Invalid positions"/"Invalid orders";
- more than 50 → AB1007 "You can calculate margin for a maximum of 50 positions in a single
  request" (the docs state the limit, not the reply);
- per leg: an exchange, side, order type or quantity out of range → AB1007 "Invalid <field>";
  a product → AB1012 "Invalid Product Type"; an unknown token → AB4006 "Invalid symboltoken".
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from angelctl.sandbox.engine.charges import Charges, order_charges, rupees
from angelctl.sandbox.engine.margin_calc import Leg, basket_margin
from angelctl.sandbox.engine.orders import EXCHANGES, ORDER_TYPES, PRODUCTS, SIDES
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success

MAX_LEGS = 50
TOO_MANY = "You can calculate margin for a maximum of 50 positions in a single request"

# field → the keys it may arrive under (compared lower-cased, "_" removed).
MARGIN_KEYS = {
    "exchange": ("exchange",),
    "qty": ("qty", "quantity"),
    "price": ("price",),
    "product": ("producttype",),
    "token": ("token", "symboltoken"),
    "side": ("tradetype", "transactiontype"),
    "order_type": ("ordertype",),
}
CHARGE_KEYS = {
    "exchange": ("exchange",),
    "qty": ("quantity", "qty"),
    "price": ("price",),
    "product": ("producttype",),
    "token": ("token", "symboltoken"),
    "side": ("transactiontype", "tradetype"),
    "order_type": ("ordertype",),
}


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _field(raw: Mapping[str, Any], names: tuple[str, ...]) -> str:
    folded = {str(k).lower().replace("_", ""): v for k, v in raw.items()}
    for name in names:
        value = folded.get(name)
        if value is not None and not isinstance(value, bool):
            return str(value).strip()
    return ""


def _leg(state: BrokerState, raw: Any, keys: Mapping[str, tuple[str, ...]]) -> Leg:
    """One validated leg, valued at the LTP when it has no price (or is MARKET)."""
    if not isinstance(raw, dict):
        raise Refused("AB1007", "Invalid position")
    exchange = _field(raw, keys["exchange"]).upper()
    if exchange not in EXCHANGES:
        raise Refused("AB1007", "Invalid Exchange")
    side = _field(raw, keys["side"]).upper()
    if side not in SIDES:
        raise Refused("AB1007", "Invalid Transaction Type")
    product = _field(raw, keys["product"]).upper()
    if product not in PRODUCTS:
        raise Refused("AB1012", "Invalid Product Type")
    order_type = _field(raw, keys["order_type"]).upper() or "LIMIT"
    if order_type not in ORDER_TYPES:
        raise Refused("AB1007", "Invalid Order Type")
    token = _field(raw, keys["token"])
    instrument = state.universe.instrument(exchange, token) if token else None
    if instrument is None or instrument.is_index:
        raise Refused("AB4006", "Invalid symboltoken")
    quantity = _number(_field(raw, keys["qty"]), "Quantity")
    if quantity <= 0 or quantity != quantity.to_integral_value():
        raise Refused("AB1007", "Invalid Quantity")
    price = _number(_field(raw, keys["price"]) or "0", "Price")
    if price == 0 or order_type == "MARKET":
        price = state.paper.ltp(instrument).ltp
    return Leg(instrument, product, side, int(quantity), price)


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Refused("AB1007", f"Invalid {what}") from None
    if not value.is_finite() or value < 0:
        raise Refused("AB1007", f"Invalid {what}")
    return value


def _legs(
    state: BrokerState, call: Call, key: str, keys: Mapping[str, tuple[str, ...]]
) -> list[Leg]:
    raw = call.body.get(key)
    if not isinstance(raw, list) or not raw:
        raise Refused("AB1007", f"Invalid {key}")
    if len(raw) > MAX_LEGS:
        raise Refused("AB1007", TOO_MANY)
    return [_leg(state, item, keys) for item in raw]


def margin_batch(state: BrokerState, call: Call) -> EngineResponse:
    try:
        legs = _legs(state, call, "positions", MARGIN_KEYS)
    except Refused as refused:
        return oms_error(refused.code, refused.message)
    return success(basket_margin(legs, state.config).wire())


def _breakup(c: Charges) -> list[dict[str, Any]]:
    def item(name: str, amount: Decimal, msg: str = "", inner: Any = ()) -> dict[str, Any]:
        return {"name": name, "amount": float(amount), "msg": msg, "breakup": list(inner)}

    external = (
        item("Exchange Transaction Charges", c.exchange),
        item("SEBI Fees", c.sebi),
        item("Stamp Duty", c.stamp),
    )
    taxes = (item(c.tax_name, c.stt), item("GST", c.gst, "18% on brokerage and charges"))
    return [
        item("Angel One Brokerage", c.brokerage, "₹20 or 0.1% per executed order, lower"),
        item("External Charges", c.exchange + c.sebi + c.stamp, "", external),
        item("Taxes", c.stt + c.gst, "", taxes),
    ]


def _summary(charges: list[Charges]) -> dict[str, Any]:
    total = sum((c.total for c in charges), start=Decimal(0))
    value = sum((c.trade_value for c in charges), start=Decimal(0))

    def added(name: str) -> Decimal:
        return sum((getattr(c, name) for c in charges), start=Decimal(0))

    merged = Charges(
        trade_value=value, brokerage=added("brokerage"), stt=added("stt"),
        exchange=added("exchange"), sebi=added("sebi"), stamp=added("stamp"), gst=added("gst"),
        tax_name=charges[0].tax_name,
    )  # fmt: skip
    return {
        "total_charges": float(rupees(total)),
        "trade_value": float(rupees(value)),
        "breakup": _breakup(merged),
    }


def estimate_charges(state: BrokerState, call: Call) -> EngineResponse:
    try:
        legs = _legs(state, call, "orders", CHARGE_KEYS)
    except Refused as refused:
        return oms_error(refused.code, refused.message)
    charges = [
        order_charges(leg.instrument, leg.product, leg.side, leg.quantity, leg.price)
        for leg in legs
    ]
    per_order = [_summary([c]) for c in charges]
    return success({"summary": _summary(charges), "charges": per_order})


HANDLERS: dict[str, Handler] = {
    "marginBatch": margin_batch,
    "estimateCharges": estimate_charges,
}
