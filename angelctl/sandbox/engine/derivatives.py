"""Which futures and options are listed on a day: index, stock, commodity and currency series.

The rules are in ``listing``'s docstring (expiries per ``market_calendar``; strikes either side
of the at-the-money one); this module adds the contracts to a ``Listing``.

Invariant: a pure function of (day, spec, spots): the same inputs list the same contracts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from angelctl.records import record
from angelctl.sandbox.engine.contracts import (
    BSE_INDICES,
    NSE_INDICES,
    REAL_DERIVATIVE_TOKENS,
    CommoditySpec,
    IndexDerivativeSpec,
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
)
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.listing_core import RIGHTS, Listing, UniverseSpec, equity_tick
from angelctl.sandbox.engine.pricing import FUTURES_CARRY, black76, forward, round_to_tick
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


def list_index_derivative(
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


def list_stock_derivative(
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
    futures = Series("NFO", name, "FUTSTK", lot, equity_tick(stock), freeze, spot.key)
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


def list_commodity(listing: Listing, spec: UniverseSpec, commodity: CommoditySpec) -> None:
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
