"""The trade book, typed: ``fetch_trades(session)`` → the day's fills as ``Trade`` (route
``getTradeBook``), parsed with the same wire-number rules as every row (``broker.fields``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, int_field, optional_decimal, text, wire_rows
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession


@record
class Trade:
    """One fill from the trade book."""

    exchange: str
    symbol: str
    token: str
    product: str
    side: str
    quantity: int
    price: Decimal
    value: Decimal
    order_id: str
    fill_id: str
    fill_time: str  # "13:27:53", IST, as sent
    instrument_type: str

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> Trade:
        quantity = int_field(row, "fillsize")
        price = decimal_field(row, "fillprice")
        value = optional_decimal(row, "tradevalue")
        return cls(
            exchange=text(row, "exchange"),
            symbol=text(row, "tradingsymbol"),
            token=text(row, "symboltoken"),
            product=text(row, "producttype"),
            side=text(row, "transactiontype").upper(),
            quantity=quantity,
            price=price,
            value=value if value is not None else price * quantity,
            order_id=text(row, "orderid"),
            fill_id=text(row, "fillid"),
            fill_time=text(row, "filltime"),
            instrument_type=text(row, "instrumenttype"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "product": self.product,
            "side": self.side,
            "quantity": self.quantity,
            "price": self.price,
            "value": self.value,
            "order_id": self.order_id,
            "fill_id": self.fill_id,
            "fill_time": self.fill_time,
            "instrument_type": self.instrument_type,
        }


def parse_trades(data: Any) -> list[Trade]:
    return [Trade.from_wire(row) for row in wire_rows(data, "getTradeBook")]


def fetch_trades(session: BrokerSession) -> list[Trade]:
    return parse_trades(session.call("getTradeBook"))
