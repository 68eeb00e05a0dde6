"""The candlestick chart spreads a few candles over the width (one cell apart, or centred in
three) and draws many side by side, never wider than the terminal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from angelctl.broker.history import Candle
from angelctl.clock import IST
from angelctl.render.candles import ChartInfo, chart_lines, plain_chart

INFO = ChartInfo("SBIN-EQ", "NSE", "15m", Decimal("0.05"))


def bars(count: int) -> list[Candle]:
    start = datetime(2026, 12, 4, 9, 15, tzinfo=IST)
    return [
        Candle(start + timedelta(minutes=15 * n), Decimal(100 + n % 5), Decimal(106 + n % 5),
               Decimal(99 + n % 5), Decimal(103 + n % 3), 1000 + 10 * n)
        for n in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize(("count", "span"), [(10, 3), (25, 2), (60, 1), (400, 1)])
def test_columns_per_candle_follow_the_room(count: int, span: int) -> None:
    lines = plain_chart(chart_lines(bars(count), INFO, width=80)).splitlines()
    axis = next(line for line in lines if line.lstrip().startswith("└"))
    drawn = min(count, 80 - axis.index("└") - 1)  # many candles are merged into the columns
    assert len(axis) - axis.index("└") - 1 == drawn * span
    assert max(len(line) for line in lines) <= 80
    volume = next(line for line in lines if line.lstrip().startswith("vol"))
    assert sum(ch in "▁▂▃▄▅▆▇█" for ch in volume) == drawn  # one volume bar per candle
