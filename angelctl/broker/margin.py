"""The broker's margin calculator (``marginBatch``, the SDKs' ``getMarginApi``) and charges
estimate (``estimateCharges``), typed: ``margin_required`` and ``estimate_charges``.

Both take the same ``Leg``s (one per order of a basket) and send the request shapes the
reference documents: camelCase positions for the margin calculator, snake_case orders for the
charges estimate. Money is ``Decimal`` throughout.

Invariants: read-only calls (never journalled, retried like any read); at most ``MAX_LEGS`` legs
per call (a larger basket is a ``UsageError`` before anything is sent); a reply without the
documented keys is an ``UnparseableResponse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from angelctl.broker.fields import decimal_field, text
from angelctl.broker.session import BrokerSession
from angelctl.errors import UnparseableResponse, UsageError
from angelctl.records import record

MAX_LEGS = 50


@record
class Leg:
    exchange: str
    token: str
    symbol_name: str  # the underlying's name (``NIFTY``), as the charges estimate wants it
    side: str  # BUY or SELL
    quantity: int  # units
    price: Decimal  # 0: valued at the LTP
    product: str  # DELIVERY, CARRYFORWARD, MARGIN, INTRADAY
    order_type: str = "LIMIT"


@record
class MarginRequired:
    total: Decimal
    span: Decimal
    benefit: Decimal
    delivery: Decimal
    non_nfo: Decimal
    options_premium: Decimal
    net_premium: Decimal

    @classmethod
    def from_wire(cls, data: Any) -> MarginRequired:
        if not isinstance(data, dict) or "totalMarginRequired" not in data:
            raise UnparseableResponse("the broker's margin reply has no totalMarginRequired")
        parts = data.get("marginComponents")
        parts = parts if isinstance(parts, dict) else {}
        return cls(
            total=decimal_field(data, "totalMarginRequired"),
            span=decimal_field(parts, "spanMargin"),
            benefit=decimal_field(parts, "marginBenefit"),
            delivery=decimal_field(parts, "deliveryMargin"),
            non_nfo=decimal_field(parts, "nonNFOMargin"),
            options_premium=decimal_field(parts, "totOptionsPremium"),
            net_premium=decimal_field(parts, "netPremium"),
        )


@record
class ChargeItem:
    name: str
    amount: Decimal
    parts: tuple[ChargeItem, ...] = ()

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> ChargeItem:
        inner = row.get("breakup")
        rows = [r for r in inner if isinstance(r, dict)] if isinstance(inner, list) else []
        return cls(
            text(row, "name"),
            decimal_field(row, "amount"),
            tuple(cls.from_wire(r) for r in rows),
        )


@record
class ChargesEstimate:
    total: Decimal
    trade_value: Decimal
    items: tuple[ChargeItem, ...]

    @classmethod
    def from_wire(cls, data: Any) -> ChargesEstimate:
        summary = data.get("summary") if isinstance(data, dict) else None
        if not isinstance(summary, dict) or "total_charges" not in summary:
            raise UnparseableResponse("the broker's charges reply has no summary.total_charges")
        breakup = summary.get("breakup")
        rows = [r for r in breakup if isinstance(r, dict)] if isinstance(breakup, list) else []
        return cls(
            total=decimal_field(summary, "total_charges"),
            trade_value=decimal_field(summary, "trade_value"),
            items=tuple(ChargeItem.from_wire(r) for r in rows),
        )


def _checked(legs: Sequence[Leg]) -> Sequence[Leg]:
    if not legs:
        raise UsageError("no legs to price")
    if len(legs) > MAX_LEGS:
        raise UsageError(f"{len(legs)} legs: the broker prices at most {MAX_LEGS} per request")
    return legs


def _price(value: Decimal) -> str:
    return format(value, "f")


def margin_required(session: BrokerSession, legs: Sequence[Leg]) -> MarginRequired:
    """The margin the basket needs (one ``marginBatch`` call)."""
    positions = [
        {
            "exchange": leg.exchange, "qty": leg.quantity, "price": _price(leg.price),
            "productType": leg.product, "token": leg.token, "tradeType": leg.side,
            "orderType": leg.order_type,
        }
        for leg in _checked(legs)
    ]  # fmt: skip
    return MarginRequired.from_wire(session.call("marginBatch", {"positions": positions}))


def estimate_charges(session: BrokerSession, legs: Sequence[Leg]) -> ChargesEstimate:
    """The charges of executing every leg (one ``estimateCharges`` call)."""
    orders = [
        {
            "product_type": leg.product, "transaction_type": leg.side,
            "quantity": str(leg.quantity), "price": _price(leg.price),
            "exchange": leg.exchange, "symbol_name": leg.symbol_name, "token": leg.token,
        }
        for leg in _checked(legs)
    ]  # fmt: skip
    return ChargesEstimate.from_wire(session.call("estimateCharges", {"orders": orders}))
