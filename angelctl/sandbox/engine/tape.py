"""Today's trades of one instrument as one-minute buckets: what today's candles are built from.

The paper market (``engine.market``) records every price it sets on a ``Ticker`` here: the walk's
steps, an admin ``set_ltp``, the opening price at creation. A bucket is keyed by the IST minute of
the day and holds ``[open, high, low, close, day_volume]``: prices in ``SCALE`` units (integers,
1/10000 rupee, exact for every tick size the universe lists) and the day's cumulative volume at
the bucket's last trade (bar volume is the difference between buckets).

Invariants: only the current IST day is kept (a trade on another day starts a new tape); a
bucket's high/low hold every price recorded in it; ``reset`` (a rebased day) forgets the day.
At most 1,440 buckets per instrument, whatever the tick rate.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from angelctl.sandbox.clock import IST

SCALE = 10_000


class Tape:
    __slots__ = ("bars", "day")

    def __init__(self) -> None:
        self.day: date | None = None
        self.bars: dict[int, list[int]] = {}

    def reset(self) -> None:
        self.day, self.bars = None, {}

    def record(self, at: datetime, price: Decimal, day_volume: int) -> None:
        local = at.astimezone(IST)
        day = local.date()
        if day != self.day:
            self.day, self.bars = day, {}
        minute = local.hour * 60 + local.minute
        units = int(price * SCALE)
        bar = self.bars.get(minute)
        if bar is None:
            self.bars[minute] = [units, units, units, units, day_volume]
            return
        if units > bar[1]:
            bar[1] = units
        if units < bar[2]:
            bar[2] = units
        bar[3] = units
        bar[4] = day_volume
