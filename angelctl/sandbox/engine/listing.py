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
"""

from __future__ import annotations

import string
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from angelctl.records import record
from angelctl.sandbox.engine.contracts import (
    BSE_INDICES,
    COMMODITIES,
    INDEX_DERIVATIVES,
    NSE_INDICES,
    REAL_DERIVATIVE_TOKENS,
    STOCK_DERIVATIVES,
    STOCKS,
    CommoditySpec,
    IndexDerivativeSpec,
    IndexSpec,
    StockDerivativeSpec,
    StockSpec,
    bfo_future_symbol,
    bfo_option_symbol,
    cds_future_symbol,
    cds_option_symbol,
    freeze_quantity,
    mcx_future_symbol,
    mcx_option_symbol,
    nfo_future_symbol,
    nfo_option_symbol,
    nse_cash_symbol,
)
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.pricing import FUTURES_CARRY, black76, forward, round_to_tick, years_to
from angelctl.sandbox.market_calendar import (
    GOLD_MONTHS,
    THURSDAY,
    TUESDAY,
    ExpiryRule,
    crudeoil_future_expiry,
    crudeoil_option_expiry,
    gold_future_expiry,
    last_weekday_rule,
    monthly_expiries,
    usdinr_expiry,
    weekly_expiries,
)

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
_EQUITY_FREEZE_VALUE = Decimal(92_000_000)  # rupees; ICICIBANK's real freeze_qty is about this


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
        _list_index_derivative(listing, spec, index_derivative, spots)
    stock_fno = [
        *((d, _stock_spec(d.name)) for d in STOCK_DERIVATIVES),
        *((synthetic_derivative(s), s) for s in stocks[len(STOCKS) :][: spec.synthetic_fno_stocks]),
    ]
    for stock_derivative, stock in stock_fno:
        _list_stock_derivative(listing, spec, stock_derivative, stock, spots[stock.name])
    for commodity in COMMODITIES:
        _list_commodity(listing, spec, commodity)
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


def _equity_tick(stock: StockSpec) -> Decimal:
    return Decimal(stock.tick_paise) / 100


def _equity_freeze(stock: StockSpec) -> int:
    if stock.freeze_qty is not None:
        return stock.freeze_qty
    return int(_EQUITY_FREEZE_VALUE / stock.price) + 1


def _list_stock(listing: Listing, stock: StockSpec) -> Instrument:
    symbol = nse_cash_symbol(stock.name, stock.series)
    instrument = Instrument(
        exch_seg="NSE",
        token=listing.tokens.claim("NSE", symbol, stock.token),
        symbol=symbol,
        name=stock.name,
        instrumenttype="",
        lotsize=stock.lotsize,
        tick_size=_equity_tick(stock),
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
        tick_size=_equity_tick(stock),
        freeze_qty=_equity_freeze(stock),
    )
    listing.add(instrument, lambda: round_to_tick(stock.price, instrument.tick_size))


# ----------------------------------------------------------------------- derivatives


def _strikes(level: float, step: Decimal, per_side: int) -> Iterator[Decimal]:
    atm = (Decimal(str(level)) / step).to_integral_value() * step
    for i in range(-per_side, per_side + 1):
        strike = atm + i * step
        if strike > 0:
            yield strike


@record
class Series:
    """What the contracts of one underlying and kind (futures, or options) have in common."""

    exch_seg: str
    name: str
    kind: str
    lot: int
    tick: Decimal
    freeze: int
    underlying: tuple[str, str] | None


def _add_future(
    listing: Listing, series: Series, symbol: str, expiry: date, spot: Decimal, carry: float
) -> tuple[Instrument, float]:
    """List a future; returns it with its (unrounded) forward price."""
    instrument = _contract(listing, series, symbol, expiry)
    fwd = forward(spot, carry, listing.years(expiry))
    listing.add(instrument, lambda: round_to_tick(fwd, series.tick))
    return instrument, fwd


def _add_option_chain(
    listing: Listing,
    series: Series,
    expiry: date,
    strikes: Iterator[Decimal],
    symbol_of: Callable[[Decimal, str], str],
    fwd: float,
    vol: float,
) -> None:
    years = listing.years(expiry)
    for strike in strikes:
        for right in RIGHTS:
            instrument = _contract(listing, series, symbol_of(strike, right), expiry, strike, right)

            def price(strike: Decimal = strike, right: str = right) -> Decimal:
                return round_to_tick(black76(fwd, float(strike), years, vol, right), series.tick)

            listing.add(instrument, price)


def _contract(
    listing: Listing,
    series: Series,
    symbol: str,
    expiry: date,
    strike: Decimal | None = None,
    right: str | None = None,
) -> Instrument:
    seg = series.exch_seg
    return Instrument(
        exch_seg=seg,
        token=listing.tokens.claim(seg, symbol, REAL_DERIVATIVE_TOKENS.get((seg, symbol))),
        symbol=symbol,
        name=series.name,
        instrumenttype=series.kind,
        lotsize=series.lot,
        tick_size=series.tick,
        freeze_qty=series.freeze,
        expiry=expiry,
        strike=strike,
        option_type=right,
        underlying=series.underlying,
    )


def _list_index_derivative(
    listing: Listing,
    spec: UniverseSpec,
    derivative: IndexDerivativeSpec,
    spots: dict[str, Instrument],
) -> None:
    day, seg, name = listing.day, derivative.exch_seg, derivative.name
    weekday = TUESDAY if seg == "NFO" else THURSDAY
    monthly = monthly_expiries(day, spec.monthlies, last_weekday_rule("FO", weekday))
    weekly = []
    if derivative.weekly:
        weekly = weekly_expiries("FO", day, weekday, spec.weeklies, frozenset(monthly))
    index = spots[name]
    level = next(i.level for i in (*NSE_INDICES, *BSE_INDICES) if i.name == name)
    freeze = freeze_quantity(derivative.freeze_limit, derivative.lot)
    futures = Series(seg, name, "FUTIDX", derivative.lot, derivative.future_tick, freeze, index.key)
    options = Series(seg, name, "OPTIDX", derivative.lot, derivative.option_tick, freeze, index.key)
    future_symbol = nfo_future_symbol if seg == "NFO" else bfo_future_symbol
    for expiry in monthly:
        _add_future(listing, futures, future_symbol(name, expiry), expiry, level, FUTURES_CARRY)
    for expiry in sorted({*monthly, *weekly}):

        def symbol_of(strike: Decimal, right: str, expiry: date = expiry) -> str:
            if seg == "NFO":
                return nfo_option_symbol(name, expiry, strike, right)
            return bfo_option_symbol(name, expiry, strike, right, weekly=expiry not in monthly)

        fwd = forward(level, FUTURES_CARRY, listing.years(expiry))
        strikes = _strikes(float(level), derivative.strike_step, spec.index_strikes)
        _add_option_chain(listing, options, expiry, strikes, symbol_of, fwd, derivative.volatility)


def _list_stock_derivative(
    listing: Listing,
    spec: UniverseSpec,
    derivative: StockDerivativeSpec,
    stock: StockSpec,
    spot: Instrument,
) -> None:
    name, lot = stock.name, derivative.lot
    expiries = monthly_expiries(listing.day, spec.monthlies, last_weekday_rule("FO", TUESDAY))
    freeze = lot * derivative.freeze_lots + 1
    option_tick = Decimal("0.05") if stock.price >= 250 else Decimal("0.01")
    futures = Series("NFO", name, "FUTSTK", lot, _equity_tick(stock), freeze, spot.key)
    options = Series("NFO", name, "OPTSTK", lot, option_tick, freeze, spot.key)
    for expiry in expiries:
        _add_future(
            listing, futures, nfo_future_symbol(name, expiry), expiry, stock.price, FUTURES_CARRY
        )
    for expiry in expiries:

        def symbol_of(strike: Decimal, right: str, expiry: date = expiry) -> str:
            return nfo_option_symbol(name, expiry, strike, right)

        fwd = forward(stock.price, FUTURES_CARRY, listing.years(expiry))
        strikes = _strikes(float(stock.price), derivative.strike_step, spec.stock_strikes)
        _add_option_chain(listing, options, expiry, strikes, symbol_of, fwd, derivative.volatility)


_COMMODITY_RULES: dict[str, tuple[ExpiryRule, frozenset[int] | None, ExpiryRule | None]] = {
    "GOLD": (gold_future_expiry, GOLD_MONTHS, None),
    "CRUDEOIL": (crudeoil_future_expiry, None, crudeoil_option_expiry),
    "USDINR": (usdinr_expiry, None, usdinr_expiry),
}


def _list_commodity(listing: Listing, spec: UniverseSpec, commodity: CommoditySpec) -> None:
    future_rule, months, option_rule = _COMMODITY_RULES[commodity.name]
    seg, name, lot = commodity.exch_seg, commodity.name, commodity.lot
    mcx = seg == "MCX"
    futures = Series(seg, name, "FUTCOM" if mcx else "FUTCUR", lot, commodity.future_tick, 0, None)
    future_symbol = mcx_future_symbol if mcx else cds_future_symbol
    listed: dict[tuple[int, int], tuple[Instrument, float]] = {}
    for expiry in monthly_expiries(listing.day, commodity.futures, future_rule, months):
        symbol = future_symbol(name, expiry)
        listed[(expiry.year, expiry.month)] = _add_future(
            listing, futures, symbol, expiry, commodity.level, commodity.carry
        )
    if option_rule is None or commodity.strike_step is None or commodity.option_tick is None:
        return
    per_side = spec.commodity_strikes if mcx else spec.currency_strikes
    option_symbol = mcx_option_symbol if mcx else cds_option_symbol
    for expiry in monthly_expiries(listing.day, commodity.option_months, option_rule):
        if (expiry.year, expiry.month) not in listed:
            continue  # the month's future has not been listed yet
        underlying, fwd = listed[(expiry.year, expiry.month)]
        kind = "OPTFUT" if mcx else "OPTCUR"
        options = Series(seg, name, kind, lot, commodity.option_tick, 0, underlying.key)

        def symbol_of(strike: Decimal, right: str, expiry: date = expiry) -> str:
            return option_symbol(name, expiry, strike, right)

        strikes = _strikes(fwd, commodity.strike_step, per_side)
        _add_option_chain(listing, options, expiry, strikes, symbol_of, fwd, commodity.volatility)


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
