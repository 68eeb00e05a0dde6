"""Views of quotes: the quote table, the FULL market depth, and the ``quote --watch`` screen.

Pure functions from typed quotes to rich renderables. Up is green and down is red, and the
sign is always written (``+1.50``) so the direction survives ``NO_COLOR`` and pipes.
``LtpHistory`` is the watch screen's only state: the last LTPs per instrument for the sparkline.
``quotes_json`` is the ``--json`` document as one line, encoded in one pass.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from angelctl.broker.market import Depth, Quote, Unfetched
from angelctl.clock import IST
from angelctl.render import units
from angelctl.render.fit import ColumnSpec, fit_table

SPARK_BARS = "▁▂▃▄▅▆▇█"
HISTORY_LENGTH = 30


def _plain(value: Any) -> str:
    """What ``render.output.to_jsonable`` makes of a value the JSON encoder cannot write."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def quotes_json(document: dict[str, Any]) -> str:
    """``document`` (built from ``Quote.as_dict``) as the same JSON ``Output.json`` writes, with
    the C encoder calling ``_plain`` for just the decimals and times: no Python walk of every
    field (a quarter of a 250-symbol quote's own work)."""
    return json.dumps(document, default=_plain)


def price(value: Decimal | None) -> str:
    """Rupees with Indian grouping and at least two decimals (CDS quotes carry four)."""
    return units.price(value)


def quantity(value: int | None) -> str:
    """Volume and open interest grouped the Indian way: ``36,46,500``."""
    return units.quantity(value)


def direction_style(value: Decimal | None) -> str:
    if value is None or value == 0:
        return ""
    return "green" if value > 0 else "red"


def signed(value: Decimal | None, suffix: str = "") -> Any:
    """``+1.50`` / ``-0.52%`` coloured by direction."""
    from rich.text import Text

    if value is None:
        return Text("-")
    sign = "+" if value > 0 else ""
    return Text(f"{sign}{price(value)}{suffix}", style=direction_style(value))


Level = TypeVar("Level", Decimal, int)


def sparkline(values: Sequence[Level]) -> str:
    """One block character per value, scaled between the lowest and the highest.

    Rupees (``Decimal``) or the feed's raw integer prices: only ratios matter, and both round
    half to even, so the same prices draw the same line in either unit.
    """
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK_BARS[len(SPARK_BARS) // 2 - 1] * len(values)
    top = len(SPARK_BARS) - 1
    span = high - low
    return "".join(SPARK_BARS[_bar(v - low, span, top)] for v in values)


def _bar(offset: Level, span: Level, top: int) -> int:
    if isinstance(offset, Decimal):
        return int((offset * top / span).to_integral_value())
    bar, rest = divmod(offset * top, span)
    return bar + (2 * rest > span or (2 * rest == span and bar % 2 == 1))


class LtpHistory:
    """The last ``length`` LTPs of each instrument, oldest first."""

    def __init__(self, length: int = HISTORY_LENGTH) -> None:
        self.length = length
        self._values: dict[str, deque[Decimal]] = {}

    def record(self, quotes: Iterable[Quote]) -> None:
        for q in quotes:
            self._values.setdefault(q.key, deque(maxlen=self.length)).append(q.ltp)

    def values(self, key: str) -> list[Decimal]:
        return list(self._values.get(key, ()))


def quotes_table(
    quotes: Sequence[Quote],
    mode: str,
    *,
    history: LtpHistory | None = None,
    title: str = "",
    width: int | None = None,
) -> Any:
    """One row per instrument with the columns the mode carries; ``width`` hides the least
    important ones (open first, then high, low, volume, OI, prev close) when they do not fit.
    """
    from rich.text import Text

    columns = [ColumnSpec("symbol", "left"), ColumnSpec("LTP")]
    if mode in ("OHLC", "FULL"):
        columns += [
            ColumnSpec("change"),
            ColumnSpec("%"),
            ColumnSpec("open", drop=9),
            ColumnSpec("high", drop=8),
            ColumnSpec("low", drop=7),
            ColumnSpec("prev close", drop=4),
        ]
    if mode == "FULL":
        columns += [ColumnSpec("volume", drop=6), ColumnSpec("OI", drop=5)]
    if history is not None:
        columns.append(ColumnSpec("trend", "left", drop=10))  # the first to go
    rows: list[list[Any]] = []
    for q in quotes:
        row: list[Any] = [
            f"{q.exchange}:{q.symbol}",
            Text(price(q.ltp), style=direction_style(q.change)),
        ]
        if mode in ("OHLC", "FULL"):
            row += [
                signed(q.change),
                signed(q.percent_change, "%"),
                price(q.open),
                price(q.high),
                price(q.low),
                price(q.close),
            ]
        if mode == "FULL":
            row += [quantity(q.volume), quantity(q.open_interest)]
        if history is not None:
            # padded to its full length so the layout does not shift while the history fills
            trend = sparkline(history.values(q.key)).ljust(history.length)
            row.append(Text(trend, style=direction_style(q.change)))
        rows.append(row)
    return fit_table(title or f"Quotes ({mode})", columns, rows, width=width)


def depth_table(q: Quote) -> Any:
    """Best five bids and offers side by side, with the FULL quote's other figures below."""
    from rich import box
    from rich.table import Table

    depth = q.depth or Depth((), ())
    buy = [level for level in depth.buy if level.price or level.quantity]
    sell = [level for level in depth.sell if level.price or level.quantity]
    table = Table(
        title=f"{q.exchange}:{q.symbol} depth",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for column, style in (
        ("orders", "green"),
        ("qty", "green"),
        ("bid", "green"),
        ("ask", "red"),
        ("qty", "red"),
        ("orders", "red"),
    ):
        table.add_column(column, justify="right", style=style)
    for i in range(max(len(buy), len(sell), 1)):
        bid = buy[i] if i < len(buy) else None
        ask = sell[i] if i < len(sell) else None
        table.add_row(
            quantity(bid.orders) if bid else "",
            quantity(bid.quantity) if bid else "",
            price(bid.price) if bid else "",
            price(ask.price) if ask else "",
            quantity(ask.quantity) if ask else "",
            quantity(ask.orders) if ask else "",
        )
    table.caption = "\n".join(
        [
            f"total bid qty {quantity(q.total_buy_qty)} · ask qty {quantity(q.total_sell_qty)}",
            f"avg {price(q.avg_price)} · last {quantity(q.last_trade_qty)}"
            + (f" at {q.last_trade_time:%H:%M:%S}" if q.last_trade_time else ""),
            "circuits "
            + (
                f"{price(q.lower_circuit)} – {price(q.upper_circuit)}"
                if q.lower_circuit or q.upper_circuit
                else "none"
            ),
            f"52 weeks {price(q.week52_low)} – {price(q.week52_high)}",
        ]
    )
    table.caption_justify = "left"
    return table


def has_depth(q: Quote) -> bool:
    """False for an index (the broker sends five empty levels a side)."""
    return q.depth is not None and any(
        level.price or level.quantity for level in q.depth.buy + q.depth.sell
    )


def depth_grid(quotes: Sequence[Quote]) -> Any:
    """The depth of every quote that has one, side by side where the width allows."""
    from rich.columns import Columns

    return Columns([depth_table(q) for q in quotes if has_depth(q)], padding=(1, 2))


def unfetched_lines(unfetched: Sequence[Unfetched]) -> list[str]:
    return [
        f"{u.exchange}:{u.symbol or u.token} (token {u.token}): {u.message}"
        + (f" [{u.code}]" if u.code else "")
        for u in unfetched
    ]


def quotes_view(quotes: Sequence[Quote], mode: str, *, width: int | None = None) -> Any:
    """The one-shot ``quote`` screen: the table, then the depth of each instrument in FULL."""
    from rich.console import Group

    parts: list[Any] = []
    if quotes:
        parts.append(quotes_table(quotes, mode, width=width))
    if mode == "FULL" and any(has_depth(q) for q in quotes):
        parts.append(depth_grid(quotes))
    return Group(*parts)


def watch_body(
    quotes: Sequence[Quote],
    unfetched: Sequence[Unfetched],
    mode: str,
    history: LtpHistory,
    *,
    width: int | None = None,
    max_rows: int | None = None,
) -> Any:
    """The ``quote --watch`` screen above its status line: the table with a sparkline per row
    and the depth grid. ``max_rows`` (for a short terminal) drops the depth grid first, then
    rows beyond ``max_rows`` ("+N more"): ``max_rows == len(quotes)`` is every row, no depth."""
    from rich.console import Group
    from rich.text import Text

    shown = quotes if max_rows is None else quotes[:max_rows]
    table = quotes_table(shown, mode, history=history, width=width)
    left_out = len(quotes) - len(shown)
    if left_out:
        table.caption = "\n".join(
            [f"+{left_out:,} more (a taller terminal shows them)"]
            + ([table.caption] if table.caption else [])
        )
        table.caption_justify = "left"
    parts: list[Any] = [table]
    if max_rows is None and mode == "FULL" and any(has_depth(q) for q in quotes):
        parts.append(depth_grid(quotes))
    for line in unfetched_lines(unfetched):
        parts.append(Text(f"not quoted: {line}", style="yellow"))
    return Group(*parts)


def watch_status(
    at: datetime,
    interval: float,
    *,
    skipped: int = 0,
    error: str = "",
    width: int | None = None,
) -> Any:
    """The ``quote --watch`` status line (with the last refresh's failure above it, if any),
    fitted to ``width`` by leaving out the hint first."""
    from rich.console import Group
    from rich.text import Text

    from angelctl.render.stream import fitted_line

    parts = [
        ("", f"updated {at.astimezone(IST):%H:%M:%S} IST", "dim", 0),
        (" · ", f"every {interval:g} s", "dim", 1),
        (" · ", "Ctrl-C to stop", "dim", 3),
    ]
    if skipped:
        parts.append(
            (" · ", f"{skipped} refresh(es) skipped: the broker answered slowly", "yellow", 2)
        )
    status = fitted_line(parts, width)
    if error:
        return Group(Text(f"last refresh failed: {error}", style="red"), status)
    return status


def watch_view(
    quotes: Sequence[Quote],
    unfetched: Sequence[Unfetched],
    mode: str,
    history: LtpHistory,
    *,
    at: datetime,
    interval: float,
    skipped: int = 0,
    error: str = "",
    width: int | None = None,
) -> Any:
    """The ``quote --watch`` screen in one renderable: ``watch_body`` over ``watch_status``.
    The live view fits the two to the terminal with ``render.live.frame`` instead."""
    from rich.console import Group

    return Group(
        watch_body(quotes, unfetched, mode, history, width=width),
        watch_status(at, interval, skipped=skipped, error=error, width=width),
    )
