"""The published charge schedule as the sandbox approximates it
(docs/margins.md#charges-sandbox-approximation).

One executed order in, its charges out: brokerage, STT/CTT, exchange transaction charges, SEBI
fees, stamp duty and GST, each as a rate from ``SCHEDULE`` (one table, one source line per
rate). Rates are the broker's and exchanges' published schedules as of 2025-26, stated from
knowledge and approximate; the sandbox is not a contract note.

Invariants: pure functions of their arguments (no clock, no state); every amount is rounded to
paise once, per component, half-up, and the total is the sum of the rounded components.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from angelctl.sandbox.engine.instrument import Instrument

PAISE = Decimal("0.01")
ZERO = Decimal(0)


def _pct(text: str) -> Decimal:
    return Decimal(text) / 100


@dataclass(frozen=True)
class Rates:
    """Rates of one segment (fractions of the trade value; stamp on buys only)."""

    stt_buy: Decimal
    stt_sell: Decimal
    exchange: Decimal
    stamp_buy: Decimal


# segment → rates. Sources (approximate, published schedules 2025-26): STT/CTT — Finance Act
# (equity delivery 0.1 % both sides; intraday 0.025 % sell; futures 0.02 % sell; options
# 0.1 % of premium sell; commodity futures 0.01 % sell, options 0.05 % sell); exchange
# transaction charges — NSE/BSE/MCX circulars (NSE cash 0.00297 %, NSE futures 0.00173 %, NSE
# options 0.03503 % of premium, BSE cash 0.00375 %, BSE options 0.0325 %, MCX futures 0.0021 %,
# MCX options 0.0418 %, NSE currency futures 0.00035 %, options 0.0311 %); stamp duty — Indian
# Stamp Act as amended 2020 (delivery 0.015 %, intraday 0.003 %, futures 0.002 %, options
# 0.003 %, currency 0.0001 %), buyer only.
SCHEDULE: dict[str, Rates] = {
    "nse_delivery": Rates(_pct("0.1"), _pct("0.1"), _pct("0.00297"), _pct("0.015")),
    "nse_intraday": Rates(ZERO, _pct("0.025"), _pct("0.00297"), _pct("0.003")),
    "bse_delivery": Rates(_pct("0.1"), _pct("0.1"), _pct("0.00375"), _pct("0.015")),
    "bse_intraday": Rates(ZERO, _pct("0.025"), _pct("0.00375"), _pct("0.003")),
    "nfo_futures": Rates(ZERO, _pct("0.02"), _pct("0.00173"), _pct("0.002")),
    "nfo_options": Rates(ZERO, _pct("0.1"), _pct("0.03503"), _pct("0.003")),
    "bfo_futures": Rates(ZERO, _pct("0.02"), ZERO, _pct("0.002")),
    "bfo_options": Rates(ZERO, _pct("0.1"), _pct("0.0325"), _pct("0.003")),
    "mcx_futures": Rates(ZERO, _pct("0.01"), _pct("0.0021"), _pct("0.002")),
    "mcx_options": Rates(ZERO, _pct("0.05"), _pct("0.0418"), _pct("0.003")),
    "cds_futures": Rates(ZERO, ZERO, _pct("0.00035"), _pct("0.0001")),
    "cds_options": Rates(ZERO, ZERO, _pct("0.0311"), _pct("0.0001")),
}
# Brokerage: ₹20 or 0.1 % of the order's value, whichever is lower, per executed order; zero
# for cash delivery (the broker's published tariff). SEBI turnover fee: ₹10 per crore. GST:
# 18 % on brokerage + exchange transaction charges + SEBI fee.
BROKERAGE_CAP = Decimal(20)
BROKERAGE_RATE = _pct("0.1")
SEBI_RATE = Decimal(10) / Decimal(10_000_000)
GST_RATE = _pct("18")


def segment(instrument: Instrument, product: str) -> str:
    """The ``SCHEDULE`` key of an order on ``instrument`` with ``product``."""
    exch = instrument.exch_seg.lower()
    if instrument.is_option:
        return f"{exch}_options"
    if instrument.is_future:
        return f"{exch}_futures"
    held = product in ("DELIVERY", "CARRYFORWARD", "MARGIN")
    return f"{exch if exch in ('nse', 'bse') else 'nse'}_{'delivery' if held else 'intraday'}"


def rupees(value: Decimal) -> Decimal:
    return value.quantize(PAISE, rounding=ROUND_HALF_UP) + 0


@dataclass(frozen=True)
class Charges:
    trade_value: Decimal
    brokerage: Decimal
    stt: Decimal
    exchange: Decimal
    sebi: Decimal
    stamp: Decimal
    gst: Decimal
    tax_name: str  # "Securities Transaction Tax" or "Commodities Transaction Tax"

    @property
    def total(self) -> Decimal:
        return self.brokerage + self.stt + self.exchange + self.sebi + self.stamp + self.gst


def order_charges(
    instrument: Instrument, product: str, side: str, quantity: int, price: Decimal
) -> Charges:
    """Charges of one executed order of ``quantity`` at ``price``."""
    value = price * quantity
    key = segment(instrument, product)
    rates = SCHEDULE[key]
    delivery = key.endswith("_delivery")
    brokerage = ZERO if delivery else rupees(min(BROKERAGE_CAP, value * BROKERAGE_RATE))
    buy = side == "BUY"
    stt = rupees(value * (rates.stt_buy if buy else rates.stt_sell))
    exchange = rupees(value * rates.exchange)
    sebi = rupees(value * SEBI_RATE)
    stamp = rupees(value * rates.stamp_buy) if buy else ZERO
    gst = rupees((brokerage + exchange + sebi) * GST_RATE)
    tax = "Commodities Transaction Tax" if key.startswith("mcx") else "Securities Transaction Tax"
    return Charges(rupees(value), brokerage, stt, exchange, sebi, stamp, gst, tax)
