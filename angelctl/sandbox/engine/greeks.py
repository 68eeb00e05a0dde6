"""Black-Scholes greeks and implied volatility of the paper market's options (``optionGreek``).

Model (docs/chain.md): European Black-Scholes on the underlying's spot ``S`` (the index or
stock LTP), strike ``K``, a continuously compounded risk-free rate ``RISK_FREE_RATE`` (6.5 %, the
sandbox's futures carry) and no dividends. Time to expiry ``T`` is in years of 365 days, measured
from the moment asked to 15:30 IST on the expiry day, never less than one minute.

Conventions (those of the broker's published sample, docs/chain.md): delta per rupee of the
underlying (calls 0…1, puts −1…0), gamma per rupee, theta in rupees **per calendar day**, vega in
rupees **per 1 percentage point** of volatility, implied volatility in percent.

Implied volatility is found by bisection on the BS price, which is monotone in volatility, over
``[IV_LOW, IV_HIGH]`` until the bracket is narrower than ``1e-7``: robust where Newton's method
fails (deep out of the money, near expiry). A premium below the model's value at ``IV_LOW`` (at
or under intrinsic value) reads as ``IV_LOW``, one above the value at ``IV_HIGH`` as ``IV_HIGH``;
``solved`` says which case it was.

Invariants: pure functions of their inputs (no clock, no randomness); float arithmetic.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

from angelctl.records import record

RISK_FREE_RATE = 0.065  # continuously compounded, per year
IV_LOW = 0.0001  # 0.01 %
IV_HIGH = 5.0  # 500 %
_TOLERANCE = 1e-7
_MIN_YEARS = 60 / (365 * 86_400)  # one minute
_IST = timezone(timedelta(hours=5, minutes=30))
EXPIRY_TIME = time(15, 30)


def years_to_expiry(expiry: date, now: datetime) -> float:
    """Years (of 365 days) from ``now`` to 15:30 IST on ``expiry``, at least one minute."""
    close = datetime.combine(expiry, EXPIRY_TIME, tzinfo=_IST)
    return max((close - now).total_seconds() / (365 * 86_400), _MIN_YEARS)


def _cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _d1_d2(
    spot: float, strike: float, years: float, vol: float, rate: float
) -> tuple[float, float]:
    spread = vol * math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate + vol * vol / 2) * years) / spread
    return d1, d1 - spread


def bs_price(
    spot: float, strike: float, years: float, vol: float, right: str, rate: float = RISK_FREE_RATE
) -> float:
    """The Black-Scholes value of a European call (``CE``) or put (``PE``)."""
    d1, d2 = _d1_d2(spot, strike, years, vol, rate)
    discount = math.exp(-rate * years)
    if right == "CE":
        return spot * _cdf(d1) - strike * discount * _cdf(d2)
    return strike * discount * _cdf(-d2) - spot * _cdf(-d1)


@record
class Greeks:
    iv: float  # a fraction (0.15 = 15 %)
    solved: bool  # False: the premium lay outside the bracket and ``iv`` is its edge
    delta: float
    gamma: float
    theta: float  # per calendar day
    vega: float  # per 1 percentage point of volatility


def implied_vol(
    premium: float, spot: float, strike: float, years: float, right: str,
    rate: float = RISK_FREE_RATE,
) -> tuple[float, bool]:  # fmt: skip
    """The volatility at which the BS value is ``premium``, and whether it lies in the bracket."""
    low, high = IV_LOW, IV_HIGH
    if premium <= bs_price(spot, strike, years, low, right, rate):
        return low, False
    if premium >= bs_price(spot, strike, years, high, right, rate):
        return high, False
    while high - low > _TOLERANCE:
        middle = (low + high) / 2
        if bs_price(spot, strike, years, middle, right, rate) < premium:
            low = middle
        else:
            high = middle
    return (low + high) / 2, True


def greeks(
    premium: float, spot: float, strike: float, years: float, right: str,
    rate: float = RISK_FREE_RATE,
) -> Greeks:  # fmt: skip
    """IV from ``premium``, and the greeks at that IV."""
    vol, solved = implied_vol(premium, spot, strike, years, right, rate)
    d1, d2 = _d1_d2(spot, strike, years, vol, rate)
    root = math.sqrt(years)
    discount = math.exp(-rate * years)
    decay = -spot * _pdf(d1) * vol / (2 * root)
    if right == "CE":
        delta = _cdf(d1)
        theta = decay - rate * strike * discount * _cdf(d2)
    else:
        delta = _cdf(d1) - 1
        theta = decay + rate * strike * discount * _cdf(-d2)
    return Greeks(
        iv=vol,
        solved=solved,
        delta=delta,
        gamma=_pdf(d1) / (spot * vol * root),
        theta=theta / 365,
        vega=spot * _pdf(d1) * root / 100,
    )
