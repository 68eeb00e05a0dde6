"""The day's P&L from the broker's position rows, marked to live prices where we have them.

``day_pnl(positions, ltps)`` re-marks each open position to a live LTP (from the market feed)
and sums realised, unrealised and total P&L, overall and by segment (the position's exchange:
NSE, NFO, BSE, BFO, MCX, CDS, …). Pure arithmetic on ``Decimal``: no I/O, no clock, no rich.

Invariants:
- Realised P&L is the broker's, untouched: a live price does not change what was booked.
- Unrealised P&L at a live LTP is the broker's unrealised moved by ``net_qty × (live − broker
  LTP)``: it equals the broker's figure at the broker's own LTP, so a refresh never jumps, and
  it is exact where quantities are in units and P&L is quantity × price (NSE, NFO, BSE, BFO).
  For segments whose P&L carries a contract multiplier the row does not give (MCX, CDS, NCDEX)
  the broker's figures are kept as they are until the next refresh (``marked`` is False).
- A flat position (net 0) has no unrealised P&L to re-mark; it still counts for realised.
- Totals are sums over every row passed in (flat ones included), so they match ``positions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from angelctl.broker.portfolio import Position
from angelctl.records import record

#: segments where P&L is quantity × price move, so a live LTP can re-mark the broker's figure
MARKABLE_SEGMENTS = frozenset({"NSE", "NFO", "BSE", "BFO"})
ZERO = Decimal(0)
PAISE = Decimal("0.01")

PositionKey = tuple[str, str]  # (exchange, token)


@record
class SegmentPnl:
    segment: str
    realised: Decimal
    unrealised: Decimal
    open: int  # open positions in this segment

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "realised": self.realised,
            "unrealised": self.unrealised,
            "total": self.total,
            "open": self.open,
        }


@record
class DayPnl:
    """The summary ``positions`` prints under its table and ``positions --watch`` keeps live."""

    realised: Decimal
    unrealised: Decimal
    segments: tuple[SegmentPnl, ...]  # sorted by segment name
    marked: int  # open positions re-marked to a live LTP
    open: int

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised

    def as_dict(self) -> dict[str, Any]:
        return {
            "realised": self.realised,
            "unrealised": self.unrealised,
            "total": self.total,
            "open": self.open,
            "marked_live": self.marked,
            "by_segment": [s.as_dict() for s in self.segments],
        }


def key_of(position: Position) -> PositionKey:
    return (position.exchange, position.token)


def marked(position: Position, ltp: Decimal | None) -> Position:
    """``position`` with its LTP, unrealised and total P&L at ``ltp`` (unchanged when ``ltp`` is
    None, the position is flat, or its segment cannot be re-marked)."""
    if ltp is None or not position.is_open or position.exchange not in MARKABLE_SEGMENTS:
        return position
    ltp = ltp.quantize(PAISE)  # the feed's Decimal(raw) / 100 drops trailing zeros
    unrealised = (position.unrealised + position.net_qty * (ltp - position.ltp)).quantize(PAISE)
    return replace(position, ltp=ltp, unrealised=unrealised, pnl=position.realised + unrealised)


def mark_all(positions: Iterable[Position], ltps: Mapping[PositionKey, Decimal]) -> list[Position]:
    return [marked(p, ltps.get(key_of(p))) for p in positions]


def day_pnl(
    positions: Iterable[Position], ltps: Mapping[PositionKey, Decimal] | None = None
) -> DayPnl:
    """Totals and per-segment figures of ``positions`` re-marked to ``ltps`` (none: the
    broker's own figures)."""
    rows = list(positions)
    ltps = ltps or {}
    segments: dict[str, list[Decimal | int]] = {}
    realised = unrealised = ZERO
    live = 0
    for original in rows:
        p = marked(original, ltps.get(key_of(original)))
        live += int(p is not original)
        seg = segments.setdefault(p.exchange, [ZERO, ZERO, 0])
        seg[0] = Decimal(seg[0]) + p.realised
        seg[1] = Decimal(seg[1]) + p.unrealised
        seg[2] = int(seg[2]) + int(p.is_open)
        realised += p.realised
        unrealised += p.unrealised
    return DayPnl(
        realised=realised,
        unrealised=unrealised,
        segments=tuple(
            SegmentPnl(name, Decimal(r), Decimal(u), int(n))
            for name, (r, u, n) in sorted(segments.items())
        ),
        marked=live,
        open=sum(1 for p in rows if p.is_open),
    )
