"""The order-update panel of the ``stream`` screen: the last updates, newest first, with the
socket's ``order-status`` codes in words.

A pure view of ``OrderUpdateLike`` values (``render.stream_model``): no I/O, no clock. A code
not in the documented table prints as the code plus "unknown", never as a blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from angelctl.clock import IST
from angelctl.render.fit import ColumnSpec, fit_table
from angelctl.render.quotes import price
from angelctl.render.stream_model import OrderUpdateLike

if TYPE_CHECKING:
    from rich.table import Table

ORDER_COLUMNS = (
    ColumnSpec("time", "left", drop=2),
    ColumnSpec("order id", "left"),
    ColumnSpec("status", "left"),
    ColumnSpec("side", "left", drop=3),
    ColumnSpec("symbol", "left"),
    ColumnSpec("filled/qty"),
    ColumnSpec("avg", drop=1),
    ColumnSpec("reason", "left", drop=4),
)


#: the order-update socket's ``order-status`` codes in words (docs/protocol.md#order-update-socket)
ORDER_STATUS_WORDS = {
    "AB01": "open",
    "AB02": "cancelled",
    "AB03": "rejected",
    "AB04": "modified",
    "AB05": "complete",
    "AB06": "after-market order received",
    "AB07": "after-market order cancelled",
    "AB08": "after-market modify received",
    "AB09": "open pending",
    "AB10": "trigger pending",
    "AB11": "modify pending",
}


def order_status_words(code: str) -> str:
    """``AB09`` → ``open pending``; a code not in the table prints as ``AB77 unknown``."""
    return ORDER_STATUS_WORDS.get(code) or f"{code or '-'} unknown"


def orders_panel(orders: Sequence[OrderUpdateLike], *, width: int | None = None) -> Table:
    """The last order updates, newest first, fitted to ``width`` like the ticks table; the
    status in words, never the socket's code."""
    from rich.text import Text

    from angelctl.render.orders import STATUS_STYLE

    rows = []
    for u in orders:
        words = order_status_words(u.status_code)
        rows.append(
            [
                f"{u.updated_at.astimezone(IST):%H:%M:%S}" if u.updated_at else "",
                u.order_id,
                Text(words, style=STATUS_STYLE.get(words, "")),
                u.side,
                f"{u.exchange}:{u.symbol}" if u.exchange else u.symbol,
                f"{u.filled:,}/{u.quantity:,}",
                price(u.average_price) if u.average_price else "",
                u.text,
            ]
        )
    caption = "" if orders else "no order updates yet"
    return fit_table("Order updates", ORDER_COLUMNS, rows, width=width, caption=caption)
