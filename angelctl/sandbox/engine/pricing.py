"""Reference prices: a plausible level for every instrument, from which live prices start.

Spots come from the reference data (``contracts``); a future is its spot carried forward
(``spot × (1 + carry × T)``); an option is Black-76 on that forward with the underlying's
volatility, no discounting. Every price is rounded to the instrument's tick (at least one tick);
index levels, which have no tick, to 0.05.

Invariants: pure functions of their inputs (no clock, no randomness); results are ``Decimal``.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

INDEX_LEVEL_TICK = Decimal("0.05")
FUTURES_CARRY = 0.065  # annual cost of carry for index and stock futures
_MIN_YEARS = 0.25 / 365


def years_to(expiry: date, day: date) -> float:
    """Time to expiry in years, counting the expiry day as a quarter of a day."""
    return max((expiry - day).days + 0.25, 0.25) / 365


def round_to_tick(value: float | Decimal, tick: Decimal) -> Decimal:
    if tick <= 0:
        tick = INDEX_LEVEL_TICK
    steps = (Decimal(str(value)) / tick).to_integral_value(rounding=ROUND_HALF_UP)
    return (max(steps, Decimal(1)) * tick).quantize(tick)


def forward(spot: Decimal, carry: float, years: float) -> float:
    return float(spot) * (1 + carry * years)


def black76(forward_price: float, strike: float, years: float, vol: float, right: str) -> float:
    """Undiscounted Black-76 value of a European call (``CE``) or put (``PE``)."""
    years = max(years, _MIN_YEARS)
    spread = vol * math.sqrt(years)
    d1 = (math.log(forward_price / strike) + spread * spread / 2) / spread
    d2 = d1 - spread
    if right == "CE":
        return forward_price * _cdf(d1) - strike * _cdf(d2)
    return strike * _cdf(-d2) - forward_price * _cdf(-d1)


def _cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))
