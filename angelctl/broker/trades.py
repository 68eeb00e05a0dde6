"""The trade book, typed: ``fetch_trades(session)`` → the day's fills as ``Trade`` (route
``getTradeBook``), parsed with the same wire-number rules as every row (``broker.fields``).

The broker sends a fill's time of day only (``"13:27:53"``, IST). The book holds one trading
day's fills, so ``fill_time`` is that time on the IST date the book was read: an aware datetime
(``None`` when the text is not a time; the text is kept as ``fill_time_text``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, int_field, optional_decimal, text, wire_rows
from angelctl.clock import IST
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
    fill_time: datetime | None  # the time sent, on the day the book was read (IST)
    instrument_type: str
    fill_time_text: str = ""  # as sent: "13:27:53"

    @classmethod
    def from_wire(cls, row: dict[str, Any], day: date) -> Trade:
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
            fill_time=fill_moment(text(row, "filltime"), day),
            instrument_type=text(row, "instrumenttype"),
            fill_time_text=text(row, "filltime"),
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


def fill_moment(value: str, day: date) -> datetime | None:
    """``"13:27:53"`` on ``day`` in IST; a full ``"07-Dec-2026 13:27:53"`` keeps its own date."""
    for layout, dated in (("%H:%M:%S", False), ("%d-%b-%Y %H:%M:%S", True)):
        try:
            parsed = datetime.strptime(value.strip(), layout)
        except ValueError:
            continue
        moment = (
            parsed
            if dated
            else datetime.combine(day, time(0)).replace(
                hour=parsed.hour, minute=parsed.minute, second=parsed.second
            )
        )
        return moment.replace(tzinfo=IST)
    return None


def parse_trades(data: Any, day: date) -> list[Trade]:
    """The book's rows; ``day``: the IST date it was read on (the fills' trading day)."""
    return [Trade.from_wire(row, day) for row in wire_rows(data, "getTradeBook")]


def fetch_trades(session: BrokerSession) -> list[Trade]:
    data = session.call("getTradeBook")
    return parse_trades(data, session.clock.now().astimezone(IST).date())
