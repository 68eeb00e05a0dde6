"""Views of GTT rules: one rule as a key/value table, a list as a table (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from angelctl.broker.gtt import GttRule
from angelctl.render.fit import ColumnSpec
from angelctl.render.tables import key_value_table
from angelctl.render.times import ist_stamp
from angelctl.render.units import price, quantity
from angelctl.render.view import Cell, KeyValueView, Styled, TableView

STATUS_STYLE = {
    "NEW": "yellow",
    "ACTIVE": "yellow",
    "SENTTOEXCHANGE": "green",
    "CANCELLED": "dim",
}


def _px(value: Decimal, rule: GttRule) -> str:
    return price(value, rule.exchange)


def rule_view(rule: GttRule) -> KeyValueView:
    return key_value_table(
        f"GTT rule {rule.rule_id}",
        [
            ("Status", Styled(rule.status, STATUS_STYLE.get(rule.status, ""))),
            ("Symbol", f"{rule.exchange}:{rule.symbol}"),
            ("When", f"LTP reaches {_px(rule.trigger, rule)}"),
            (
                "Then",
                f"{rule.side} {quantity(rule.quantity)} LIMIT @ {_px(rule.price, rule)} "
                f"{rule.product}",
            ),
            ("Disclosed", quantity(rule.disclosed_quantity)),
            ("Created", ist_stamp(rule.created)),
            ("Updated", ist_stamp(rule.updated)),
            ("Expires", ist_stamp(rule.expires)),
        ],
    )


RULE_COLUMNS = (
    ColumnSpec("id", "left", kind="id"),
    ColumnSpec("status", "left"),
    ColumnSpec("side", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("trigger", kind="price"),
    ColumnSpec("price", kind="price"),
    ColumnSpec("product", "left", drop=1),
)


def rules_table(rules: Iterable[GttRule]) -> TableView:
    rows: list[list[Cell]] = [
        [
            r.rule_id,
            Styled(r.status, STATUS_STYLE.get(r.status, "")),
            r.side,
            r.symbol,
            quantity(r.quantity),
            _px(r.trigger, r),
            _px(r.price, r),
            r.product,
        ]
        for r in rules
    ]
    return TableView("GTT rules", RULE_COLUMNS, [rows])
