"""Views of orders and of the journal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from angelctl.broker.orders import BrokerOrder
from angelctl.orders.journal import Intent
from angelctl.render.tables import key_value_table

if TYPE_CHECKING:
    from rich.table import Table

STATUS_STYLE = {
    "complete": "green",
    "rejected": "red",
    "cancelled": "dim",
    "open": "yellow",
    "trigger pending": "yellow",
}


def order_view(order: BrokerOrder) -> Table:
    return key_value_table(
        f"Order {order.order_id}",
        [
            ("Status", escape(order.status + (f" — {order.text}" if order.text else ""))),
            ("Symbol", f"{order.exchange}:{order.symbol}"),
            ("Side", order.side),
            ("Type", f"{order.order_type} {order.product} {order.variety}"),
            ("Quantity", f"{order.quantity} (filled {order.filled}, open {order.unfilled})"),
            ("Price", f"{order.price}" + (f" trigger {order.trigger}" if order.trigger else "")),
            ("Average", f"{order.average_price}"),
            ("Tag", escape(order.tag) or "-"),
            ("Unique id", order.unique_order_id or "-"),
            ("Updated", order.updated or "-"),
        ],
    )


def orders_table(orders: Iterable[BrokerOrder]) -> Table:
    from rich.table import Table

    table = Table(title="Orders", title_justify="left")
    for column in ("order id", "status", "side", "symbol", "qty", "filled", "price", "type", "tag"):
        table.add_column(column, no_wrap=column in ("order id", "symbol"))
    for o in orders:
        table.add_row(
            o.order_id,
            f"[{STATUS_STYLE.get(o.status, '')}]{o.status}[/]"
            if o.status in STATUS_STYLE
            else o.status,
            o.side,
            o.symbol,
            str(o.quantity),
            str(o.filled),
            str(o.price),
            o.order_type,
            escape(o.tag),
        )
    return table


def journal_table(intents: Iterable[Intent]) -> Table:
    from rich.table import Table

    table = Table(title="Order journal (newest first)", title_justify="left")
    for column in ("created (UTC)", "intent", "tag", "state", "order id", "order"):
        table.add_column(column, no_wrap=column != "order")
    for i in intents:
        r = i.request
        what = f"{r.get('side')} {r.get('quantity')} {r.get('symbol')} {r.get('order_type')}"
        table.add_row(
            i.created_at[:19].replace("T", " "),
            escape(i.intent_id[:12]),  # the operator's --intent-id: text, never markup
            escape(i.tag),
            i.state + (" (recovered)" if i.recovered else ""),
            i.order_id or "-",
            what,
        )
    return table


def events_table(intent: Intent, events: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    title = escape(f"Intent {intent.intent_id} (tag {intent.tag})")
    table = Table(title=title, title_justify="left")
    for column in ("at (UTC)", "event", "detail"):
        table.add_column(column)
    for e in events:
        table.add_row(
            e["at"][:23].replace("T", " "),
            e["kind"],
            escape(" ".join(f"{k}={v}" for k, v in e["detail"].items())),
        )
    return table
