"""Views of the portfolio: the day's trades, positions (with P&L totals) and holdings.

Pure functions from typed rows to rich renderables. An empty book renders as one line
("No positions."), not as an empty table. Profit is green and loss red, always signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.orders import Trade
from angelctl.broker.portfolio import Holdings, Position, PositionTotals
from angelctl.render.fit import ColumnSpec, fit_table
from angelctl.render.quotes import price, quantity, signed

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def _qty_at(qty: int, avg: Decimal) -> str:
    return f"{qty:,} @ {price(avg)}" if qty else "-"


def _net(qty: int) -> Text:
    from rich.text import Text

    style = "green" if qty > 0 else "red" if qty < 0 else "dim"
    return Text(f"{qty:+,}" if qty else "0", style=style)


def trades_table(trades: Sequence[Trade], *, width: int | None = None) -> Table | Text:
    from rich.text import Text

    if not trades:
        return Text("No trades today.")
    columns = [
        ColumnSpec("time", "left"),
        ColumnSpec("side", "left"),
        ColumnSpec("symbol", "left"),
        ColumnSpec("product", "left", drop=2),
        ColumnSpec("qty"),
        ColumnSpec("price"),
        ColumnSpec("value", drop=1),
        ColumnSpec("order id", "left", drop=3),
    ]
    rows = [
        [
            t.fill_time or "-",
            Text(t.side, style="green" if t.side == "BUY" else "red"),
            f"{t.exchange}:{t.symbol}",
            t.product,
            quantity(t.quantity),
            price(t.price),
            price(t.value),
            t.order_id,
        ]
        for t in trades
    ]
    bought = sum((t.value for t in trades if t.side == "BUY"), Decimal(0))
    sold = sum((t.value for t in trades if t.side != "BUY"), Decimal(0))
    caption = f"{len(trades)} fills · bought ₹{price(bought)} · sold ₹{price(sold)}"
    return fit_table("Trades (today)", columns, rows, width=width, caption=caption)


POSITION_COLUMNS = (
    ColumnSpec("symbol", "left"),
    ColumnSpec("product", "left", drop=6),
    ColumnSpec("net qty"),
    ColumnSpec("bought", drop=2),
    ColumnSpec("sold", drop=3),
    ColumnSpec("LTP", drop=1),
    ColumnSpec("realised", drop=5),
    ColumnSpec("unrealised", drop=4),
    ColumnSpec("P&L"),
)


def _position_row(p: Position) -> list[Any]:
    return [
        f"{p.exchange}:{p.symbol}",
        p.product,
        _net(p.net_qty),
        _qty_at(p.buy_qty, p.buy_avg),
        _qty_at(p.sell_qty, p.sell_avg),
        price(p.ltp),
        signed(p.realised),
        signed(p.unrealised),
        signed(p.pnl),
    ]


def positions_table(
    positions: Sequence[Position],
    totals: PositionTotals,
    *,
    show_flat: bool = False,
    width: int | None = None,
) -> Table | Text:
    """Open positions (and flat ones with ``show_flat``); the totals row covers every row."""
    from rich.text import Text

    if not positions:
        return Text("No positions.")
    shown = [p for p in positions if show_flat or p.is_open]
    rows = [_position_row(p) for p in shown]
    label = "total" if len(shown) == len(positions) else f"total (all {len(positions)})"
    total = [
        Text(label, style="bold"),
        "",
        "",
        "",
        "",
        "",
        signed(totals.realised),
        signed(totals.unrealised),
        signed(totals.pnl),
    ]
    notes = [f"{totals.open} open, {totals.flat} flat"]
    hidden = len(positions) - len(shown)
    if hidden:
        notes.append(f"{hidden} flat hidden (--all shows them)")
    return fit_table(
        "Positions",
        POSITION_COLUMNS,
        rows,
        [total],
        width=width,
        caption=" · ".join(notes),
        row_styles=[[None if p.is_open else "dim" for p in shown]],
    )


def holdings_table(holdings: Holdings, *, width: int | None = None) -> Table | Text:
    from rich.text import Text

    if not holdings.rows:
        return Text("No holdings.")
    with_t1 = any(h.t1_quantity for h in holdings.rows)
    columns = [
        ColumnSpec("symbol", "left"),
        ColumnSpec("qty"),
        ColumnSpec("T1", drop=5),
        ColumnSpec("avg", drop=2),
        ColumnSpec("LTP", drop=1),
        ColumnSpec("invested", drop=4),
        ColumnSpec("value", drop=3),
        ColumnSpec("P&L"),
        ColumnSpec("P&L %"),
    ]
    rows = [
        [
            f"{h.exchange}:{h.symbol}",
            quantity(h.quantity),
            quantity(h.t1_quantity) if h.t1_quantity else "-",
            price(h.average_price),
            price(h.ltp),
            price(h.invested),
            price(h.value),
            signed(h.pnl),
            signed(h.pnl_percent, "%"),
        ]
        for h in holdings.rows
    ]
    t = holdings.totals
    total = [
        Text("total", style="bold"),
        "",
        "",
        "",
        "",
        price(t.invested),
        price(t.value),
        signed(t.pnl),
        signed(t.pnl_percent, "%"),
    ]
    if not with_t1:
        columns.pop(2)
        rows = [r[:2] + r[3:] for r in rows]
        total = total[:2] + total[3:]
    return fit_table("Holdings", columns, rows, [total], width=width)
