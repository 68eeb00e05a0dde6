"""Bytes → tick for WebSocket 2.0 binary frames (docs/protocol.md#binary-tick-layout). No I/O.

Entry point: ``decode(data) -> Tick`` (``LtpTick``, ``QuoteTick``, ``SnapQuoteTick`` or
``DepthTick``), and ``DecodeError``, the one exception it raises.

A packet is accepted only if all of these hold, in this order (the ``reason`` on failure):

- ``type``      the input is bytes-like (``bytes``, ``bytearray``, ``memoryview``, any buffer);
- ``length``    it is not shorter than its mode's packet (empty input included);
- ``mode``      the first byte is 1, 2, 3 or 4;
- ``trailing``  it is not longer than its mode's packet (51, 123, 379, 443 bytes);
- ``exchange``  the exchange-type byte is a known one (1, 2, 3, 4, 5, 7, 13);
- ``token``     the 25 token bytes are ASCII digits (at least one) followed only by NULs;
- ``timestamp`` exchange time (and SNAP_QUOTE's last-traded time) is not negative;
- ``quantity``  quantities, volume, open interest and order counts are not negative;
- ``float``     total buy/sell quantity and OI change % are finite (the quantities ≥ 0 too);
- ``flags``     SNAP_QUOTE best-five entries carry flag 1 (bids) ×5 then flag 0 (asks) ×5.

Prices are not range-checked (futures have traded below zero); the sequence number is not
checked at all (the docs: "not available for index feed — ignore").

Invariants: ``decode`` raises ``DecodeError`` and nothing else, whatever it is given, and never
returns a tick that ``feed.encode.encode`` would refuse; a returned tick re-encodes to the same
bytes. Speed: one precompiled ``struct`` unpack per packet (``feed.layout``) and a small cache of
token strings; no per-field slicing. A SNAP_QUOTE's best five are not unpacked at decode: the
flags and signs are checked on the bytes, and ``bids``/``asks`` are lazy ``BookSide`` views
(ten ``DepthLevel`` objects only when a level is read). LTP is decoded inside ``decode``.
"""

from __future__ import annotations

from angelctl.feed.layout import (
    ASK_FLAG,
    BEST_FIVE,
    BID_FLAG,
    BOOK_OFFSET,
    BOOK_SIDE_BYTES,
    DEPTH_STRUCT,
    EXCHANGE_TYPES,
    LTP_STRUCT,
    PACKET_SIZE,
    QUOTE_STRUCT,
    SNAP_SCALARS_STRUCT,
    SNAP_STRUCT,
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

__all__ = ["DecodeError", "decode"]

_TOKEN_CACHE_LIMIT = 8192
_INF = float("inf")


class DecodeError(ValueError):
    """The server sent a frame that is not a valid tick; ``reason`` is a short counter key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"bad tick packet ({reason}){': ' + detail if detail else ''}")
        self.reason = reason


_tokens: dict[bytes, str] = {}
_cached_token = _tokens.get  # bound once: the cache is cleared, never replaced


def _token(raw: bytes) -> str:
    """The token text of 25 wire bytes (cached: a feed repeats a few thousand tokens)."""
    found = _tokens.get(raw)
    if found is not None:
        return found
    digits = raw.rstrip(b"\x00")
    if not digits.isdigit():  # also false for b"" and for NULs between digits
        raise DecodeError("token", repr(raw))
    if len(_tokens) >= _TOKEN_CACHE_LIMIT:
        _tokens.clear()
    text = _tokens[raw] = digits.decode("ascii")
    return text


def _header(exchange: int, token_raw: bytes, exchange_ms: int) -> str:
    if exchange not in EXCHANGE_TYPES:
        raise DecodeError("exchange", str(exchange))
    token = _token(token_raw)
    if exchange_ms < 0:
        raise DecodeError("timestamp", f"exchange time {exchange_ms}")
    return token


def _finite_quantity(value: float) -> bool:
    return 0.0 <= value < _INF  # False for NaN, negatives and infinity


def decode(data: bytes | bytearray | memoryview) -> Tick:
    """The tick in one binary frame; ``DecodeError`` for anything that is not exactly one.

    LTP is decoded inline (the header checks too): the feed's commonest packet pays for no call
    but the ``struct`` unpack and the tick's constructor.
    """
    if type(data) is bytes:
        size = len(data)
        if size == 51:
            mode, exchange, token_raw, seq, ts, ltp = _unpack_ltp(data)
            if mode == 1:
                token = _cached_token(token_raw)
                if token is None or exchange not in EXCHANGE_TYPES or ts < 0:
                    token = _header(exchange, token_raw, ts)
                tick = _new(LtpTick)
                _init_ltp(tick, 1, exchange, token, seq, ts, ltp)
                return tick
        elif size == 379:
            if data[0] == 3:
                return _decode_snap(data)
        elif size == 123:
            if data[0] == 2:
                return _decode_quote(data)
        elif size == 443 and data[0] == 4:
            return _decode_depth(data)
    return _decode_other(data)


def _decode_other(data: bytes | bytearray | memoryview) -> Tick:
    """Anything but a well-sized ``bytes`` packet: a buffer to copy, or a ``DecodeError``."""
    if type(data) is not bytes:
        try:
            data = bytes(memoryview(data))
        except (TypeError, ValueError, BufferError) as exc:
            raise DecodeError("type", type(data).__name__) from exc
        if len(data) in _SIZES:
            return decode(data)
    size = len(data)
    if not size:
        raise DecodeError("length", "empty frame")
    mode = data[0]
    expected = PACKET_SIZE.get(mode)
    if expected is None:
        raise DecodeError("mode", str(mode))
    reason = "length" if size < expected else "trailing"
    raise DecodeError(reason, f"{size} bytes for mode {mode} (expected {expected})")


_unpack_ltp = LTP_STRUCT.unpack_from
# ``_new(cls)`` + the dataclass ``__init__`` called as a plain function builds the same tick as
# ``cls(...)`` (the tick classes define no ``__new__``) without ``type.__call__``: 3.11 inlines
# a Python-to-Python call. About 30 ns an object, measured; the LTP figure needs it.
_new = object.__new__
_init_ltp = LtpTick.__init__
_init_snap = SnapQuoteTick.__init__
_init_side = BookSide.__init__


def _decode_quote(data: bytes) -> QuoteTick:
    (_, exchange, token_raw, seq, ts, ltp, ltq, avg, vol, tbq, tsq, op, hi, lo, cl) = (
        QUOTE_STRUCT.unpack_from(data)
    )
    token = _header(exchange, token_raw, ts)
    _check_quote(ltq, vol, tbq, tsq)
    return QuoteTick(2, exchange, token, seq, ts, ltp, ltq, avg, vol, tbq, tsq, op, hi, lo, cl)


def _check_quote(ltq: int, vol: int, tbq: float, tsq: float) -> None:
    if ltq < 0 or vol < 0:
        raise DecodeError("quantity", f"last traded qty {ltq}, volume {vol}")
    if not (_finite_quantity(tbq) and _finite_quantity(tsq)):
        raise DecodeError("float", f"total buy {tbq!r}, total sell {tsq!r}")


def _decode_snap(data: bytes) -> SnapQuoteTick:
    v = _unpack_snap_scalars(data)  # 22 fields; the best five stay bytes (``ticks.BookSide``)
    exchange, ts = v[1], v[4]
    token = _cached_token(v[2])  # inlined ``_header`` for the hot path
    if token is None or exchange not in EXCHANGE_TYPES or ts < 0:
        token = _header(exchange, v[2], ts)
    tbq, tsq, oi_change = v[9], v[10], v[17]
    if not (0.0 <= tbq < _INF and 0.0 <= tsq < _INF and -_INF < oi_change < _INF):
        raise DecodeError("float", f"totals {tbq!r}/{tsq!r}, OI change {oi_change!r}")
    if v[15] < 0:
        raise DecodeError("timestamp", f"last traded time {v[15]}")
    # The flags (int16 at 147 + 20i): low bytes 1 ×5 then 0 ×5, high bytes all 0.
    if data[147:347:20] != _BOOK_FLAG_LOW or data[148:347:20] != _BOOK_FLAG_HIGH:
        raise DecodeError("flags", repr(SNAP_STRUCT.unpack_from(data)[18:58:4]))
    # The sign bytes of the ten best-five quantities (int64 at 149 + 20i, top byte 156 + 20i)
    # and order counts (int16 at 165 + 20i, top byte 166 + 20i) are every 10th byte from 156:
    # all below 0x80 (ASCII) when none is negative.
    if v[6] < 0 or v[8] < 0 or v[16] < 0 or not data[156:347:10].isascii():
        raise DecodeError("quantity", "negative quantity, volume, OI or order count")
    tick = _new(SnapQuoteTick)
    bids, asks = _new(BookSide), _new(BookSide)
    _init_side(bids, data, BOOK_OFFSET)
    _init_side(asks, data, BOOK_OFFSET + BOOK_SIDE_BYTES)
    _init_snap(
        tick, 3, exchange, token, v[3], ts, v[5], v[6], v[7], v[8], tbq, tsq, v[11], v[12],
        v[13], v[14], v[15], v[16], oi_change, bids, asks, v[18], v[19], v[20], v[21],
    )  # fmt: skip
    return tick


_unpack_snap_scalars = SNAP_SCALARS_STRUCT.unpack_from
_BOOK_FLAG_LOW = bytes([BID_FLAG] * BEST_FIVE + [ASK_FLAG] * BEST_FIVE)
_BOOK_FLAG_HIGH = bytes(2 * BEST_FIVE)


def _decode_depth(data: bytes) -> DepthTick:
    v = DEPTH_STRUCT.unpack_from(data)
    exchange, ts = v[1], v[3]
    token = _header(exchange, v[2], ts)
    book = v[5:]
    if min(book[0::3]) < 0 or min(book[2::3]) < 0:
        raise DecodeError("quantity", "negative depth quantity or order count")
    levels = [DepthLevel(book[i], book[i + 1], book[i + 2]) for i in range(0, 120, 3)]
    return DepthTick(exchange, token, ts, v[4], tuple(levels[:20]), tuple(levels[20:]), 4)


_SIZES = frozenset(PACKET_SIZE.values())
