"""The one-shot ``quote`` screen as rich-free ``render.view`` models (plain text when piped).

One row per instrument; symbol, LTP and change are never hidden and never cut; open, high,
low, volume, OI and previous close are hidden (in that order of least importance) when the
terminal is narrow. In FULL mode each instrument's market depth follows as its own table.
``quote --watch`` keeps its own rich screen (``render.quotes.watch_view``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from angelctl.broker.market import Depth, Quote
from angelctl.render.fit import ColumnSpec
from angelctl.render.quotes import has_depth
from angelctl.render.units import price, quantity, signed_price
from angelctl.render.view import Cell, Stack, Styled, TableView


def _dir(value: Decimal | None) -> str:
    return "" if not value else "green" if value > 0 else "red"


def quote_columns(mode: str) -> list[ColumnSpec]:
    columns = [ColumnSpec("symbol", "left", kind="symbol"), ColumnSpec("LTP", kind="price")]
    if mode in ("OHLC", "FULL"):
        columns += [
            ColumnSpec("change", kind="price"),
            ColumnSpec("%", kind="price"),
            ColumnSpec("open", drop=9, kind="price"),
            ColumnSpec("high", drop=8, kind="price"),
            ColumnSpec("low", drop=7, kind="price"),
            ColumnSpec("prev close", drop=4, kind="price"),
        ]
    if mode == "FULL":
        columns += [
            ColumnSpec("volume", drop=6, kind="quantity"),
            ColumnSpec("OI", drop=5, kind="quantity"),
        ]
    return columns


def _row(q: Quote, mode: str) -> list[Cell]:
    px = q.exchange
    row: list[Cell] = [f"{q.exchange}:{q.symbol}", Styled(price(q.ltp, px), _dir(q.change))]
    if mode in ("OHLC", "FULL"):
        row += [
            Styled(signed_price(q.change), _dir(q.change)),
            Styled(signed_price(q.percent_change, "%"), _dir(q.change)),
            price(q.open, px),
            price(q.high, px),
            price(q.low, px),
            price(q.close, px),
        ]
    if mode == "FULL":
        row += [quantity(q.volume), quantity(q.open_interest)]
    return row


def depth_view(q: Quote) -> TableView:
    """Best five bids and offers side by side, with the FULL quote's other figures below."""
    depth = q.depth or Depth((), ())
    buy = [level for level in depth.buy if level.price or level.quantity]
    sell = [level for level in depth.sell if level.price or level.quantity]
    columns = [
        ColumnSpec("orders", drop=2, kind="quantity"),
        ColumnSpec("qty", kind="quantity"),
        ColumnSpec("bid", kind="price"),
        ColumnSpec("ask", kind="price"),
        ColumnSpec("qty", kind="quantity"),
        ColumnSpec("orders", drop=1, kind="quantity"),
    ]
    rows: list[list[Cell]] = []
    for i in range(max(len(buy), len(sell), 1)):
        bid = buy[i] if i < len(buy) else None
        ask = sell[i] if i < len(sell) else None
        rows.append(
            [
                Styled(quantity(bid.orders), "green") if bid else "",
                Styled(quantity(bid.quantity), "green") if bid else "",
                Styled(price(bid.price, q.exchange), "green") if bid else "",
                Styled(price(ask.price, q.exchange), "red") if ask else "",
                Styled(quantity(ask.quantity), "red") if ask else "",
                Styled(quantity(ask.orders), "red") if ask else "",
            ]
        )
    circuits = (
        f"{price(q.lower_circuit)} – {price(q.upper_circuit)}"
        if q.lower_circuit or q.upper_circuit
        else "none"
    )
    caption = "\n".join(
        [
            f"total bid qty {quantity(q.total_buy_qty)} · ask qty {quantity(q.total_sell_qty)}",
            f"avg {price(q.avg_price)} · last {quantity(q.last_trade_qty)}"
            + (f" at {q.last_trade_time:%H:%M:%S} IST" if q.last_trade_time else ""),
            f"circuits {circuits}",
            f"52 weeks {price(q.week52_low)} – {price(q.week52_high)}",
        ]
    )
    return TableView(f"{q.exchange}:{q.symbol} depth", columns, [rows], caption=caption)


def quotes_screen(quotes: Sequence[Quote], mode: str) -> Stack:
    """The one-shot ``quote`` screen: the table, then the depth of each instrument in FULL."""
    parts: list[TableView | Stack | str] = []
    if quotes:
        rows = [_row(q, mode) for q in quotes]
        parts.append(TableView(f"Quotes ({mode})", quote_columns(mode), [rows]))
    if mode == "FULL":
        parts += [depth_view(q) for q in quotes if has_depth(q)]
    return Stack(list(parts))
