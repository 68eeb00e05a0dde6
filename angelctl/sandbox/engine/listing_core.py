"""What a listing is built in: its size (``UniverseSpec``), its tokens and its instruments.

``Listing`` collects instruments in listing order (and their reference prices when asked);
``TokenBook`` hands out tokens — the real one when known and free, else a synthetic 7-digit one
from ``SYNTHETIC_TOKEN_BASE`` chosen by a CRC-32 of the symbol (linear probing on a clash).

Invariant: tokens are unique per ``exch_seg`` within one ``Listing``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from angelctl.records import record
from angelctl.sandbox.engine.contracts import (
    StockSpec,
)
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.pricing import years_to

SYNTHETIC_TOKEN_BASE = 2_000_000
_TOKEN_SPAN = {
    "NSE": 1_000_000,
    "BSE": 1_000_000,
    "CDS": 1_000_000,
    "NFO": 8_000_000,
    "BFO": 8_000_000,
    "MCX": 8_000_000,
}
RIGHTS = ("CE", "PE")
EQUITY_FREEZE_VALUE = Decimal(92_000_000)  # rupees; ICICIBANK's real freeze_qty is about this


@record
class UniverseSpec:
    """How much to list: the sandbox's default is a few thousand rows."""

    index_strikes: int = 20
    stock_strikes: int = 10
    weeklies: int = 4
    monthlies: int = 3
    commodity_strikes: int = 10
    currency_strikes: int = 8
    synthetic_fno_stocks: int = 0  # extra F&O stocks (``SBX…`` names), for large masters
    synthetic_cash_stocks: int = 0  # extra cash-only stocks, NSE and BSE rows each


class TokenBook:
    """Hands out tokens: the real one if given and free, else a stable synthetic one."""

    def __init__(self) -> None:
        self._used: dict[str, set[str]] = {}

    def claim(self, exch_seg: str, symbol: str, real: str | None = None) -> str:
        used = self._used.setdefault(exch_seg, set())
        if real and real not in used:
            used.add(real)
            return real
        span = _TOKEN_SPAN[exch_seg]
        offset = zlib.crc32(f"{exch_seg}|{symbol}".encode()) % span
        while True:
            token = str(SYNTHETIC_TOKEN_BASE + offset)
            if token not in used:
                used.add(token)
                return token
            offset = (offset + 1) % span


PriceThunk = Callable[[], Decimal]


class Listing:
    """Instruments in listing order and, if ``with_prices``, their reference prices."""

    def __init__(self, day: date, *, with_prices: bool) -> None:
        self.day = day
        self.with_prices = with_prices
        self.instruments: list[Instrument] = []
        self.prices: dict[tuple[str, str], Decimal] = {}
        self.tokens = TokenBook()

    def add(self, instrument: Instrument, price: PriceThunk) -> Instrument:
        self.instruments.append(instrument)
        if self.with_prices:
            self.prices[instrument.key] = price()
        return instrument

    def years(self, expiry: date) -> float:
        return years_to(expiry, self.day)


def equity_tick(stock: StockSpec) -> Decimal:
    return Decimal(stock.tick_paise) / 100
