"""Which contracts are live on a trading day: the rules that turn reference data into instruments.

For a day ``D`` (contracts expiring on ``D`` are still listed; expiries per ``market_calendar``):

- NSE and BSE indices, NSE stocks (``-EQ`` and a few other series) and BSE counterparts;
- index futures: the next ``monthlies`` monthly expiries; index options: the same monthly
  expiries plus, for NIFTY and SENSEX, the next ``weeklies`` weekly expiries that are not
  monthly ones (as the exchanges list them: on 2026-08-18 NIFTY had weeklies 18-Aug, 1-, 8- and
  15-Sep and monthlies 25-Aug, 29-Sep, 27-Oct); ``index_strikes`` strikes either side of the
  at-the-money strike, CE and PE;
- stock futures and options: monthly, ``stock_strikes`` strikes either side;
- MCX GOLD and CRUDEOIL futures, CRUDEOIL options; CDS USDINR futures and options.

Tokens: real ones from the reference data where known; otherwise synthetic — a 7-digit number
from ``SYNTHETIC_TOKEN_BASE`` chosen by a CRC-32 of the symbol (linear probing on a clash), so a
contract keeps its token from one day to the next. Every real token the sandbox knows is below
1 200 000 or an 8-digit index token, so synthetic tokens never collide with real ones.

Invariants: the listing is a pure function of (day, spec); tokens are unique per ``exch_seg``.

Here: the order of listing, cash rows and synthetic stocks; the containers and tokens are in
``listing_core``, the futures and options in ``derivatives``.
"""

from __future__ import annotations

import string
import zlib
from datetime import date
from decimal import Decimal

from angelctl.sandbox.engine.contracts import (
    BSE_INDICES,
    COMMODITIES,
    INDEX_DERIVATIVES,
    NSE_INDICES,
    STOCK_DERIVATIVES,
    STOCKS,
    IndexSpec,
    StockDerivativeSpec,
    StockSpec,
    nse_cash_symbol,
)
from angelctl.sandbox.engine.derivatives import (
    list_commodity,
    list_index_derivative,
    list_stock_derivative,
)
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.listing_core import (
    EQUITY_FREEZE_VALUE,
    Listing,
    UniverseSpec,
    equity_tick,
)
from angelctl.sandbox.engine.pricing import round_to_tick


def list_instruments(day: date, spec: UniverseSpec, *, with_prices: bool) -> Listing:
    listing = Listing(day, with_prices=with_prices)
    spots: dict[str, Instrument] = {}
    for index in (*NSE_INDICES, *BSE_INDICES):
        spots[index.name] = _list_index(listing, index)
    stocks = [*STOCKS, *synthetic_stocks(spec.synthetic_fno_stocks + spec.synthetic_cash_stocks)]
    for stock in stocks:
        spots[stock.name] = _list_stock(listing, stock)
    for stock in stocks:
        _list_bse_stock(listing, stock)
    for index_derivative in INDEX_DERIVATIVES:
        list_index_derivative(listing, spec, index_derivative, spots)
    stock_fno = [
        *((d, _stock_spec(d.name)) for d in STOCK_DERIVATIVES),
        *((synthetic_derivative(s), s) for s in stocks[len(STOCKS) :][: spec.synthetic_fno_stocks]),
    ]
    for stock_derivative, stock in stock_fno:
        list_stock_derivative(listing, spec, stock_derivative, stock, spots[stock.name])
    for commodity in COMMODITIES:
        list_commodity(listing, spec, commodity)
    return listing


def list_cash_stocks(listing: Listing, stocks: list[StockSpec]) -> None:
    """Each stock's NSE row and then its BSE row (the large bench master's filler)."""
    for stock in stocks:
        _list_stock(listing, stock)
        _list_bse_stock(listing, stock)


def _stock_spec(name: str) -> StockSpec:
    return next(stock for stock in STOCKS if stock.name == name)


# ------------------------------------------------------------------------------ cash


def _list_index(listing: Listing, index: IndexSpec) -> Instrument:
    token = listing.tokens.claim(index.exch_seg, index.symbol, index.token)
    instrument = Instrument(
        exch_seg=index.exch_seg,
        token=token,
        symbol=index.symbol,
        name=index.name,
        instrumenttype="AMXIDX",
        lotsize=1,
        tick_size=Decimal(0),
        freeze_qty=0,
    )
    return listing.add(instrument, lambda: round_to_tick(index.level, Decimal(0)))


def _equity_freeze(stock: StockSpec) -> int:
    if stock.freeze_qty is not None:
        return stock.freeze_qty
    return int(EQUITY_FREEZE_VALUE / stock.price) + 1


def _list_stock(listing: Listing, stock: StockSpec) -> Instrument:
    symbol = nse_cash_symbol(stock.name, stock.series)
    instrument = Instrument(
        exch_seg="NSE",
        token=listing.tokens.claim("NSE", symbol, stock.token),
        symbol=symbol,
        name=stock.name,
        instrumenttype="",
        lotsize=stock.lotsize,
        tick_size=equity_tick(stock),
        freeze_qty=_equity_freeze(stock),
        is_cas_enabled=stock.cas,
    )
    return listing.add(instrument, lambda: round_to_tick(stock.price, instrument.tick_size))


def _list_bse_stock(listing: Listing, stock: StockSpec) -> None:
    if stock.bse_code is None:
        return
    instrument = Instrument(
        exch_seg="BSE",
        token=listing.tokens.claim("BSE", stock.name, stock.bse_code),
        symbol=stock.name,
        name=stock.name,
        instrumenttype="",
        lotsize=stock.lotsize,
        tick_size=equity_tick(stock),
        freeze_qty=_equity_freeze(stock),
    )
    listing.add(instrument, lambda: round_to_tick(stock.price, instrument.tick_size))


# ------------------------------------------------------------------ synthetic stocks


def synthetic_name(index: int) -> str:
    """``SBXAAAA``, ``SBXAAAB``, …: names no real listing uses."""
    letters = string.ascii_uppercase
    chars = []
    for _ in range(4):
        index, rest = divmod(index, 26)
        chars.append(letters[rest])
    return "SBX" + "".join(reversed(chars))


def synthetic_stocks(count: int) -> list[StockSpec]:
    out = []
    for i in range(count):
        name = synthetic_name(i)
        rupees = 20 + zlib.crc32(name.encode()) % 4980
        tick = 1 if rupees < 250 else 5 if rupees < 1000 else 10 if rupees < 5000 else 50
        out.append(StockSpec(name, "", tick, Decimal(rupees), bse_code=""))
    return out


def synthetic_derivative(stock: StockSpec) -> StockDerivativeSpec:
    price = stock.price
    lot = max(25, int(Decimal(700_000) / price / 25) * 25)
    step = (
        Decimal("2.5")
        if price < 250
        else Decimal(5)
        if price < 500
        else Decimal(10)
        if price < 1000
        else Decimal(20)
        if price < 2500
        else Decimal(50)
    )
    return StockDerivativeSpec(stock.name, lot, step, 30)
