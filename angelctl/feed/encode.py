"""Tick → bytes for WebSocket 2.0 binary frames (docs/protocol.md#binary-tick-layout). No I/O.

Entry point: ``encode(tick) -> bytes``, and ``EncodeError``, raised when the tick cannot be put
on the wire as a packet ``feed.decode.decode`` would accept: an unknown tick type, a ``mode``
that does not match the tick's class, an unknown exchange type, a token that is not 1–25 ASCII
digits, negative quantities or timestamps, non-finite floats, the wrong number of book levels
(5 + 5 for SNAP_QUOTE, 20 + 20 for DEPTH), or a value outside its wire integer's range.

Users: the sandbox's market feed (the one module of ``feed`` it may import) and tests.
``EncodeError`` is a local fault ("we built a bad packet"), deliberately not related to
``DecodeError`` ("the server sent one").

Invariant: for every tick ``t`` that ``encode`` accepts, ``decode(encode(t)) == t``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

from angelctl.feed.layout import (
    ASK_FLAG,
    BEST_FIVE,
    BID_FLAG,
    DEPTH_LEVELS,
    DEPTH_STRUCT,
    EXCHANGE_TYPES,
    LTP_STRUCT,
    QUOTE_STRUCT,
    SNAP_STRUCT,
    TOKEN_WIDTH,
)
from angelctl.feed.ticks import (
    BookSide,
    DepthLevel,
    DepthTick,
    LtpTick,
    QuoteTick,
    SnapQuoteTick,
    Tick,
)

__all__ = ["EncodeError", "encode"]

_INF = float("inf")


class EncodeError(ValueError):
    """A tick that cannot be encoded as a valid packet (a local bug, not a server fault)."""


def encode(tick: Tick) -> bytes:
    """The binary frame for ``tick``; ``EncodeError`` if it would not decode back to ``tick``."""
    kind = type(tick)
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        raise EncodeError(f"not a tick: {kind.__name__}")
    try:
        return encoder(tick)
    except (struct.error, TypeError, AttributeError, OverflowError) as exc:
        raise EncodeError(f"cannot encode {kind.__name__}: {exc}") from exc


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise EncodeError(message)


def _token(token: Any) -> bytes:
    _require(
        isinstance(token, str)
        and 0 < len(token) <= TOKEN_WIDTH
        and token.isascii()
        and token.isdigit(),
        f"token must be 1-{TOKEN_WIDTH} ASCII digits, not {token!r}",
    )
    return str(token).encode("ascii")


def _header(tick: LtpTick | DepthTick, mode: int) -> bytes:
    _require(tick.mode == mode, f"{type(tick).__name__} must carry mode {mode}, not {tick.mode}")
    _require(tick.exchange_type in EXCHANGE_TYPES, f"unknown exchange type {tick.exchange_type}")
    _require(tick.exchange_time_ms >= 0, "exchange time must not be negative")
    return _token(tick.token)


def _quantity(value: Any, name: str) -> None:
    _require(isinstance(value, int) and value >= 0, f"{name} must be an int >= 0, not {value!r}")


def _finite(value: Any, name: str, *, non_negative: bool) -> None:
    _require(
        isinstance(value, int | float)
        and -_INF < value < _INF
        and (value >= 0 or not non_negative),
        f"{name} must be a finite number{' >= 0' if non_negative else ''}, not {value!r}",
    )


def _encode_ltp(t: LtpTick) -> bytes:
    token = _header(t, 1)
    return LTP_STRUCT.pack(1, t.exchange_type, token, t.sequence, t.exchange_time_ms, t.ltp_raw)


def _quote_fields(t: QuoteTick) -> tuple[Any, ...]:
    _quantity(t.last_traded_qty, "last_traded_qty")
    _quantity(t.volume, "volume")
    _finite(t.total_buy_qty, "total_buy_qty", non_negative=True)
    _finite(t.total_sell_qty, "total_sell_qty", non_negative=True)
    return (
        t.last_traded_qty, t.avg_price_raw, t.volume, t.total_buy_qty, t.total_sell_qty,
        t.open_raw, t.high_raw, t.low_raw, t.close_raw,
    )  # fmt: skip


def _encode_quote(t: QuoteTick) -> bytes:
    token = _header(t, 2)
    return QUOTE_STRUCT.pack(
        2, t.exchange_type, token, t.sequence, t.exchange_time_ms, t.ltp_raw, *_quote_fields(t)
    )


def _levels(levels: Any, count: int, side: str) -> Sequence[DepthLevel]:
    _require(
        isinstance(levels, tuple | list | BookSide) and len(levels) == count,
        f"{side} must be {count} levels",
    )
    for level in levels:
        _require(isinstance(level, DepthLevel), f"{side} levels must be DepthLevel")
        _quantity(level.quantity, f"{side} quantity")
        _quantity(level.orders, f"{side} orders")
    return levels  # type: ignore[no-any-return]


def _encode_snap(t: SnapQuoteTick) -> bytes:
    token = _header(t, 3)
    quote = _quote_fields(t)
    _require(t.last_traded_time_s >= 0, "last traded time must not be negative")
    _quantity(t.open_interest, "open_interest")
    _finite(t.oi_change_pct, "oi_change_pct", non_negative=False)
    book: list[int] = []
    for flag, levels in (
        (BID_FLAG, _levels(t.bids, BEST_FIVE, "bids")),
        (ASK_FLAG, _levels(t.asks, BEST_FIVE, "asks")),
    ):
        for level in levels:
            book += (flag, level.quantity, level.price_raw, level.orders)
    return SNAP_STRUCT.pack(
        3, t.exchange_type, token, t.sequence, t.exchange_time_ms, t.ltp_raw, *quote,
        t.last_traded_time_s, t.open_interest, t.oi_change_pct, *book,
        t.upper_circuit_raw, t.lower_circuit_raw, t.high_52w_raw, t.low_52w_raw,
    )  # fmt: skip


def _encode_depth(t: DepthTick) -> bytes:
    token = _header(t, 4)
    book: list[int] = []
    for levels in (_levels(t.bids, DEPTH_LEVELS, "bids"), _levels(t.asks, DEPTH_LEVELS, "asks")):
        for level in levels:
            book += (level.quantity, level.price_raw, level.orders)
    return DEPTH_STRUCT.pack(
        4, t.exchange_type, token, t.exchange_time_ms, t.packet_received_ms, *book
    )


# Exact types: a subclass of a tick class might carry fields the wire cannot.
_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    LtpTick: _encode_ltp,
    QuoteTick: _encode_quote,
    SnapQuoteTick: _encode_snap,
    DepthTick: _encode_depth,
}
