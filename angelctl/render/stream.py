"""The ``stream`` screen: a model fed by the feed thread, and pure views of its snapshots.

Two halves with one seam between them (this module re-exports both, so callers import the
screen's whole surface from here):

- ``StreamModel`` (``render.stream_model``) is the only mutable state. The feed thread calls
  ``on_tick`` (up to ~10 000 ticks/s over ~1 000 tokens), the order-update thread
  ``on_order_update``, the client's supervisor ``on_status``; the repaint loop calls
  ``snapshot()`` a few times a second.
- ``render_stream``, ``render_summary`` (here), ``tick_json`` and ``order_update_json``
  (``render.stream_json``) are pure functions of their arguments: no I/O, no clock, no locks.

Entry points: ``StreamModel`` (``on_tick``, ``on_order_update``, ``on_status``, ``snapshot``,
``summary``); ``StreamStatus`` (``StreamStatus.of(client.snapshot())``); ``render_stream``,
``render_summary``; ``tick_json``, ``order_update_json``, ``StreamSummary.as_dict``. What the
callers must supply is spelled out by the ``OrderUpdateLike`` and ``LinkStatsLike`` protocols.
The repaint loop should pass ``max_rows`` (about the terminal's height): rendering a thousand
rows costs rich ~0.5 s, fifty rows ~30 ms.

Invariants:
- ``on_tick`` is O(1) and formats nothing: under one lock it stores the tick, appends its raw
  integer LTP to a bounded deque and counts. Every conversion to rupees or text happens in the
  views, on the repaint thread, at the repaint rate, never per tick.
- ``snapshot()`` copies under the lock and returns frozen values; ticks are never mutated once
  built (``feed.ticks``), so a snapshot may share them.
- A field the tick's mode does not carry is shown blank, never as a stale or made-up value. The
  one exception is the previous close: it is fixed for the day, so a QUOTE/SNAP tick's close is
  kept for the change columns of later LTP-mode ticks of the same token.
- Direction colours and signs: the LTP is green/red against the previous different LTP (the
  close until the price first moves); change, % and the sparkline against the previous close.
  Signs are always written, so the direction survives ``NO_COLOR`` (which the console applies;
  nothing here inspects the environment).
- ``tick_json`` has one key set per record type (keys a mode does not carry are ``null``);
  prices are strings of exact decimals with the segment's fixed places (2, or 7 for cde_fo),
  like every other ``--json`` price in angelctl.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.market import change_against
from angelctl.clock import IST
from angelctl.feed.ticks import (
    DepthLevel,
    QuoteTick,
    SnapQuoteTick,
)
from angelctl.render.fit import ColumnSpec, fit_table
from angelctl.render.quotes import direction_style, price, quantity, signed, sparkline
from angelctl.render.stream_json import exact_price, order_update_json, tick_json
from angelctl.render.stream_model import (
    ORDER_UPDATES_KEPT,
    RATE_WINDOW_S,
    SPARK_LENGTH,
    LinkStatsLike,
    OrderUpdateLike,
    RowSnapshot,
    StreamModel,
    StreamSnapshot,
    StreamStatus,
    StreamSummary,
    TokenKey,
)

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "ORDER_UPDATES_KEPT",
    "RATE_WINDOW_S",
    "SPARK_LENGTH",
    "LinkStatsLike",
    "OrderUpdateLike",
    "RowSnapshot",
    "StreamModel",
    "StreamSnapshot",
    "StreamStatus",
    "StreamSummary",
    "TokenKey",
    "change_vs_close",
    "exact_price",
    "format_age",
    "order_update_json",
    "orders_panel",
    "render_stream",
    "render_summary",
    "status_line",
    "tick_json",
]


STREAM_COLUMNS = (
    ColumnSpec("symbol", "left"),
    ColumnSpec("LTP"),
    ColumnSpec("change", drop=5),
    ColumnSpec("%", drop=3),
    ColumnSpec("bid qty", drop=10),
    ColumnSpec("bid", drop=6),
    ColumnSpec("ask", drop=6),
    ColumnSpec("ask qty", drop=10),
    ColumnSpec("volume", drop=8),
    ColumnSpec("OI", drop=9),
    ColumnSpec("trend", "left", drop=4),
    ColumnSpec("age", drop=1),
)

# by the start of the state text, so "reconnecting" is not read as "connected"
_STATE_STYLES = (
    (("connected", "subscribed", "streaming", "open"), "green"),
    (("idle", "starting", "connecting", "reconnecting", "backoff", "waiting"), "yellow"),
    (("closed", "disconnected", "failed", "error"), "red"),
    (("stopped",), "dim"),
)


def format_age(seconds: float | None) -> str:
    """``0.3s`` under ten seconds, then ``12s``, ``4m``, ``2h``; ``—`` before the first tick."""
    if seconds is None:
        return "—"
    seconds = max(seconds, 0.0)
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


def change_vs_close(row: RowSnapshot) -> tuple[Decimal | None, Decimal | None]:
    """Change and % (two places) of the latest LTP against the previous close; ``None`` when
    there is no LTP or no close (LTP mode before any QUOTE tick, or a close of 0)."""
    tick = row.tick
    if tick is None or not row.close_raw:
        return None, None
    return change_against(
        Decimal(tick.ltp_raw) / tick.divisor, Decimal(row.close_raw) / tick.divisor
    )


def _best(levels: Sequence[DepthLevel]) -> DepthLevel | None:
    if levels and (levels[0].price_raw or levels[0].quantity):
        return levels[0]
    return None


def _stream_row(row: RowSnapshot, now_monotonic: float, spark_len: int) -> list[Any]:
    from rich.text import Text

    tick = row.tick
    change, percent = change_vs_close(row)
    age = format_age(None if row.last_at is None else now_monotonic - row.last_at)
    if tick is None:
        ltp: Text | str = ""
    else:
        move = row.direction or (
            0 if change is None else (1 if change > 0 else -1 if change else 0)
        )
        style = "green" if move > 0 else "red" if move < 0 else ""
        ltp = Text(price(Decimal(tick.ltp_raw) / tick.divisor), style=style)
    bids: Sequence[DepthLevel] = ()
    asks: Sequence[DepthLevel] = ()
    divisor = tick.divisor if tick is not None else row.depth.divisor if row.depth else 1
    if isinstance(tick, SnapQuoteTick):
        bids, asks = tick.bids, tick.asks
    elif row.depth is not None:
        bids, asks, divisor = row.depth.bids, row.depth.asks, row.depth.divisor
    bid, ask = _best(bids), _best(asks)
    trend = sparkline(row.prices).ljust(spark_len) if row.prices else ""
    return [
        row.symbol,
        ltp,
        signed(change) if change is not None else "",
        signed(percent, "%") if percent is not None else "",
        quantity(bid.quantity) if bid else "",
        price(Decimal(bid.price_raw) / divisor) if bid else "",
        price(Decimal(ask.price_raw) / divisor) if ask else "",
        quantity(ask.quantity) if ask else "",
        quantity(tick.volume) if isinstance(tick, QuoteTick) else "",
        quantity(tick.open_interest) if isinstance(tick, SnapQuoteTick) else "",
        Text(trend, style=direction_style(change)),
        age,
    ]


def status_line(snapshot: StreamSnapshot) -> Text:
    """``connected · reconnects 0 · 1,234 ticks/s · 56,789 ticks · dropped 3 (bad frame 3)``."""
    from rich.text import Text

    status = snapshot.status
    line = Text()
    state = status.state if status else "starting"
    line.append(state, style=_state_style(state))
    rate = (
        status.ticks_per_second
        if status and status.ticks_per_second is not None
        else snapshot.ticks_per_second
    )
    line.append(f" · reconnects {status.reconnects if status else 0}")
    line.append(f" · {rate:,.0f} ticks/s · {snapshot.ticks:,} ticks")
    dropped = status.dropped if status else {}
    total = sum(dropped.values())
    if total:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(dropped.items()) if n)
        line.append(f" · dropped {total:,} ({reasons})", style="yellow")
    else:
        line.append(" · dropped 0")
    if status and status.detail:
        line.append(f" · {status.detail}")
    line.append(" · Ctrl-C to stop", style="dim")
    return line


def _state_style(state: str) -> str:
    lowered = state.lower()
    for words, style in _STATE_STYLES:
        if any(lowered.startswith(word) for word in words):
            return style
    return ""


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


def orders_panel(orders: Sequence[OrderUpdateLike], *, width: int | None = None) -> Table:
    """The last order updates, newest first, fitted to ``width`` like the ticks table."""
    from rich.text import Text

    from angelctl.render.orders import STATUS_STYLE

    rows = [
        [
            f"{u.updated_at.astimezone(IST):%H:%M:%S}" if u.updated_at else "",
            u.order_id,
            Text(f"{u.status_code} {u.status}", style=STATUS_STYLE.get(u.status.lower(), "")),
            u.side,
            f"{u.exchange}:{u.symbol}" if u.exchange else u.symbol,
            f"{u.filled:,}/{u.quantity:,}",
            price(u.average_price) if u.average_price else "",
            u.text,
        ]
        for u in orders
    ]
    caption = "" if orders else "no order updates yet"
    return fit_table("Order updates", ORDER_COLUMNS, rows, width=width, caption=caption)


def render_stream(
    snapshot: StreamSnapshot,
    *,
    now_monotonic: float,
    show_orders: bool,
    width: int | None = None,
    max_rows: int | None = None,
) -> Group:
    """The whole screen: the ticks table (fitted to ``width``), the status line, and the order
    updates when ``show_orders``. ``max_rows`` caps the table (say, the terminal's height) and
    says how many rows it left out."""
    from rich.console import Group

    rows = snapshot.rows if max_rows is None else snapshot.rows[:max_rows]
    cells = [_stream_row(row, now_monotonic, snapshot.spark_len) for row in rows]
    left_out = len(snapshot.rows) - len(rows)
    caption = f"… {left_out:,} more not shown" if left_out else ""
    table = fit_table("Live feed", STREAM_COLUMNS, cells, width=width, caption=caption)
    parts: list[RenderableType] = [table, status_line(snapshot)]
    if show_orders:
        parts.append(orders_panel(snapshot.orders, width=width))
    return Group(*parts)


def render_summary(summary: StreamSummary) -> Any:
    """The end-of-stream lines: duration, ticks, rate, reconnects, dropped frames by reason."""
    from angelctl.render.tables import key_value_table

    rows = [
        ("Duration", f"{summary.duration_s:,.1f} s"),
        ("Ticks", f"{summary.ticks:,}"),
        ("Ticks/s", f"{summary.ticks_per_second:,.1f}"),
        ("Order updates", f"{summary.order_updates:,}"),
        ("Reconnects", f"{summary.reconnects:,}"),
        ("Dropped frames", f"{sum(summary.dropped.values()):,}"),
    ]
    rows += [(f"  {reason}", f"{n:,}") for reason, n in sorted(summary.dropped.items())]
    return key_value_table("Stream summary", rows)


# --- NDJSON ------------------------------------------------------------------------------------
