"""The day's P&L on screen: the one-line footer of ``positions`` and the ``positions --watch``
screen (summary by segment, the positions table, a status line).

Pure functions of their arguments (``portfolio_pnl.DayPnl``, position rows, times): no I/O, no
clock. Money is written in rupees with Indian grouping (``₹1,23,456.50``), always signed for
P&L so the direction survives ``NO_COLOR``; profit green, loss red.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.portfolio import Position, PositionTotals
from angelctl.clock import IST
from angelctl.portfolio_pnl import DayPnl
from angelctl.render import units
from angelctl.render.fit import ColumnSpec, fit_table

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def inr(value: Decimal, *, signed: bool = False) -> str:
    """``Decimal('-123456.5')`` → ``-₹1,23,456.50`` (``+₹…`` for a gain with ``signed``)."""
    text = units.inr(value)
    return "+" + text if signed and text != "₹0.00" and not text.startswith("-") else text


def _money(value: Decimal) -> Text:
    from rich.text import Text

    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(inr(value, signed=True), style=style)


def pnl_line(day: DayPnl) -> Text:
    """``Day P&L +₹1,250.00 (realised +₹1,000.00 · unrealised +₹250.00) · NFO +₹900.00 ·
    NSE +₹350.00``: the footer under ``positions``."""
    from rich.text import Text

    line = Text("Day P&L ")
    line.append_text(_money(day.total))
    line.append(" (realised ")
    line.append_text(_money(day.realised))
    line.append(" · unrealised ")
    line.append_text(_money(day.unrealised))
    line.append(")")
    if len(day.segments) > 1:
        for segment in day.segments:
            line.append(f" · {segment.segment} ")
            line.append_text(_money(segment.total))
    return line


SUMMARY_COLUMNS = (
    ColumnSpec("segment", "left"),
    ColumnSpec("open", drop=1),
    ColumnSpec("realised"),
    ColumnSpec("unrealised"),
    ColumnSpec("total"),
)


def pnl_summary(day: DayPnl, *, width: int | None = None) -> Table:
    """Realised, unrealised and total P&L by segment, with the day's total under them."""
    from rich.text import Text

    rows = [
        [s.segment, str(s.open), _money(s.realised), _money(s.unrealised), _money(s.total)]
        for s in day.segments
    ]
    total = [
        Text("total", style="bold"),
        str(day.open),
        _money(day.realised),
        _money(day.unrealised),
        _money(day.total),
    ]
    return fit_table("Day P&L", SUMMARY_COLUMNS, rows, [total], width=width)


def watch_body(
    positions: Sequence[Position],
    totals: PositionTotals,
    day: DayPnl,
    *,
    width: int | None = None,
    max_rows: int | None = None,
    show_flat: bool = False,
) -> Any:
    """The ``positions --watch`` screen above its status line: the P&L summary, then the
    positions (the first ``max_rows`` of them and "+N more" on a short terminal)."""
    from rich.console import Group
    from rich.text import Text

    from angelctl.render.portfolio import positions_table

    shown = [p for p in positions if show_flat or p.is_open]
    rows = shown if max_rows is None else shown[:max_rows]
    parts: list[Any] = [pnl_summary(day, width=width)]
    if positions:
        parts.append(positions_table(rows, totals, show_flat=True, width=width))
    else:
        parts.append(Text("No positions."))
    if len(rows) < len(shown):
        parts.append(Text(f"+{len(shown) - len(rows):,} more (a taller terminal shows them)"))
    return Group(*parts)


def watch_status(
    *,
    fetched_at: datetime | None,
    interval: float,
    feed_state: str,
    last_tick_at: datetime | None,
    error: str = "",
    width: int | None = None,
) -> Any:
    """``positions 14:05:03 IST · every 5 s · feed connected · last tick 14:05:07 IST ·
    Ctrl-C to stop``, fitted to ``width`` (the hint goes first); a failed refresh above it."""
    from rich.console import Group
    from rich.text import Text

    from angelctl.render.stream import fitted_line

    fetched = f"{fetched_at.astimezone(IST):%H:%M:%S} IST" if fetched_at else "not yet"
    tick = f"{last_tick_at.astimezone(IST):%H:%M:%S} IST" if last_tick_at else "none yet"
    parts = [
        ("", f"positions {fetched}", "", 0),
        (" · ", f"every {interval:g} s", "dim", 2),
        (" · ", f"feed {feed_state}", "", 0),
        (" · ", f"last tick {tick}", "", 1),
        (" · ", "Ctrl-C to stop", "dim", 3),
    ]
    status = fitted_line(parts, width)
    if error:
        return Group(Text(f"last refresh failed: {error}", style="red"), status)
    return status
