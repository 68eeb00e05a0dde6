"""Views of the portfolio: the day's trades, positions (with P&L totals) and holdings.

Pure functions from typed rows to rich-free ``render.view`` models. An empty book renders as
one line ("No positions."), not as an empty table. Profit is green and loss red, always
signed. Rupees and quantities use Indian grouping; prices are at tick precision. Positions
show the product and both averages (for a short the sold average is the one that matters).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from angelctl.broker.portfolio import Holdings, Position, PositionTotals
from angelctl.broker.trades import Trade
from angelctl.render.fit import ColumnSpec
from angelctl.render.units import inr, price, quantity, signed_price
from angelctl.render.view import Cell, Stack, Styled, TableView, line


def signed(value: Decimal | None, suffix: str = "") -> Styled:
    """``+1,250.50`` / ``-0.52%`` coloured by direction."""
    style = "" if not value else "green" if value > 0 else "red"
    return Styled(signed_price(value, suffix), style)


def _net(qty: int) -> Styled:
    style = "green" if qty > 0 else "red" if qty < 0 else "dim"
    return Styled(("+" if qty > 0 else "") + quantity(qty), style)


def _avg(qty: int, avg: Decimal, exchange: str) -> str:
    return price(avg, exchange) if qty else "-"


TRADE_COLUMNS = (
    ColumnSpec("time (IST)", "left", kind="time"),
    ColumnSpec("side", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("product", "left", drop=2),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("price", kind="price"),
    ColumnSpec("value", drop=1, kind="money"),
    ColumnSpec("order id", "left", drop=3, kind="id"),
)


def trades_table(trades: Sequence[Trade], *, width: int | None = None) -> TableView | Stack:
    """``width`` is accepted for the callers' sake: the table fits itself when drawn."""
    if not trades:
        return line("No trades today.")
    rows: list[list[Cell]] = [
        [
            t.fill_time.strftime("%H:%M:%S") if t.fill_time else t.fill_time_text or "-",
            Styled(t.side, "green" if t.side == "BUY" else "red"),
            f"{t.exchange}:{t.symbol}",
            t.product,
            quantity(t.quantity),
            price(t.price, t.exchange),
            price(t.value),
            t.order_id,
        ]
        for t in trades
    ]
    bought = sum((t.value for t in trades if t.side == "BUY"), Decimal(0))
    sold = sum((t.value for t in trades if t.side != "BUY"), Decimal(0))
    caption = f"{len(trades)} fills · bought {inr(bought)} · sold {inr(sold)}"
    return TableView("Trades (today)", TRADE_COLUMNS, [rows], caption=caption)


POSITION_COLUMNS = (
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("product", "left", drop=3),
    ColumnSpec("net qty", kind="quantity"),
    ColumnSpec("buy qty", drop=5, kind="quantity"),
    ColumnSpec("buy avg", drop=2, kind="price"),
    ColumnSpec("sell qty", drop=6, kind="quantity"),
    ColumnSpec("sell avg", drop=2, kind="price"),
    ColumnSpec("LTP", drop=4, kind="price"),
    ColumnSpec("realised", drop=8, kind="money"),
    ColumnSpec("unrealised", drop=7, kind="money"),
    ColumnSpec("P&L", kind="money"),
)


def _position_row(p: Position) -> list[Cell]:
    return [
        f"{p.exchange}:{p.symbol}",
        p.product,
        _net(p.net_qty),
        quantity(p.buy_qty) if p.buy_qty else "-",
        _avg(p.buy_qty, p.buy_avg, p.exchange),
        quantity(p.sell_qty) if p.sell_qty else "-",
        _avg(p.sell_qty, p.sell_avg, p.exchange),
        price(p.ltp, p.exchange),
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
) -> TableView | Stack:
    """Open positions (and flat ones with ``show_flat``); the totals row covers every row."""
    if not positions:
        return line("No positions.")
    shown = [p for p in positions if show_flat or p.is_open]
    rows = [_position_row(p) for p in shown]
    label = "total" if len(shown) == len(positions) else f"total (all {len(positions)})"
    total: list[Cell] = [Styled(label, "bold"), *[""] * 7]
    total += [signed(totals.realised), signed(totals.unrealised), signed(totals.pnl)]
    notes = [f"{totals.open} open, {totals.flat} flat"]
    hidden = len(positions) - len(shown)
    if hidden:
        notes.append(f"{hidden} flat hidden (--all shows them)")
    return TableView(
        "Positions",
        POSITION_COLUMNS,
        [rows, [total]],
        caption=" · ".join(notes),
        row_styles=[[None if p.is_open else "dim" for p in shown]],
    )


HOLDING_COLUMNS = (
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("T1", drop=5, kind="quantity"),
    ColumnSpec("avg", drop=2, kind="price"),
    ColumnSpec("LTP", drop=1, kind="price"),
    ColumnSpec("invested", drop=4, kind="money"),
    ColumnSpec("value", drop=3, kind="money"),
    ColumnSpec("P&L", kind="money"),
    ColumnSpec("P&L %"),
)


def holdings_table(holdings: Holdings, *, width: int | None = None) -> TableView | Stack:
    if not holdings.rows:
        return line("No holdings.")
    with_t1 = any(h.t1_quantity for h in holdings.rows)
    rows: list[list[Cell]] = [
        [
            f"{h.exchange}:{h.symbol}",
            quantity(h.quantity),
            quantity(h.t1_quantity) if h.t1_quantity else "-",
            price(h.average_price, h.exchange),
            price(h.ltp, h.exchange),
            price(h.invested),
            price(h.value),
            signed(h.pnl),
            signed(h.pnl_percent, "%"),
        ]
        for h in holdings.rows
    ]
    t = holdings.totals
    total: list[Cell] = [Styled("total", "bold"), "", "", "", "", price(t.invested)]
    total += [price(t.value), signed(t.pnl), signed(t.pnl_percent, "%")]
    columns = list(HOLDING_COLUMNS)
    if not with_t1:
        columns.pop(2)
        rows = [r[:2] + r[3:] for r in rows]
        total = total[:2] + total[3:]
    return TableView("Holdings", columns, [rows, [total]])
