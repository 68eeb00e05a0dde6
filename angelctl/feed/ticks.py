"""Typed ticks of the WebSocket 2.0 market feed (docs/protocol.md#binary-tick-layout), shared by
decoder and encoder.

Prices travel as integers in the feed's unit: paise for every segment except cde_fo
(exchange type 13), whose prices are scaled by 1e7. A tick keeps those raw integers (``*_raw``
fields, cheap to decode) and its ``divisor``; the un-suffixed properties give exact ``Decimal``
rupees. Quantities, volume and open interest are plain units, never lots.

Invariants:
- A tick object is only ever built from a packet that passed validation (``feed.decode``) or by
  code that means to encode it (``feed.encode``, the sandbox); there is no "partial" tick.
- ``mode`` is the subscription mode the packet carries; ``LtpTick`` < ``QuoteTick`` <
  ``SnapQuoteTick`` by inheritance, so code that wants an LTP accepts any of them.
- Best-five levels are ordered as on the wire: bids first (best first), then asks (best first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum


class Mode(IntEnum):
    LTP = 1
    QUOTE = 2
    SNAP_QUOTE = 3
    DEPTH = 4  # 20-level book, deprecated by Angel in April 2025 (docs/protocol.md#feed-limits)


class ExchangeType(IntEnum):
    NSE_CM = 1
    NSE_FO = 2
    BSE_CM = 3
    BSE_FO = 4
    MCX_FO = 5
    NCX_FO = 7
    CDE_FO = 13


#: exchange types whose prices are scaled by 1e7 instead of 100 (docs/protocol.md#binary-tick-layout
#: "Units")
CURRENCY_EXCHANGE_TYPES = frozenset({ExchangeType.CDE_FO})
PAISE = 100
CURRENCY_SCALE = 10_000_000


def divisor_for(exchange_type: int) -> int:
    return CURRENCY_SCALE if exchange_type in CURRENCY_EXCHANGE_TYPES else PAISE


def scaled(raw: int, divisor: int) -> Decimal:
    return Decimal(raw) / divisor


@dataclass(slots=True)
class DepthLevel:
    quantity: int
    price_raw: int
    orders: int


@dataclass(slots=True)
class LtpTick:
    """Common header: the whole of an LTP packet (51 bytes)."""

    mode: int
    exchange_type: int
    token: str
    sequence: int
    exchange_time_ms: int  # epoch milliseconds
    ltp_raw: int

    @property
    def divisor(self) -> int:
        return divisor_for(self.exchange_type)

    @property
    def ltp(self) -> Decimal:
        return scaled(self.ltp_raw, self.divisor)


@dataclass(slots=True)
class QuoteTick(LtpTick):
    """QUOTE packet (123 bytes). ``close`` is the previous trading day's close."""

    last_traded_qty: int
    avg_price_raw: int
    volume: int
    total_buy_qty: float
    total_sell_qty: float
    open_raw: int
    high_raw: int
    low_raw: int
    close_raw: int

    @property
    def avg_price(self) -> Decimal:
        return scaled(self.avg_price_raw, self.divisor)

    @property
    def open(self) -> Decimal:
        return scaled(self.open_raw, self.divisor)

    @property
    def high(self) -> Decimal:
        return scaled(self.high_raw, self.divisor)

    @property
    def low(self) -> Decimal:
        return scaled(self.low_raw, self.divisor)

    @property
    def close(self) -> Decimal:
        return scaled(self.close_raw, self.divisor)


@dataclass(slots=True)
class SnapQuoteTick(QuoteTick):
    """SNAP_QUOTE packet (379 bytes): adds OI, best five each side, circuits and 52-week range."""

    last_traded_time_s: int  # epoch seconds
    open_interest: int
    oi_change_pct: float
    bids: tuple[DepthLevel, ...]
    asks: tuple[DepthLevel, ...]
    upper_circuit_raw: int
    lower_circuit_raw: int
    high_52w_raw: int
    low_52w_raw: int

    @property
    def upper_circuit(self) -> Decimal:
        return scaled(self.upper_circuit_raw, self.divisor)

    @property
    def lower_circuit(self) -> Decimal:
        return scaled(self.lower_circuit_raw, self.divisor)

    @property
    def high_52w(self) -> Decimal:
        return scaled(self.high_52w_raw, self.divisor)

    @property
    def low_52w(self) -> Decimal:
        return scaled(self.low_52w_raw, self.divisor)


@dataclass(slots=True)
class DepthTick:
    """DEPTH-20 packet (443 bytes; legacy mode 4, nse_cm only)."""

    exchange_type: int
    token: str
    exchange_time_ms: int
    packet_received_ms: int  # "a dummy value" per the docs
    bids: tuple[DepthLevel, ...] = field(default=())
    asks: tuple[DepthLevel, ...] = field(default=())
    mode: int = Mode.DEPTH

    @property
    def divisor(self) -> int:
        return divisor_for(self.exchange_type)


Tick = LtpTick | QuoteTick | SnapQuoteTick | DepthTick
