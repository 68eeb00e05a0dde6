"""The sandbox's margin calculator (``margin/v1/batch``): SPAN-like margins for a basket of new
positions, as documented in docs/margins.md#margins-sandbox-approximation.

Each leg is margined exactly as the paper OMS blocks funds for it (``portfolio.margin``: cash
delivery the full value, cash intraday ``intraday_margin_percent``, futures and short options
``derivatives_margin_percent`` of the contract value / strike notional, long options the
premium), so a basket the calculator says fits in the funds is one the OMS accepts. Then hedges
earn a benefit:

- a short option paired with a long option of the same underlying, expiry and type (a vertical
  spread): the matched quantity's margin is capped at the strike difference (its maximum loss);
- long and short futures of the same underlying (a calendar spread): ``CALENDAR_BENEFIT`` of the
  smaller side's margin.

Invariants: pure (no clock, no books); ``total = span − benefit + delivery + non_nfo +
options_premium`` and the benefit never exceeds the span.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.charges import rupees
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.portfolio import is_cash, margin

ZERO = Decimal(0)
CALENDAR_BENEFIT = Decimal("0.75")


@dataclass(frozen=True)
class Leg:
    instrument: Instrument
    product: str
    side: str
    quantity: int
    price: Decimal  # the order's price, or the LTP for MARKET / a zero price

    @property
    def value(self) -> Decimal:
        return self.price * self.quantity


@dataclass
class Margins:
    span: Decimal = ZERO
    benefit: Decimal = ZERO
    delivery: Decimal = ZERO
    non_nfo: Decimal = ZERO
    options_premium: Decimal = ZERO
    net_premium: Decimal = ZERO  # premium paid minus premium received
    leg_span: list[Decimal] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.span - self.benefit + self.delivery + self.non_nfo + self.options_premium

    def wire(self) -> dict[str, object]:
        return {
            "totalMarginRequired": float(rupees(self.total)),
            "marginComponents": {
                "netPremium": float(rupees(self.net_premium)),
                "spanMargin": float(rupees(self.span)),
                "marginBenefit": float(rupees(self.benefit)),
                "deliveryMargin": float(rupees(self.delivery)),
                "nonNFOMargin": float(rupees(self.non_nfo)),
                "totOptionsPremium": float(rupees(self.options_premium)),
            },
        }


def basket_margin(legs: list[Leg], config: SandboxConfig) -> Margins:
    out = Margins()
    for leg in legs:
        i = leg.instrument
        needed = margin(i, leg.product, leg.side, leg.quantity, leg.price, config)
        span = ZERO
        if i.is_option and leg.side == "BUY":
            out.options_premium += needed
            out.net_premium += leg.value
        elif i.is_option or i.is_future:
            span = needed
            out.span += needed
            if i.is_option:
                out.net_premium -= leg.value
        elif is_cash(i) and leg.product in ("INTRADAY", "BO"):
            out.non_nfo += needed
        else:
            out.delivery += needed
        out.leg_span.append(span)
    out.benefit = min(out.span, _spread_benefit(legs, out.leg_span) + _calendar(legs, out))
    return out


def _spread_benefit(legs: list[Leg], spans: list[Decimal]) -> Decimal:
    """Vertical spreads: a short option's margin on the quantity a long option covers is capped
    at the strike difference."""
    groups: dict[tuple[str, object, object], list[int]] = defaultdict(list)
    for n, leg in enumerate(legs):
        i = leg.instrument
        if i.is_option:
            groups[(i.name, i.expiry, i.option_type)].append(n)
    benefit = ZERO
    for members in groups.values():
        longs = [n for n in members if legs[n].side == "BUY"]
        remaining = {n: legs[n].quantity for n in longs}
        for n in (n for n in members if legs[n].side == "SELL"):
            short, left = legs[n], legs[n].quantity
            per_unit = spans[n] / short.quantity
            for m in longs:
                covered = min(left, remaining[m])
                if covered <= 0:
                    continue
                hedge = legs[m].instrument
                width = abs((short.instrument.strike or ZERO) - (hedge.strike or ZERO))
                benefit += covered * max(per_unit - width, ZERO)
                remaining[m] -= covered
                left -= covered
    return benefit


def _calendar(legs: list[Leg], margins: Margins) -> Decimal:
    """Long against short futures of one underlying: a share of the smaller side's margin."""
    sides: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"BUY": ZERO, "SELL": ZERO})
    for n, leg in enumerate(legs):
        if leg.instrument.is_future:
            sides[leg.instrument.name][leg.side] += margins.leg_span[n]
    return sum((CALENDAR_BENEFIT * min(s["BUY"], s["SELL"]) for s in sides.values()), start=ZERO)
