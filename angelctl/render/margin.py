"""The screen of ``angelctl margin``: each order's margin alone (a table), then the basket's
together — its components, the legs alone and the hedge benefit between the two, the funds and
whether the basket fits, and the estimated charges if asked (``field  value`` lines).

Invariants: rupees in lakh/crore grouping (``render.units.inr``); lots are whole numbers of the
contract's lot size; the table goes through ``render.view`` (plain when piped); the last line
always says nothing was placed.
"""

from __future__ import annotations

from angelctl.orders.margin_basket import BasketMargin, LegMargin
from angelctl.render.confirm import lots_text
from angelctl.render.fit import ColumnSpec
from angelctl.render.units import group_indian, inr
from angelctl.render.view import Cell, KeyValueView, Stack, Styled, TableView

COLUMNS = (
    ColumnSpec("line", drop=5, kind="quantity"),
    ColumnSpec("side", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("lots", "left", drop=3),
    ColumnSpec("product", "left", drop=4),
    ColumnSpec("margin alone", kind="money"),
    ColumnSpec("span", drop=2, kind="money"),
    ColumnSpec("premium", drop=1, kind="money"),
)


def _row(leg: LegMargin) -> list[str]:
    r, m = leg.order.request, leg.margin
    c = r.contract
    return [
        str(leg.order.line) if leg.order.line else "",
        r.side,
        f"{c.exchange}:{c.symbol}",
        group_indian(r.quantity),
        lots_text(r) if c.lot_size > 1 else "",
        r.product,
        inr(m.total),
        inr(m.span),
        inr(m.options_premium),
    ]


def margin_view(result: BasketMargin) -> Stack:
    """The table of legs, then the basket's figures as ``field  value`` lines."""
    b = result.basket
    rows: list[tuple[str, Cell]] = [
        ("basket margin", inr(b.total)),
        ("  SPAN", inr(b.span)),
        ("  margin benefit", inr(-b.benefit)),
        ("  option premium", inr(b.options_premium)),
        ("  cash margin", inr(b.delivery + b.non_nfo)),
    ]
    if len(result.legs) > 1:
        benefit = result.hedge_benefit
        rows += [
            ("legs alone", inr(result.sum_of_legs)),
            ("hedge benefit", Styled(inr(benefit), "green" if benefit > 0 else "")),
        ]
    rows.append(("available funds", inr(result.available)))
    if result.fits:
        rows.append(("fits", Styled("yes", "green")))
    else:
        short = b.total - result.available
        rows.append(("fits", Styled(f"no: {inr(short)} short", "bold red")))
    if result.charges is not None:
        c = result.charges
        rows.append(
            ("estimated charges", f"{inr(c.total)} on a trade value of {inr(c.trade_value)}")
        )
    table = TableView("Margin required", COLUMNS, [[_row(leg) for leg in result.legs]])
    return Stack([table, KeyValueView("", rows), "Nothing was placed."])
