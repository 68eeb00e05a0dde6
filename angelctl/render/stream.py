"""The ``stream`` screen: a model fed by the feed thread, and pure views of its snapshots.

Two halves with one seam between them:

- ``StreamModel`` is the only mutable state. The feed thread calls ``on_tick`` (up to ~10 000
  ticks/s over ~1 000 tokens), the order-update thread ``on_order_update``, the client's
  supervisor ``on_status``; the repaint loop calls ``snapshot()`` a few times a second.
- ``render_stream``, ``render_summary``, ``tick_json`` and ``order_update_json`` are pure
  functions of their arguments: no I/O, no clock, no locks.

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

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from angelctl.broker.market import change_against
from angelctl.clock import IST, Clock, SystemClock
from angelctl.feed.ticks import (
    DepthLevel,
    DepthTick,
    ExchangeType,
    LtpTick,
    Mode,
    QuoteTick,
    SnapQuoteTick,
    Tick,
)
from angelctl.records import record
from angelctl.render.fit import ColumnSpec, fit_table
from angelctl.render.quotes import direction_style, price, quantity, signed, sparkline

SPARK_LENGTH = 20
ORDER_UPDATES_KEPT = 10
#: snapshots closer together than this keep the previous ticks/s instead of a noisy new one
RATE_WINDOW_S = 0.5

TokenKey = tuple[int, str]  # (exchange_type, token)


class OrderUpdateLike(Protocol):
    """What the views need of an order update (``feed.orderupdates.OrderUpdate`` has it)."""

    @property
    def order_id(self) -> str: ...
    @property
    def status_code(self) -> str: ...  # "AB05"
    @property
    def status(self) -> str: ...  # "complete"
    @property
    def symbol(self) -> str: ...  # trading symbol
    @property
    def exchange(self) -> str: ...
    @property
    def side(self) -> str: ...  # BUY / SELL
    @property
    def quantity(self) -> int: ...
    @property
    def filled(self) -> int: ...
    @property
    def average_price(self) -> Decimal: ...
    @property
    def text(self) -> str: ...  # the broker's reason, e.g. for a rejection
    @property
    def updated_at(self) -> datetime | None: ...


class LinkStatsLike(Protocol):
    """The parts of ``feed.connection.LinkStats`` the status line uses (not imported: the views
    stay free of the websocket stack)."""

    @property
    def state(self) -> str: ...  # FeedState is a StrEnum
    @property
    def reconnects(self) -> int: ...
    @property
    def ticks_per_second(self) -> float: ...
    @property
    def dropped(self) -> Mapping[str, int]: ...


@record
class StreamStatus:
    """The feed client's health, as the status line shows it.

    ``state`` is the client's state text ("connected", "backoff", "failed", …); ``dropped``
    counts frames the client discarded, by reason; ``detail`` is an optional note (the cause of
    the last drop, the backoff delay). ``ticks_per_second`` ``None`` means "use the model's own
    measurement".
    """

    state: str
    reconnects: int = 0
    ticks_per_second: float | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)
    detail: str = ""

    @classmethod
    def of(cls, stats: LinkStatsLike, detail: str = "") -> StreamStatus:
        """From a client's ``snapshot()`` (``LinkStats``), copying the counters."""
        return cls(
            state=str(stats.state),
            reconnects=stats.reconnects,
            ticks_per_second=stats.ticks_per_second,
            dropped=dict(stats.dropped),
            detail=detail,
        )

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


@record
class RowSnapshot:
    key: TokenKey
    symbol: str
    tick: LtpTick | None  # the latest LTP/QUOTE/SNAP tick
    depth: DepthTick | None  # the latest legacy DEPTH-20 tick, if the token has that mode
    close_raw: int | None  # previous close from the latest QUOTE/SNAP tick; 0 counts as unknown
    direction: int  # +1 / -1 against the previous different LTP, 0 before the price moves
    prices: tuple[int, ...]  # recent raw LTPs, oldest first
    ticks: int
    last_at: float | None  # monotonic time of the last tick


@record
class StreamSnapshot:
    rows: tuple[RowSnapshot, ...]
    orders: tuple[OrderUpdateLike, ...]  # newest first
    status: StreamStatus | None
    ticks: int
    order_updates: int
    ticks_per_second: float  # measured by the model between snapshots
    started_at: float
    taken_at: float
    spark_len: int


@record
class StreamSummary:
    """The end-of-stream figures (``StreamModel.summary`` builds one)."""

    duration_s: float
    ticks: int
    order_updates: int = 0
    reconnects: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)

    @property
    def ticks_per_second(self) -> float:
        return self.ticks / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "summary",
            "duration_s": round(self.duration_s, 3),
            "ticks": self.ticks,
            "ticks_per_second": round(self.ticks_per_second, 1),
            "order_updates": self.order_updates,
            "reconnects": self.reconnects,
            "dropped": dict(sorted(self.dropped.items())),
        }


class _Row:
    __slots__ = ("close_raw", "depth", "direction", "last_at", "prices", "tick", "ticks")

    def __init__(self, spark_len: int) -> None:
        self.tick: LtpTick | None = None
        self.depth: DepthTick | None = None
        self.close_raw: int | None = None
        self.direction = 0
        self.prices: deque[int] = deque(maxlen=spark_len)
        self.ticks = 0
        self.last_at: float | None = None


class StreamModel:
    """Latest tick, recent prices and counts per token; the last order updates; the status.

    ``symbols`` maps (exchange_type, token) to a display name and fixes the row order; a tick
    for a token not in it gets a row at the end, named ``NSE_CM:1234``.
    """

    def __init__(
        self,
        symbols: Mapping[TokenKey, str],
        *,
        spark_len: int = SPARK_LENGTH,
        orders_kept: int = ORDER_UPDATES_KEPT,
        clock: Clock | None = None,
    ) -> None:
        self._monotonic = (clock or SystemClock()).monotonic
        self._lock = threading.Lock()
        self._spark_len = spark_len
        self._names = dict(symbols)
        self._rows: dict[TokenKey, _Row] = {key: _Row(spark_len) for key in symbols}
        self._orders: deque[OrderUpdateLike] = deque(maxlen=orders_kept)
        self._order_updates = 0
        self._status: StreamStatus | None = None
        self._ticks = 0
        self._started_at = self._monotonic()
        self._rate = 0.0
        self._rate_mark = (self._started_at, 0)

    def on_tick(self, tick: Tick) -> None:
        now = self._monotonic()
        key = (tick.exchange_type, tick.token)
        with self._lock:
            self._ticks += 1
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = _Row(self._spark_len)
            row.ticks += 1
            row.last_at = now
            if isinstance(tick, DepthTick):
                row.depth = tick
                return
            last = row.tick
            if last is not None and tick.ltp_raw != last.ltp_raw:
                row.direction = 1 if tick.ltp_raw > last.ltp_raw else -1
            if isinstance(tick, QuoteTick):
                row.close_raw = tick.close_raw
            row.tick = tick
            row.prices.append(tick.ltp_raw)

    def on_order_update(self, update: OrderUpdateLike) -> None:
        """Keeps the last ``orders_kept``; the connection's AB00 acknowledgement (no order id)
        is not an order update and is ignored."""
        if not update.order_id:
            return
        with self._lock:
            self._orders.append(update)
            self._order_updates += 1

    def on_status(self, status: StreamStatus) -> None:
        with self._lock:
            self._status = status

    def snapshot(self) -> StreamSnapshot:
        now = self._monotonic()
        with self._lock:
            raw = [
                (
                    key,
                    r.tick,
                    r.depth,
                    r.close_raw,
                    r.direction,
                    tuple(r.prices),
                    r.ticks,
                    r.last_at,
                )
                for key, r in self._rows.items()
            ]
            orders = tuple(reversed(self._orders))
            status, ticks, order_updates = self._status, self._ticks, self._order_updates
            mark_at, mark_ticks = self._rate_mark
            if now - mark_at >= RATE_WINDOW_S:
                self._rate = (ticks - mark_ticks) / (now - mark_at)
                self._rate_mark = (now, ticks)
            rate = self._rate
        rows = tuple(
            RowSnapshot(
                key=key,
                symbol=self._names.get(key) or _default_name(key),
                tick=tick,
                depth=depth,
                close_raw=close_raw,
                direction=direction,
                prices=prices,
                ticks=count,
                last_at=last_at,
            )
            for key, tick, depth, close_raw, direction, prices, count, last_at in raw
        )
        return StreamSnapshot(
            rows=rows,
            orders=orders,
            status=status,
            ticks=ticks,
            order_updates=order_updates,
            ticks_per_second=rate,
            started_at=self._started_at,
            taken_at=now,
            spark_len=self._spark_len,
        )

    def summary(self) -> StreamSummary:
        now = self._monotonic()
        with self._lock:
            status = self._status
            return StreamSummary(
                duration_s=now - self._started_at,
                ticks=self._ticks,
                order_updates=self._order_updates,
                reconnects=status.reconnects if status else 0,
                dropped=dict(status.dropped) if status else {},
            )


def _default_name(key: TokenKey) -> str:
    exchange_type, token = key
    try:
        return f"{ExchangeType(exchange_type).name}:{token}"
    except ValueError:
        return f"{exchange_type}:{token}"


# --- views -------------------------------------------------------------------------------------

# (header, justify, drop): the highest drop is hidden first on a narrow terminal, so the book
# sizes go first, then OI, volume, the book, the absolute change and the sparkline; the symbol
# and LTP always stay, the tick's age and % the longest after them.
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


def exact_price(raw: int, divisor: int) -> Decimal:
    """Rupees with the segment's fixed places (``80000`` paise → ``800.00``), exactly."""
    return Decimal(raw).scaleb(-(len(str(divisor)) - 1))


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
        ltp: Any = ""
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


def status_line(snapshot: StreamSnapshot) -> Any:
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


def orders_panel(orders: Sequence[OrderUpdateLike], *, width: int | None = None) -> Any:
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
) -> Any:
    """The whole screen: the ticks table (fitted to ``width``), the status line, and the order
    updates when ``show_orders``. ``max_rows`` caps the table (say, the terminal's height) and
    says how many rows it left out."""
    from rich.console import Group

    rows = snapshot.rows if max_rows is None else snapshot.rows[:max_rows]
    cells = [_stream_row(row, now_monotonic, snapshot.spark_len) for row in rows]
    left_out = len(snapshot.rows) - len(rows)
    caption = f"… {left_out:,} more not shown" if left_out else ""
    table = fit_table("Live feed", STREAM_COLUMNS, cells, width=width, caption=caption)
    parts: list[Any] = [table, status_line(snapshot)]
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


def _ist(epoch_ms: int) -> str | None:
    if not epoch_ms:
        return None
    moment = datetime.fromtimestamp(epoch_ms // 1000, IST) + timedelta(milliseconds=epoch_ms % 1000)
    return moment.isoformat(timespec="milliseconds")


def _levels(levels: Sequence[DepthLevel], divisor: int) -> list[dict[str, Any]]:
    return [
        {
            "price": format(exact_price(level.price_raw, divisor), "f"),
            "quantity": level.quantity,
            "orders": level.orders,
        }
        for level in levels
    ]


def tick_json(tick: Tick, symbol: str) -> dict[str, Any]:
    """One NDJSON record per tick; the same keys for every mode (``null`` where not carried).

    Prices are exact decimal strings with the segment's places (``"801.25"``,
    ``"83.2525000"`` on cde_fo); times are ISO-8601 in IST plus the epoch value they came from.
    """
    divisor = tick.divisor

    def rupees(raw: int) -> str:
        return format(exact_price(raw, divisor), "f")

    try:
        exchange_name = ExchangeType(tick.exchange_type).name.lower()
    except ValueError:
        exchange_name = str(tick.exchange_type)
    try:
        mode_name = Mode(tick.mode).name
    except ValueError:
        mode_name = str(tick.mode)
    quote = tick if isinstance(tick, QuoteTick) else None
    snap = tick if isinstance(tick, SnapQuoteTick) else None
    ltp = tick if isinstance(tick, LtpTick) else None
    depth: dict[str, Any] | None = None
    if isinstance(tick, SnapQuoteTick | DepthTick):
        depth = {"buy": _levels(tick.bids, divisor), "sell": _levels(tick.asks, divisor)}
    return {
        "type": "tick",
        "mode": mode_name,
        "symbol": symbol,
        "exchange_type": exchange_name,
        "token": tick.token,
        "sequence": ltp.sequence if ltp else None,
        "exchange_time": _ist(tick.exchange_time_ms),
        "exchange_time_ms": tick.exchange_time_ms,
        "ltp": rupees(ltp.ltp_raw) if ltp else None,
        "last_traded_qty": quote.last_traded_qty if quote else None,
        "avg_price": rupees(quote.avg_price_raw) if quote else None,
        "volume": quote.volume if quote else None,
        "total_buy_qty": quote.total_buy_qty if quote else None,
        "total_sell_qty": quote.total_sell_qty if quote else None,
        "open": rupees(quote.open_raw) if quote else None,
        "high": rupees(quote.high_raw) if quote else None,
        "low": rupees(quote.low_raw) if quote else None,
        "close": rupees(quote.close_raw) if quote else None,
        "last_traded_time": _ist(snap.last_traded_time_s * 1000) if snap else None,
        "last_traded_time_s": snap.last_traded_time_s if snap else None,
        "open_interest": snap.open_interest if snap else None,
        "oi_change_pct": snap.oi_change_pct if snap else None,
        "upper_circuit": rupees(snap.upper_circuit_raw) if snap else None,
        "lower_circuit": rupees(snap.lower_circuit_raw) if snap else None,
        "high_52w": rupees(snap.high_52w_raw) if snap else None,
        "low_52w": rupees(snap.low_52w_raw) if snap else None,
        "depth": depth,
    }


def order_update_json(update: OrderUpdateLike) -> dict[str, Any]:
    """One NDJSON record per order update, prices as exact decimal strings."""
    return {
        "type": "order_update",
        "order_id": update.order_id,
        "status_code": update.status_code,
        "status": update.status,
        "text": update.text,
        "exchange": update.exchange,
        "symbol": update.symbol,
        "side": update.side,
        "quantity": update.quantity,
        "filled": update.filled,
        "average_price": format(update.average_price, "f"),
        "updated_at": update.updated_at.astimezone(IST).isoformat() if update.updated_at else None,
    }
