"""Views of GTT rules: one rule as a key/value table, a list as a table (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from angelctl.broker.gtt import GttRule
from angelctl.render.tables import key_value_table

if TYPE_CHECKING:
    from rich.table import Table

STATUS_STYLE = {
    "NEW": "yellow",
    "ACTIVE": "yellow",
    "SENTTOEXCHANGE": "green",
    "CANCELLED": "dim",
}


def _status(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def rule_view(rule: GttRule) -> Table:
    return key_value_table(
        f"GTT rule {rule.rule_id}",
        [
            ("Status", rule.status),
            ("Symbol", f"{rule.exchange}:{rule.symbol}"),
            ("When", f"LTP reaches {rule.trigger}"),
            ("Then", f"{rule.side} {rule.quantity} LIMIT @ {rule.price} {rule.product}"),
            ("Disclosed", str(rule.disclosed_quantity)),
            ("Created", rule.created or "-"),
            ("Updated", rule.updated or "-"),
            ("Expires", rule.expires or "-"),
        ],
    )


def rules_table(rules: Iterable[GttRule]) -> Table:
    from rich.table import Table

    table = Table(title="GTT rules", title_justify="left")
    for column in ("id", "status", "side", "symbol", "qty", "trigger", "price", "product"):
        table.add_column(column, no_wrap=column in ("id", "symbol"))
    for r in rules:
        table.add_row(
            r.rule_id,
            _status(r.status),
            r.side,
            r.symbol,
            str(r.quantity),
            str(r.trigger),
            str(r.price),
            r.product,
        )
    return table
