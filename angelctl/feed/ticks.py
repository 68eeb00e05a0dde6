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
- A decoded SNAP_QUOTE's ``bids``/``asks`` are ``BookSide`` views over the packet's bytes: no
  ``DepthLevel`` exists (nor are the book's 40 numbers unpacked) until a level is read, then
  all five are built once and kept. A view is a read-only ``Sequence[DepthLevel]`` equal to
  the tuple of its levels.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import overload


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


#: one side of a SNAP_QUOTE's best five on the wire: 5 × (flag i16, quantity i64, price i64,
#: orders i16), little-endian — ``feed.layout`` asserts it matches its SNAP_QUOTE layout
BEST_FIVE_SIDE = struct.Struct("<" + "hqqh" * 5)


class BookSide(Sequence[DepthLevel]):
    """Five best-five levels kept as the packet bytes; ``DepthLevel``s are built on access.

    ``BookSide(data, offset)``: the side starts at ``data[offset]`` (``BEST_FIVE_SIDE``). The
    decoder has validated the bytes already (flags, non-negative quantities and order counts).
    """

    __slots__ = ("_data", "_levels", "_offset")
    COUNT = 5

    def __init__(self, data: bytes, offset: int) -> None:
        self._data = data
        self._offset = offset
        self._levels: tuple[DepthLevel, ...] | None = None

    def levels(self) -> tuple[DepthLevel, ...]:
        """The five levels as a tuple (built on the first call, then kept)."""
        levels = self._levels
        if levels is None:
            v = BEST_FIVE_SIDE.unpack_from(self._data, self._offset)
            levels = self._levels = tuple(
                DepthLevel(v[i + 1], v[i + 2], v[i + 3]) for i in range(0, 20, 4)
            )
        return levels

    def __len__(self) -> int:
        return self.COUNT

    @overload
    def __getitem__(self, index: int) -> DepthLevel: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[DepthLevel, ...]: ...

    def __getitem__(self, index: int | slice) -> DepthLevel | tuple[DepthLevel, ...]:
        return self.levels()[index]

    def __iter__(self) -> Iterator[DepthLevel]:
        return iter(self.levels())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BookSide):
            other = other.levels()
        return isinstance(other, tuple) and self.levels() == other

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, so not hashable

    def __repr__(self) -> str:
        return repr(self.levels())


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
    bids: Sequence[DepthLevel]  # a tuple, or a lazy ``BookSide`` when decoded
    asks: Sequence[DepthLevel]
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
