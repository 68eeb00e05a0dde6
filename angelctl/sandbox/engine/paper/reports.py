"""The rows the book routes answer with: order book, trade book, positions, holdings.

Each row is the SmartAPI ``data`` element in the live key order, built by the record's own
``row``/``book_row`` (``orders``, ``portfolio``); prices for P&L come from the ``ltp`` callable
the broker passes in (the instrument's ticker).

Invariant: building a report changes nothing in the books.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.market import Ticker
from angelctl.sandbox.engine.paper.books import AccountBook
from angelctl.sandbox.engine.portfolio import ZERO

Quote = Callable[[Instrument], Ticker]
CENT = Decimal("0.01")


def order_rows(book: AccountBook) -> list[dict[str, Any]]:
    return [order.book_row() for order in book.orders]


def trade_rows(book: AccountBook) -> list[dict[str, Any]]:
    return [fill.row() for fill in book.fills]


def position_rows(book: AccountBook, quote: Quote) -> list[dict[str, str]]:
    rows = []
    for position in book.positions.values():
        ticker = quote(position.instrument)
        rows.append(position.row(ticker.ltp, ticker.prev_close))
    return rows


def holding_rows(book: AccountBook, quote: Quote) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The getAllHolding rows and their ``totalholding`` summary."""
    rows: list[dict[str, Any]] = []
    value = invested = pnl = ZERO
    for holding in book.holdings:
        ticker = quote(holding.instrument)
        rows.append(holding.row(ticker.ltp, ticker.prev_close))
        v, i, p = holding.values(ticker.ltp)
        value, invested, pnl = value + v, invested + i, pnl + p
    percent = (pnl * 100 / invested) if invested else ZERO
    totals = {
        "totalholdingvalue": float(value.quantize(CENT)),
        "totalinvvalue": float(invested.quantize(CENT)),
        "totalprofitandloss": float(pnl.quantize(CENT)),
        "totalpnlpercentage": float(percent.quantize(CENT)),
    }
    return rows, totals
