"""Views of orders and of the journal, as rich-free ``render.view`` models.

One row per order: the status column is as wide as its longest word (``trigger pending``
never wraps), prices are at tick precision with Indian grouping, and every time is IST and
labelled. The broker's order-book times are already IST (``07-Dec-2026 09:15:02``); the
journal's are UTC ISO strings and are converted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from angelctl.broker.orders import BrokerOrder
from angelctl.orders.journal import Intent
from angelctl.render.fit import ColumnSpec
from angelctl.render.times import ist_clock
from angelctl.render.units import price, quantity
from angelctl.render.view import Cell, KeyValueView, Styled, TableView

STATUS_STYLE = {
    "complete": "green",
    "rejected": "red",
    "cancelled": "dim",
    "open": "yellow",
    "trigger pending": "yellow",
}


# Status words short enough for a narrow column: one row per order, never wrapped or cut.
SHORT_STATUS = {
    "trigger pending": "trig pend",
    "after market order req received": "AMO recd",
    "modify after market order req received": "AMO modify",
    "cancelled after market order": "AMO cxl",
    "validation pending": "validating",
    "open pending": "opening",
    "modify pending": "modifying",
    "cancel pending": "cancelling",
}


def short_status(status: str) -> str:
    return SHORT_STATUS.get(status, status)


def broker_clock(text: str) -> str:
    """The broker's IST ``07-Dec-2026 09:15:02`` as ``09:15:02`` (the day is today's)."""
    return text.rsplit(" ", 1)[-1] if text else "-"


def _px(value: Any, order: BrokerOrder) -> str:
    return price(value, order.exchange) if value else "-"


def order_view(order: BrokerOrder) -> KeyValueView:
    trigger = f" trigger {_px(order.trigger, order)}" if order.trigger else ""
    return KeyValueView(
        f"Order {order.order_id}",
        [
            ("Status", order.status + (f" — {order.text}" if order.text else "")),
            ("Symbol", f"{order.exchange}:{order.symbol}"),
            ("Side", order.side),
            ("Type", f"{order.order_type} {order.product} {order.variety}"),
            (
                "Quantity",
                f"{quantity(order.quantity)} (filled {quantity(order.filled)}, "
                f"open {quantity(order.unfilled)})",
            ),
            ("Price", _px(order.price, order) + trigger),
            ("Average", _px(order.average_price, order)),
            ("Tag", order.tag or "-"),
            ("Unique id", order.unique_order_id or "-"),
            ("Updated (IST)", order.updated or "-"),
        ],
    )


ORDER_COLUMNS = (
    ColumnSpec("time (IST)", "left", drop=4, kind="time"),
    ColumnSpec("order id", "left", kind="id"),
    ColumnSpec("status", "left", kind="symbol"),  # short words, never cut
    ColumnSpec("side", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("product", "left", drop=5),
    ColumnSpec("type", "left", drop=6),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("filled", drop=1, kind="quantity"),
    ColumnSpec("price", kind="price"),
    ColumnSpec("trigger", drop=3, kind="price"),
    ColumnSpec("avg", drop=2, kind="price"),
    ColumnSpec("tag", "left", drop=7),
)


def orders_table(orders: Iterable[BrokerOrder]) -> TableView:
    rows: list[list[Cell]] = [
        [
            broker_clock(o.updated),
            o.order_id,
            Styled(short_status(o.status), STATUS_STYLE.get(o.status, "")),
            o.side,
            o.symbol,
            o.product,
            o.order_type,
            quantity(o.quantity),
            quantity(o.filled),
            _px(o.price, o),
            _px(o.trigger, o),
            _px(o.average_price, o),
            o.tag,
        ]
        for o in orders
    ]
    return TableView("Orders", ORDER_COLUMNS, [rows])


JOURNAL_COLUMNS = (
    ColumnSpec("created (IST)", "left", kind="time"),
    ColumnSpec("intent", "left", drop=2, kind="id"),
    ColumnSpec("tag", "left", drop=1),
    ColumnSpec("state", "left"),
    ColumnSpec("order id", "left", kind="id"),
    ColumnSpec("order", "left", kind="symbol"),
)


def journal_table(intents: Iterable[Intent]) -> TableView:
    rows: list[list[Cell]] = []
    for i in intents:
        r = i.request
        qty = str(r.get("quantity"))
        what = (
            f"{r.get('side')} {quantity(int(qty)) if qty.isdigit() else qty} "
            f"{r.get('symbol')} {r.get('order_type')}"
        )
        rows.append(
            [
                ist_clock(i.created_at),
                i.intent_id,
                i.tag,
                i.state + (" (recovered)" if i.recovered else ""),
                i.order_id or "-",
                what,
            ]
        )
    return TableView("Order journal (newest first)", JOURNAL_COLUMNS, [rows])


def events_table(intent: Intent, events: list[dict[str, Any]]) -> TableView:
    columns = [
        ColumnSpec("at (IST)", "left", kind="time"),
        ColumnSpec("event", "left"),
        ColumnSpec("detail", "left"),
    ]
    rows: list[list[Cell]] = [
        [
            ist_clock(e["at"], millis=True),
            e["kind"],
            " ".join(f"{k}={v}" for k, v in e["detail"].items()),
        ]
        for e in events
    ]
    return TableView(f"Intent {intent.intent_id} (tag {intent.tag})", columns, [rows])
