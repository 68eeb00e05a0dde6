"""Candles on screen: a table (``render.view``) and a terminal candlestick chart with volume.

The chart is our own renderable rather than a charting library (plotext and the like): it is
~150 lines, needs no dependency, draws with box and block characters every terminal font has,
and lets us keep the project's rules that a library would not: prices on the axis at tick
precision with Indian grouping (``units.price``), times labelled IST, an exact fit to the
terminal's width (80 columns included), and a plain (uncoloured) form that is the same text.

Layout, top to bottom: a title (symbol, interval, range in IST, the range's O/H/L/C), ``height``
price rows with the price axis on the left, a volume strip (``▁▂▃▄▅▆▇█``, or a note for an
index, whose volume is 0), and the time axis (``HH:MM``; ``DD-Mon`` when the range spans days).
When there are more candles than columns, consecutive candles are merged into one column (first
open, highest high, lowest low, last close, summed volume), so the chart always shows the whole
range. Rising columns are green, falling ones red (colour only on a terminal; NO_COLOR honoured
by rich).

Invariants: pure functions of the candles and the width; no clock; rich is imported only by
``CandleChart.__rich_console__``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from angelctl.broker.history import Candle
from angelctl.clock import IST
from angelctl.render.fit import ColumnSpec
from angelctl.render.units import price, quantity
from angelctl.render.view import Styled, TableView

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

UP, DOWN = "green", "red"
VOLUME_BLOCKS = " ▁▂▃▄▅▆▇█"
Segment = tuple[str, str]  # (text, style)
Line = list[Segment]


@dataclass(frozen=True)
class ChartInfo:
    symbol: str
    exchange: str
    interval: str  # as the user wrote it (5m)
    tick: Decimal | None


def _merge(candles: Sequence[Candle], columns: int) -> list[Candle]:
    """At most ``columns`` candles: consecutive ones spread evenly over the columns."""
    count = len(candles)
    if count <= columns:
        return list(candles)
    merged: list[Candle] = []
    for column in range(columns):
        group = candles[column * count // columns : (column + 1) * count // columns]
        merged.append(
            Candle(
                at=group[0].at,
                open=group[0].open,
                high=max(c.high for c in group),
                low=min(c.low for c in group),
                close=group[-1].close,
                volume=sum(c.volume for c in group),
            )
        )
    return merged


def _on_tick(value: Decimal, tick: Decimal | None) -> Decimal:
    """An axis price on the instrument's tick grid (the labels between the extremes)."""
    if not tick:
        return value
    return (value / tick).to_integral_value() * tick


def _row_of(value: Decimal, top: Decimal, step: Decimal, height: int) -> int:
    return min(max(int((top - value) / step), 0), height - 1)


def chart_lines(
    candles: Sequence[Candle], info: ChartInfo, width: int = 80, height: int = 14
) -> list[Line]:
    """The chart as lines of styled segments, at most ``width`` cells wide."""
    # long: one drawing pass (title, price rows, volume, axis) sharing the same scales
    if not candles:
        return [[(f"{info.symbol}: no candles in this range", "")]]
    top, bottom = max(c.high for c in candles), min(c.low for c in candles)
    labels = [
        price(_on_tick(top - (top - bottom) * k / 4, info.tick), info.exchange, info.tick)
        for k in range(5)
    ]
    axis = max(len(text) for text in labels) + 1
    columns = max(width - axis - 1, 8)
    bars = _merge(candles, columns)
    gap = _gaps(len(bars), columns)
    step = (top - bottom) / height or Decimal(1)
    title, prices = _title(candles, info)
    if len(title) + 2 + len(prices) <= width:
        lines: list[Line] = [[(f"{title}  {prices}", "bold")]]
    else:
        lines = [[(title, "bold")], [(prices, "")]]
    label_rows = {round((height - 1) * k / 4): labels[k] for k in range(5)}
    for row in range(height):
        line: Line = [(label_rows.get(row, "").rjust(axis - 1) + " ┤", "dim")]
        for bar in bars:
            line.extend(_spaced(_cell(bar, row, top, step, height), gap))
        lines.append(line)
    lines.extend(_volume(bars, axis, gap))
    lines.append([(" " * axis + "└" + "─" * (len(bars) * sum(gap, 1)), "dim")])
    lines.append([(_time_axis(bars, axis, gap), "dim")])
    return lines


def _gaps(bars: int, columns: int) -> tuple[int, int]:
    """Blank cells (before, after) each candle: a few candles are spaced out over the width
    (one cell apart, or centred in three), many are drawn side by side."""
    room = columns // max(bars, 1)
    return (1, 1) if room >= 3 else (0, 1) if room == 2 else (0, 0)


def _spaced(cell: Segment, gap: tuple[int, int]) -> list[Segment]:
    before, after = gap
    return [
        *([(" " * before, "")] if before else []),
        cell,
        *([(" " * after, "")] if after else []),
    ]


def _cell(bar: Candle, row: int, top: Decimal, step: Decimal, height: int) -> Segment:
    style = UP if bar.close >= bar.open else DOWN
    high, low = _row_of(bar.high, top, step, height), _row_of(bar.low, top, step, height)
    body_top = _row_of(max(bar.open, bar.close), top, step, height)
    body_bottom = _row_of(min(bar.open, bar.close), top, step, height)
    if body_top <= row <= body_bottom:
        return ("█" if body_bottom > body_top or bar.open != bar.close else "━", style)
    if high <= row <= low:
        return ("│", style)
    return (" ", "")


def _volume(bars: Sequence[Candle], axis: int, gap: tuple[int, int] = (0, 0)) -> list[Line]:
    most = max(c.volume for c in bars)
    if most <= 0:
        return [[(" " * axis + " volume: none (an index has no volume)", "dim")]]
    rows: list[Line] = []
    for level in (1, 0):  # two rows of eighths
        label = (quantity(most) if level else "vol").rjust(axis - 1)[: axis - 1]
        line: Line = [(label + " ┤", "dim")]
        for bar in bars:
            eighths = round(bar.volume * 16 / most)
            filled = min(max(eighths - level * 8, 0), 8)
            style = UP if bar.close >= bar.open else DOWN
            line.extend(_spaced((VOLUME_BLOCKS[filled], style), gap))
        rows.append(line)
    return rows


def _time_axis(bars: Sequence[Candle], axis: int, gap: tuple[int, int] = (0, 0)) -> str:
    """Times under the columns: ``HH:MM`` every dozen columns within one day; over several
    days ``DD-Mon`` where a new day starts (when it does not touch the label before). The zone
    sits in the price axis' gutter, so the line is never wider than the chart."""
    days = {c.at.astimezone(IST).date() for c in bars}
    form, spacing = ("%d-%b", 2) if len(days) > 1 else ("%H:%M", 7)
    span = sum(gap, 1)
    cells = [" "] * (len(bars) * span)
    free, previous = 0, ""
    for index, bar in enumerate(bars):
        column = index * span + gap[0]
        text = bar.at.astimezone(IST).strftime(form)
        if text != previous and column >= free and column + len(text) <= len(cells):
            cells[column : column + len(text)] = list(text)
            free = column + len(text) + spacing
        previous = text
    return "IST".rjust(axis - 1) + "  " + "".join(cells).rstrip()


def _title(candles: Sequence[Candle], info: ChartInfo) -> tuple[str, str]:
    """(what and when, the range's O/H/L/C): one line when they fit, else two."""
    first, last = candles[0].at.astimezone(IST), candles[-1].at.astimezone(IST)
    daily = all(c.at.astimezone(IST).hour == c.at.astimezone(IST).minute == 0 for c in candles)
    form = "%d-%b-%Y" if daily else "%d-%b %H:%M"
    span = f"{first.strftime(form)} – {last.strftime(form)} IST"
    high, low = max(c.high for c in candles), min(c.low for c in candles)

    def p(value: Decimal) -> str:
        return price(value, info.exchange, info.tick)

    return (
        f"{info.symbol} {info.exchange} {info.interval}  {span}",
        f"O {p(candles[0].open)}  H {p(high)}  L {p(low)}  C {p(candles[-1].close)}",
    )


def plain_chart(lines: list[Line]) -> str:
    return "\n".join("".join(text for text, _ in line).rstrip() for line in lines)


class CandleChart:
    """The chart as a rich renderable, drawn at the console's width (at most 120 cells)."""

    def __init__(self, candles: Sequence[Candle], info: ChartInfo, height: int = 14) -> None:
        self.candles, self.info, self.height = candles, info, height

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        width = min(options.max_width, 120)
        for line in chart_lines(self.candles, self.info, width, self.height):
            text = Text(no_wrap=True, overflow="crop")
            for chunk, style in line:
                text.append(chunk, style=style or None)
            text.truncate(width)
            yield text


def candles_table(candles: Sequence[Candle], info: ChartInfo, with_oi: bool) -> TableView:
    columns = [
        ColumnSpec("Time (IST)", "left", kind="time"),
        ColumnSpec("Open", kind="price"),
        ColumnSpec("High", kind="price"),
        ColumnSpec("Low", kind="price"),
        ColumnSpec("Close", kind="price"),
        ColumnSpec("Volume", kind="quantity", drop=2),
    ]
    if with_oi:
        columns.append(ColumnSpec("OI", kind="quantity", drop=1))
    return TableView(
        title=f"{info.symbol} {info.exchange} {info.interval} candles",
        columns=columns,
        sections=[list(_rows(candles, info, with_oi))],
        caption=f"{quantity(len(candles))} candles",
    )


def _rows(
    candles: Sequence[Candle], info: ChartInfo, with_oi: bool
) -> Iterator[list[str | Styled]]:
    day_form = "%d-%b-%Y" if info.interval in ("1d", "ONE_DAY") else "%d-%b-%Y %H:%M"
    for c in candles:
        style = UP if c.close >= c.open else DOWN
        row: list[str | Styled] = [
            c.at.astimezone(IST).strftime(day_form),
            price(c.open, info.exchange, info.tick),
            price(c.high, info.exchange, info.tick),
            price(c.low, info.exchange, info.tick),
            Styled(price(c.close, info.exchange, info.tick), style),
            quantity(c.volume),
        ]
        if with_oi:
            row.append(quantity(c.oi))
        yield row
