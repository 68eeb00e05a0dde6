"""What ties an option's paper price to its underlying: the Black-76 model the listing priced it
with (``pricing``), refitted to the option's own reference premium, and the shape of its open
interest.

``OptionModel.fit`` recovers the volatility at which Black-76 gives the option's reference
premium from the underlying's reference level (bisection: monotone in volatility, so it cannot
diverge); ``value(spot)`` is then the model premium at any underlying level. The market
(``market.Market``) walks an option's log price around ``log(value(underlying LTP))`` instead of
a fixed centre, so calls rise and puts fall with the index while each keeps its own small
noise, and put-call parity holds within that noise. ``refit`` re-solves the volatility so that
``value`` is a given premium (an admin ``set_ltp``).

The forward is the underlying's price carried to expiry at ``FUTURES_CARRY`` for an index or a
stock, and the price itself for an option on a future (MCX, CDS), as the listing does; time to
expiry counts from the trading day (``pricing.years_to``).

Invariants: pure functions of their inputs; no clock, no randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.pricing import FUTURES_CARRY, black76, forward, years_to

_VOL_LOW, _VOL_HIGH = 0.005, 5.0


class UniverseView(Protocol):
    def instrument(self, exch_seg: str, token: str) -> Instrument | None: ...

    def reference_price(self, exch_seg: str, token: str) -> Decimal: ...


@dataclass(slots=True)
class OptionModel:
    strike: float
    right: str
    years: float
    carry: float  # 0 for an option on a future
    vol: float

    def value(self, spot: float) -> float:
        return black76(forward(Decimal(repr(spot)), self.carry, self.years), self.strike,
                       self.years, self.vol, self.right)  # fmt: skip

    def refit(self, premium: float, spot: float) -> None:
        """Set ``vol`` so that ``value(spot)`` is ``premium`` (clamped to the bracket)."""
        low, high = _VOL_LOW, _VOL_HIGH
        for _ in range(60):
            middle = (low + high) / 2
            self.vol = middle
            if self.value(spot) < premium:
                low = middle
            else:
                high = middle
        self.vol = (low + high) / 2

    @classmethod
    def fit(cls, universe: UniverseView, instrument: Instrument, day: date) -> OptionModel | None:
        """The model of a listed option with an underlying; None for anything else."""
        if not instrument.is_option or instrument.underlying is None:
            return None
        if instrument.strike is None or instrument.expiry is None or not instrument.option_type:
            return None
        underlying = universe.instrument(*instrument.underlying)
        if underlying is None:
            return None
        try:
            spot = float(universe.reference_price(*underlying.key))
            premium = float(universe.reference_price(*instrument.key))
        except KeyError:
            return None
        carry = 0.0 if underlying.is_future else FUTURES_CARRY
        years = years_to(instrument.expiry, day)
        model = cls(float(instrument.strike), instrument.option_type, years, carry, 0.2)
        model.refit(premium, spot)
        return model


def oi_shape(universe: UniverseView, instrument: Instrument) -> float:
    """How an option's OI compares with the series' typical contract: highest a little out of
    the money (calls just above the spot, puts just below, where writers sell), a tenth of it
    far away, a third more on round hundreds. Futures: 1."""
    if not instrument.is_option or instrument.strike is None or instrument.underlying is None:
        return 1.0
    try:
        spot = float(universe.reference_price(*instrument.underlying))
    except KeyError:
        return 1.0
    strike = float(instrument.strike)
    centre = 0.01 if instrument.option_type == "CE" else -0.01
    distance = (math.log(strike / spot) - centre) / 0.015
    shape = 0.1 + math.exp(-0.5 * distance * distance)
    return shape * (1.3 if strike >= 1000 and strike % 100 == 0 else 1.0)
