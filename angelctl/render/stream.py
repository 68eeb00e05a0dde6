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
from datetime import datetime
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
from angelctl.render.stream_orders import ORDER_STATUS_WORDS, order_status_words, orders_panel

if TYPE_CHECKING:
    from rich.console import Group, RenderableType
    from rich.text import Text

__all__ = [
    "ORDER_STATUS_WORDS",
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
    "order_status_words",
    "order_update_json",
    "orders_panel",
    "render_stream",
    "render_summary",
    "status_line",
    "stream_body",
    "tick_json",
]


# (header, justify, drop): the highest drop is hidden first on a narrow terminal. The sparkline
# is the least important, then the age, the book sizes, volume and %; change, bid/ask and OI
# outrank all of them; the symbol and the LTP are never hidden.
STREAM_COLUMNS = (
    ColumnSpec("symbol", "left"),
    ColumnSpec("LTP"),
    ColumnSpec("change", drop=4),
    ColumnSpec("%", drop=7),
    ColumnSpec("bid qty", drop=9),
    ColumnSpec("bid", drop=2),
    ColumnSpec("ask", drop=2),
    ColumnSpec("ask qty", drop=9),
    ColumnSpec("volume", drop=8),
    ColumnSpec("OI", drop=3),
    ColumnSpec("trend", "left", drop=12),
    ColumnSpec("age", drop=10),
)

#: the columns each feed mode carries (Mode: 1 LTP, 2 QUOTE, 3 SNAP_QUOTE). LTP packets have no
#: close, so no change; QUOTE adds the close and volume but no book and no OI; SNAP_QUOTE has all.
_MODE_COLUMNS = {
    1: ("symbol", "LTP", "trend", "age"),
    2: ("symbol", "LTP", "change", "%", "volume", "trend", "age"),
    3: tuple(c.header for c in STREAM_COLUMNS),
}


def mode_columns(mode: int | None) -> list[int]:
    """Indexes into ``STREAM_COLUMNS`` a mode's packets fill (every column for ``None``)."""
    shown = _MODE_COLUMNS.get(mode or 3, _MODE_COLUMNS[3])
    return [i for i, c in enumerate(STREAM_COLUMNS) if c.header in shown]


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


def status_line(snapshot: StreamSnapshot, width: int | None = None) -> Text:
    """``connected · reconnects 0 · 1,234 ticks/s · 56,789 ticks · dropped 3 (bad frame 3) ·
    last tick 09:15:02 IST · Ctrl-C to stop``. Fitted to ``width`` by leaving out the least
    useful parts (the hint, the tick count, the reasons, the reconnects), never the state, the
    rate, the dropped count or the last tick's time."""
    status = snapshot.status
    state = status.state if status else "starting"
    rate = (
        status.ticks_per_second
        if status and status.ticks_per_second is not None
        else snapshot.ticks_per_second
    )
    dropped = status.dropped if status else {}
    total = sum(dropped.values())
    # (separator, text, style, priority): 0 always shown, higher numbers left out first
    parts: list[tuple[str, str, str, int]] = [
        ("", state, _state_style(state), 0),
        (" · ", f"reconnects {status.reconnects if status else 0}", "", 2),
        (" · ", f"{rate:,.0f} ticks/s", "", 0),
        (" · ", f"{snapshot.ticks:,} ticks", "", 4),
        (" · ", f"dropped {total:,}", "yellow" if total else "", 0),
    ]
    if total:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(dropped.items()) if n)
        parts.append((" ", f"({reasons})", "yellow", 3))
    if status and status.detail:
        parts.append((" · ", status.detail, "", 3))
    if snapshot.last_tick_ms:
        at = datetime.fromtimestamp(snapshot.last_tick_ms / 1000, IST)
        parts.append((" · ", f"last tick {at:%H:%M:%S} IST", "", 0))
    else:
        parts.append((" · ", "no tick yet", "dim", 0))
    parts.append((" · ", "Ctrl-C to stop", "dim", 5))
    return fitted_line(parts, width)


def fitted_line(parts: Sequence[tuple[str, str, str, int]], width: int | None) -> Text:
    """One status line of (separator, text, style, priority) parts: while it is wider than
    ``width``, the parts with the highest priority number are left out (0 is always kept)."""
    from rich.text import Text

    kept = list(parts)
    for level in sorted({p[3] for p in parts if p[3]}, reverse=True):
        if width is None or sum(len(sep) + len(text) for sep, text, _, _ in kept) <= width:
            break
        kept = [p for p in kept if p[3] != level]
    line = Text()
    for number, (sep, text, style, _) in enumerate(kept):
        line.append(sep if number else "")
        line.append(text, style=style)
    return line


def _state_style(state: str) -> str:
    lowered = state.lower()
    for words, style in _STATE_STYLES:
        if any(lowered.startswith(word) for word in words):
            return style
    return ""


def stream_body(
    snapshot: StreamSnapshot,
    *,
    now_monotonic: float,
    show_orders: bool,
    width: int | None = None,
    max_rows: int | None = None,
    mode: int | None = None,
) -> Group:
    """The ticks table (only the columns ``mode``'s packets carry, fitted to ``width``, at most
    ``max_rows`` rows and "+N more") and, with ``show_orders``, the order updates (one line
    when the table is cut short: the ticks have the screen first)."""
    from rich.console import Group

    rows = snapshot.rows if max_rows is None else snapshot.rows[:max_rows]
    keep = mode_columns(mode)
    columns = [STREAM_COLUMNS[i] for i in keep]
    cells = []
    for row in rows:
        full = _stream_row(row, now_monotonic, snapshot.spark_len)
        cells.append([full[i] for i in keep])
    left_out = len(snapshot.rows) - len(rows)
    caption = f"+{left_out:,} more (a taller terminal shows them)" if left_out else ""
    table = fit_table("Live feed", columns, cells, width=width, caption=caption, pairs=True)
    parts: list[RenderableType] = [table]
    if show_orders and left_out:  # the ticks come first on a short terminal: one line here
        from rich.text import Text

        latest = snapshot.orders[0] if snapshot.orders else None
        note = f"order updates: {snapshot.order_updates:,}"
        if latest is not None:
            note += f", latest {latest.order_id} {order_status_words(latest.status_code)}"
        parts.append(Text(note))
    elif show_orders:
        parts.append(orders_panel(snapshot.orders, width=width))
    return Group(*parts)


def render_stream(
    snapshot: StreamSnapshot,
    *,
    now_monotonic: float,
    show_orders: bool,
    width: int | None = None,
    max_rows: int | None = None,
    mode: int | None = None,
) -> Group:
    """The whole screen in one renderable: ``stream_body`` and the status line under it. The
    live view fits these two to the terminal with ``render.live.frame`` instead."""
    from rich.console import Group

    body = stream_body(
        snapshot,
        now_monotonic=now_monotonic,
        show_orders=show_orders,
        width=width,
        max_rows=max_rows,
        mode=mode,
    )
    return Group(body, status_line(snapshot, width))


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
