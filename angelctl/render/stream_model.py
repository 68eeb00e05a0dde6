"""The ``stream`` screen's model: the only mutable state, fed by the feed thread.

The feed thread calls ``StreamModel.on_tick`` (up to ~10 000 ticks/s over ~1 000 tokens), the
order-update thread ``on_order_update``, the client's supervisor ``on_status``; the repaint loop
calls ``snapshot()`` a few times a second and hands it to the pure views in ``render.stream``.
What the callers must supply is spelled out by the ``OrderUpdateLike`` and ``LinkStatsLike``
protocols.

Invariants:
- ``on_tick`` is O(1) and formats nothing: under one lock it stores the tick, appends its raw
  integer LTP to a bounded deque and counts. Every conversion to rupees or text happens in the
  views, on the repaint thread, at the repaint rate, never per tick.
- ``snapshot()`` copies under the lock and returns frozen values; ticks are never mutated once
  built (``feed.ticks``), so a snapshot may share them.
- The previous close is fixed for the day, so a QUOTE/SNAP tick's close is kept for the change
  columns of later LTP-mode ticks of the same token.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from angelctl.clock import Clock, SystemClock
from angelctl.feed.ticks import (
    DepthTick,
    ExchangeType,
    LtpTick,
    QuoteTick,
    Tick,
)
from angelctl.records import record

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
    last_tick_ms: int = 0  # the exchange timestamp of the latest tick (epoch ms), 0 before any


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
        self._last_tick_ms = 0

    def on_tick(self, tick: Tick) -> None:
        now = self._monotonic()
        key = (tick.exchange_type, tick.token)
        with self._lock:
            self._ticks += 1
            self._last_tick_ms = tick.exchange_time_ms
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
            rate, last_tick_ms = self._rate, self._last_tick_ms
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
            last_tick_ms=last_tick_ms,
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
