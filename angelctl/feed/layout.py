"""The byte layout of WebSocket 2.0 ticks (docs/protocol.md#binary-tick-layout), shared by
``decode`` and ``encode``.

One precompiled little-endian ``struct.Struct`` per packet mode covers the whole packet, so a
decoder makes a single ``unpack_from`` call and an encoder a single ``pack`` call:

==========  =====  =======================================================================
mode        bytes  fields, in order
==========  =====  =======================================================================
LTP (1)     51     mode, exchange type, token[25], sequence, exchange ts (ms), LTP
QUOTE (2)   123    LTP fields + last traded qty, average price, volume, total buy qty (f64),
                   total sell qty (f64), open, high, low, close
SNAP (3)    379    QUOTE fields + last traded ts (s), open interest, OI change % (f64),
                   10 × (flag i16, quantity i64, price i64, orders i16) — 5 bids (flag 1)
                   then 5 asks (flag 0) — upper circuit, lower circuit, 52-week high, low
DEPTH (4)   443    mode, exchange type, token[25], exchange ts (ms), packet received ts,
                   20 bids then 20 asks × (quantity i32, price i32, orders i16)
==========  =====  =======================================================================

``SNAP_SCALARS_STRUCT`` reads a SNAP_QUOTE's 22 scalar fields and skips its best five, which
``ticks.BookSide`` unpacks (with ``ticks.BEST_FIVE_SIDE``) only when a level is read.

Invariants: ``PACKET_SIZE[mode] == STRUCTS[mode].size``; the scalar view and the best-five side
agree with the full SNAP_QUOTE layout — asserted below, at import.
"""

from __future__ import annotations

import struct

from angelctl.feed.ticks import BEST_FIVE_SIDE, ExchangeType, Mode

TOKEN_WIDTH = 25
BEST_FIVE = 5
DEPTH_LEVELS = 20
BID_FLAG = 1
ASK_FLAG = 0

HEADER = "<BB25sqqq"
QUOTE_FIELDS = "qqqddqqqq"
SNAP_FIELDS = "qqd" + "hqqh" * (2 * BEST_FIVE) + "qqqq"
DEPTH = "<BB25sqq" + "iih" * (2 * DEPTH_LEVELS)

LTP_STRUCT = struct.Struct(HEADER)
QUOTE_STRUCT = struct.Struct(HEADER + QUOTE_FIELDS)
SNAP_STRUCT = struct.Struct(HEADER + QUOTE_FIELDS + SNAP_FIELDS)
DEPTH_STRUCT = struct.Struct(DEPTH)
#: SNAP_QUOTE without its best five (skipped as pad bytes: ``ticks.BookSide`` reads them lazily)
BOOK_OFFSET = struct.calcsize(HEADER + QUOTE_FIELDS + "qqd")  # 147: the first bid's flag
BOOK_SIDE_BYTES = BEST_FIVE_SIDE.size  # 100: the asks start at BOOK_OFFSET + 100
SNAP_SCALARS_STRUCT = struct.Struct(
    HEADER + QUOTE_FIELDS + "qqd" + f"{2 * BOOK_SIDE_BYTES}x" + "qqqq"
)

STRUCTS = {
    Mode.LTP: LTP_STRUCT,
    Mode.QUOTE: QUOTE_STRUCT,
    Mode.SNAP_QUOTE: SNAP_STRUCT,
    Mode.DEPTH: DEPTH_STRUCT,
}
PACKET_SIZE = {1: 51, 2: 123, 3: 379, 4: 443}

#: the exchange-type byte values the feed uses (docs/protocol.md#subscribe-requests)
EXCHANGE_TYPES = frozenset(int(e) for e in ExchangeType)

INT16_MAX = 2**15 - 1
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

for _mode, _struct in STRUCTS.items():
    assert PACKET_SIZE[_mode] == _struct.size, (_mode, _struct.size)
assert SNAP_SCALARS_STRUCT.size == SNAP_STRUCT.size
assert BEST_FIVE_SIDE.format == "<" + "hqqh" * BEST_FIVE
