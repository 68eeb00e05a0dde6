"""The WebSocket 2.0 tick codec: valid ticks round-trip, any other bytes give one DecodeError.

Property tests run a CI-sized number of examples; ``ANGELCTL_FUZZ_EXAMPLES=100000`` (read at
import) runs the long form for scenario docs/scenarios.md#c2--decoder-properties-and-fuzzing. Real
values come from ``tests/realdata/ticks/`` (cited per test).
"""

from __future__ import annotations

import ast
import math
import os
import re
import struct
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from angelctl.feed.decode import DecodeError, decode
from angelctl.feed.encode import EncodeError, encode
from angelctl.feed.ticks import (
    DepthLevel,
    DepthTick,
    ExchangeType,
    LtpTick,
    QuoteTick,
    SnapQuoteTick,
    Tick,
)
from tests.conftest import REALDATA

FUZZ_EXAMPLES = int(os.environ.get("ANGELCTL_FUZZ_EXAMPLES", "0"))
ROUND_TRIP = settings(
    max_examples=FUZZ_EXAMPLES or 150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES or 400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TICKS = REALDATA / "ticks"
JS_TICKS = TICKS / "smartapi_js_ws2_decoded_ticks_QUOTE_SNAPQUOTE_DEPTH20_2024-12-20_Vectra.txt"
PY_TICKS = (
    TICKS / "smartapi_python_ws2_decoded_SNAP_QUOTE_ticks_and_order_updates_2023-2025_index.txt"
)

INT64 = st.integers(-(2**63), 2**63 - 1)
QTY64 = st.integers(0, 2**63 - 1)
TOKENS = st.from_regex(r"[0-9]{1,25}", fullmatch=True)
EXCHANGES = st.sampled_from([int(e) for e in ExchangeType])
QTY_FLOAT = st.floats(min_value=0, allow_nan=False, allow_infinity=False)
ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)


def levels(count: int, qty: Any, price: Any, orders: Any) -> Any:
    level = st.builds(DepthLevel, qty, price, orders)
    return st.lists(level, min_size=count, max_size=count).map(tuple)


LTP_TICKS = st.builds(LtpTick, st.just(1), EXCHANGES, TOKENS, INT64, QTY64, INT64)
QUOTE_TICKS = st.builds(
    QuoteTick, st.just(2), EXCHANGES, TOKENS, INT64, QTY64, INT64,
    QTY64, INT64, QTY64, QTY_FLOAT, QTY_FLOAT, INT64, INT64, INT64, INT64,
)  # fmt: skip
BEST_FIVE = levels(5, QTY64, INT64, st.integers(0, 2**15 - 1))
SNAP_TICKS = st.builds(
    SnapQuoteTick, st.just(3), EXCHANGES, TOKENS, INT64, QTY64, INT64,
    QTY64, INT64, QTY64, QTY_FLOAT, QTY_FLOAT, INT64, INT64, INT64, INT64,
    QTY64, QTY64, ANY_FLOAT, BEST_FIVE, BEST_FIVE, INT64, INT64, INT64, INT64,
)  # fmt: skip
DEPTH_LEVELS = levels(20, st.integers(0, 2**31 - 1), st.integers(-(2**31), 2**31 - 1),
                      st.integers(0, 2**15 - 1))  # fmt: skip
DEPTH_TICKS = st.builds(
    DepthTick, EXCHANGES, TOKENS, QTY64, INT64, DEPTH_LEVELS, DEPTH_LEVELS, st.just(4)
)
ANY_TICK = st.one_of(LTP_TICKS, QUOTE_TICKS, SNAP_TICKS, DEPTH_TICKS)
SIZES = {1: 51, 2: 123, 3: 379, 4: 443}


def snap(**changes: Any) -> SnapQuoteTick:
    """The INFY SNAP_QUOTE of 26-Dec-2024 (PY_TICKS, SOURCE A), with ``changes``."""
    fields: dict[str, Any] = dict(
        mode=3, exchange_type=1, token="1594", sequence=12109948, exchange_time_ms=1735201464000,
        ltp_raw=190735, last_traded_qty=3, avg_price_raw=190899, volume=2129562,
        total_buy_qty=224305.0, total_sell_qty=246078.0, open_raw=190905, high_raw=191975,
        low_raw=190230, close_raw=190905, last_traded_time_s=1735201464, open_interest=78268800,
        oi_change_pct=0.030161594577047538,
        bids=tuple(DepthLevel(q, p, o) for q, p, o in
                   [(2, 190700, 2), (7, 190650, 1), (47, 190645, 3), (103, 190640, 3),
                    (170, 190635, 7)]),
        asks=tuple(DepthLevel(q, p, o) for q, p, o in
                   [(43, 190735, 3), (83, 190740, 3), (99, 190745, 2), (205, 190750, 6),
                    (354, 190755, 9)]),
        upper_circuit_raw=209995, lower_circuit_raw=171815, high_52w_raw=200645,
        low_52w_raw=135835,
    )  # fmt: skip
    fields.update(changes)
    return SnapQuoteTick(**fields)


def valid_packets() -> list[bytes]:
    depth = tuple(DepthLevel(10 + i, 195900 - 5 * i, 1 + i % 3) for i in range(20))
    return [
        encode(LtpTick(1, 1, "3045", 7, 1737356263000, 80055)),
        encode(
            QuoteTick(
                2,
                2,
                "54786",
                1,
                1737356263000,
                25820,
                75,
                19815,
                70813950,
                605175.0,
                281850.0,
                20550,
                26900,
                16710,
                18380,
            )
        ),
        encode(snap()),
        encode(DepthTick(1, "1594", 1734667885562, 0, depth, depth)),
    ]


def reason(data: Any) -> str:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert type(caught.value) is DecodeError
    return caught.value.reason


# ------------------------------------------------------------------------- properties


@ROUND_TRIP
@given(ANY_TICK)
def test_every_valid_tick_round_trips_through_its_packet(tick: Tick) -> None:
    data = encode(tick)
    assert len(data) == SIZES[tick.mode]
    assert decode(data) == tick
    assert decode(bytearray(data)) == tick
    assert decode(memoryview(data)) == tick


def _assert_tick_or_decode_error(data: bytes) -> None:
    try:
        tick = decode(data)
    except DecodeError as exc:
        assert exc.reason in {
            "type", "length", "mode", "trailing", "exchange", "token", "timestamp",
            "quantity", "float", "flags",
        }  # fmt: skip
        return
    # A tick came back: it must be exactly what those bytes say.
    assert encode(tick) == data


@FUZZ
@given(st.binary(max_size=600))
def test_any_byte_string_gives_a_tick_or_one_decode_error(data: bytes) -> None:
    _assert_tick_or_decode_error(data)


@FUZZ
@given(st.sampled_from([1, 2, 3, 4]), st.data())
def test_any_packet_sized_bytes_with_a_mode_byte_give_a_tick_or_decode_error(
    mode: int, draw: st.DataObject
) -> None:
    body = draw.draw(st.binary(min_size=SIZES[mode] - 1, max_size=SIZES[mode] - 1))
    _assert_tick_or_decode_error(bytes([mode]) + body)


@FUZZ
@given(st.sampled_from(valid_packets()), st.integers(0, 442), st.integers(0, 255))
def test_a_valid_packet_with_one_byte_changed_gives_a_tick_or_decode_error(
    packet: bytes, position: int, value: int
) -> None:
    data = bytearray(packet)
    data[position % len(data)] = value
    _assert_tick_or_decode_error(bytes(data))


# -------------------------------------------------------------------------- mutations


@pytest.mark.parametrize("packet", valid_packets(), ids=["ltp", "quote", "snap", "depth"])
def test_truncated_packets_are_length_errors(packet: bytes) -> None:
    for cut in range(len(packet)):
        assert reason(packet[:cut]) == "length"


@pytest.mark.parametrize("packet", valid_packets(), ids=["ltp", "quote", "snap", "depth"])
def test_bytes_after_a_valid_payload_are_rejected(packet: bytes) -> None:
    assert reason(packet + b"\x00") == "trailing"
    assert reason(packet + b"garbage after the payload") == "trailing"


@pytest.mark.parametrize("packet", valid_packets(), ids=["ltp", "quote", "snap", "depth"])
def test_a_flipped_mode_byte_is_rejected(packet: bytes) -> None:
    for mode in range(256):
        if mode == packet[0]:
            continue
        expected_size = SIZES.get(mode)
        got = reason(bytes([mode]) + packet[1:])
        if expected_size is None:
            assert got == "mode"
        else:
            assert got == ("length" if len(packet) < expected_size else "trailing")


def test_rejections_name_their_reason() -> None:
    ltp = bytearray(valid_packets()[0])
    assert reason(b"") == "length"
    assert reason("not bytes") == "type"
    assert reason(51) == "type"
    assert reason([1] * 51) == "type"
    assert reason(None) == "type"
    bad_exchange = bytearray(ltp)
    bad_exchange[1] = 6
    assert reason(bytes(bad_exchange)) == "exchange"
    for token in (b"30a5", b"", b"30\x0045", b" 3045", b"3045\xff"):
        packet = bytearray(ltp)
        packet[2:27] = token.ljust(25, b"\x00")
        assert reason(bytes(packet)) == "token", token
    negative_time = bytearray(ltp)
    negative_time[35:43] = struct.pack("<q", -1)
    assert reason(bytes(negative_time)) == "timestamp"


def test_quote_and_snap_fields_are_validated() -> None:
    quote = bytearray(valid_packets()[1])
    for offset, value, expected in (
        (51, struct.pack("<q", -5), "quantity"),
        (67, struct.pack("<q", -1), "quantity"),
        (75, struct.pack("<d", math.nan), "float"),
        (83, struct.pack("<d", math.inf), "float"),
        (75, struct.pack("<d", -1.0), "float"),
    ):
        packet = bytearray(quote)
        packet[offset : offset + 8] = value
        assert reason(bytes(packet)) == expected, offset
    base = encode(snap())
    for offset, value, expected in (
        (123, struct.pack("<q", -1), "timestamp"),
        (131, struct.pack("<q", -1), "quantity"),
        (139, struct.pack("<d", math.nan), "float"),
        (147, struct.pack("<h", 0), "flags"),  # first bid marked as an ask
        (247, struct.pack("<h", 1), "flags"),  # first ask marked as a bid
        (149, struct.pack("<q", -2), "quantity"),  # bid quantity
        (346, struct.pack("<h", -1)[1:], "quantity"),  # last ask's order count, sign byte
    ):
        packet = bytearray(base)
        packet[offset : offset + len(value)] = value
        assert reason(bytes(packet)) == expected, offset


def test_asks_first_is_a_flags_error() -> None:
    packet = bytearray(encode(snap()))
    packet[147:247], packet[247:347] = packet[247:347], packet[147:247]
    assert reason(bytes(packet)) == "flags"


# -------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    "tick",
    [
        LtpTick(1, 1, "1" * 26, 0, 0, 0),  # token longer than 25 bytes
        LtpTick(1, 1, "", 0, 0, 0),
        LtpTick(1, 1, "12a", 0, 0, 0),
        LtpTick(1, 1, "١٢٣", 0, 0, 0),  # Arabic-Indic digits are digits, not ASCII
        LtpTick(2, 1, "1", 0, 0, 0),  # mode of another class
        LtpTick(1, 6, "1", 0, 0, 0),  # unknown exchange type
        LtpTick(1, 1, "1", 0, -1, 0),  # negative exchange time
        LtpTick(1, 1, "1", 2**63, 0, 0),  # sequence out of int64
        LtpTick(1, 1, "1", 0, 0, 1.5),  # type: ignore[arg-type]  # a float price
        QuoteTick(2, 1, "1", 0, 0, 0, -1, 0, 0, 0.0, 0.0, 0, 0, 0, 0),
        QuoteTick(2, 1, "1", 0, 0, 0, 0, 0, 0, math.nan, 0.0, 0, 0, 0, 0),
        snap(bids=snap().bids[:4]),  # four bids
        snap(asks=(*snap().asks, DepthLevel(1, 1, 1))),  # six asks
        snap(bids=(DepthLevel(1, 1, 2**15), *snap().bids[1:])),  # orders beyond int16
        snap(oi_change_pct=math.inf),
        DepthTick(1, "1", 0, 0, (), ()),  # no levels
    ],
)
def test_bad_ticks_raise_encode_error_not_decode_error(tick: Any) -> None:
    with pytest.raises(EncodeError) as caught:
        encode(tick)
    assert not isinstance(caught.value, DecodeError)


def test_encoding_something_that_is_not_a_tick_is_an_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode({"mode": 1})  # type: ignore[arg-type]


def test_currency_prices_scale_by_ten_million() -> None:
    tick = decode(encode(LtpTick(1, int(ExchangeType.CDE_FO), "1196", 1, 0, 834512500)))
    assert isinstance(tick, LtpTick)
    assert tick.ltp == Decimal("83.45125")
    assert decode(encode(LtpTick(1, 1, "3045", 1, 0, 80055))).ltp == Decimal("800.55")


# ------------------------------------------------------------------------- real ticks


def _js_blocks(text: str) -> list[dict[str, str]]:
    """Every ``key: 'value'`` object of the JS SDK log, nested book entries left out."""
    blocks = []
    for chunk in re.split(r"receiveTick::::: \{|\n\n+(?=subscription_mode)", text):
        pairs = dict(re.findall(r"^\s*(\w+): '([^']*)'", chunk, flags=re.MULTILINE))
        if "subscription_mode" in pairs:
            pairs["_chunk"] = chunk
            blocks.append(pairs)
    return blocks


def _js_levels(chunk: str, key: str) -> list[tuple[int, int, int]]:
    section = chunk.split(key, 1)[1].split("]", 1)[0]
    found = re.findall(r"quantity: '(\d+)', price: '(\d+)', no_of_orders: '(\d+)'", section)
    return [(int(q), int(p), int(o)) for q, p, o in found]


def test_js_sdk_quote_ticks_of_infy_decode_to_the_printed_values() -> None:
    """JS_TICKS: four QUOTE ticks of NSE token 1594 (INFY-EQ), 20-Dec-2024."""
    quotes = [b for b in _js_blocks(JS_TICKS.read_text()) if b["subscription_mode"] == "2"]
    assert len(quotes) == 4
    for printed in quotes:
        token = printed["token"].strip('"')
        n = {k: int(v) for k, v in printed.items() if k not in ("token", "_chunk")}
        tick = decode(encode(QuoteTick(
            2, n["exchange_type"], token, n["sequence_number"], n["exchange_timestamp"],
            n["last_traded_price"], n["last_traded_quantity"], n["avg_traded_price"],
            n["vol_traded"], float(n["total_buy_quantity"]), float(n["total_sell_quantity"]),
            n["open_price_day"], n["high_price_day"], n["low_price_day"], n["close_price"],
        )))  # fmt: skip
        assert isinstance(tick, QuoteTick)
        assert tick.token == "1594"
        assert tick.ltp == Decimal(printed["last_traded_price"]) / 100
        assert tick.close == Decimal("1946.20")
        assert tick.total_buy_qty == float(printed["total_buy_quantity"])
        assert tick.volume == int(printed["vol_traded"])
    assert decode(encode(QuoteTick(2, 1, "1594", 1007544, 1734666469000, 196115, 5, 196995,
                                   624787, 158743.0, 246562.0, 197515, 197995, 196025,
                                   194620))).ltp == Decimal("1961.15")  # fmt: skip


def test_js_sdk_snap_quote_and_depth_ticks_decode_to_the_printed_values() -> None:
    """JS_TICKS: the SNAP_QUOTE and DEPTH-20 ticks of token 1594."""
    blocks = {b["subscription_mode"]: b for b in _js_blocks(JS_TICKS.read_text())}
    s = blocks["3"]
    n = {k: v for k, v in s.items() if k not in ("token", "_chunk")}
    bids = tuple(DepthLevel(*x) for x in _js_levels(s["_chunk"], "best_5_buy_data"))
    asks = tuple(DepthLevel(*x) for x in _js_levels(s["_chunk"], "best_5_sell_data"))
    sent = SnapQuoteTick(
        3, int(n["exchange_type"]), s["token"].strip('"'), int(n["sequence_number"]),
        int(n["exchange_timestamp"]), int(n["last_traded_price"]),
        int(n["last_traded_quantity"]), int(n["avg_traded_price"]), int(n["vol_traded"]),
        float(n["total_buy_quantity"]), float(n["total_sell_quantity"]),
        int(n["open_price_day"]), int(n["high_price_day"]), int(n["low_price_day"]),
        int(n["close_price"]), int(n["last_traded_timestamp"]), int(n["open_interest"]),
        float(n["open_interest_change"]), bids, asks, int(n["upper_circuit"]),
        int(n["lower_circuit"]), int(n["fiftytwo_week_high"]), int(n["fiftytwo_week_low"]),
    )  # fmt: skip
    tick = decode(encode(sent))
    assert tick == sent
    assert isinstance(tick, SnapQuoteTick)
    assert tick.ltp == Decimal("1955.40")
    assert tick.oi_change_pct == pytest.approx(0.1041732895772912)
    assert [level.price_raw for level in tick.bids][:2] == [195540, 195520]
    assert tick.asks[0].quantity == 35
    assert tick.upper_circuit == Decimal("2140.80")
    d = blocks["4"]
    depth = DepthTick(
        1, "1594", int(d["exchange_timestamp"]), int(d["packet_received_time"]),
        tuple(DepthLevel(*x) for x in _js_levels(d["_chunk"], "depth_twenty_buy_data")),
        tuple(DepthLevel(*x) for x in _js_levels(d["_chunk"], "depth_twenty_sell_data")),
    )  # fmt: skip
    decoded = decode(encode(depth))
    assert decoded == depth
    assert isinstance(decoded, DepthTick)
    assert (decoded.bids[0].quantity, decoded.bids[0].price_raw) == (588, 195900)
    assert decoded.asks[19].price_raw == 196050


def _python_dicts(text: str) -> list[dict[str, Any]]:
    out = []
    for start in [m.start() for m in re.finditer(r"\{'subscription_mode'", text)]:
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        out.append(ast.literal_eval(text[start : end + 1].replace("\n", " ")))
    return out


def test_python_sdk_snap_quotes_decode_to_the_printed_values() -> None:
    """PY_TICKS: four SNAP_QUOTE dicts printed by smartapi-python (NSE INFY, three NFO options).

    The SDK reads OI change % as an int64; its bits are the double the wire carries. Entries are
    sorted onto the wire by flag (1 = bid first), whatever the SDK's key was (SOURCE C's capture
    shows them under swapped keys).
    """
    printed = _python_dicts(PY_TICKS.read_text())
    assert [p["token"] for p in printed] == ["1594", "54786", "49697", "41735"]
    for p in printed:
        entries = p["best_5_buy_data"] + p["best_5_sell_data"]
        bids = tuple(DepthLevel(e["quantity"], e["price"], e["no of orders"])
                     for e in entries if e["flag"] == 1)  # fmt: skip
        asks = tuple(DepthLevel(e["quantity"], e["price"], e["no of orders"])
                     for e in entries if e["flag"] == 0)  # fmt: skip
        oi_change = struct.unpack("<d", struct.pack("<q", p["open_interest_change_percentage"]))[0]
        sent = SnapQuoteTick(
            3, p["exchange_type"], p["token"], p["sequence_number"], p["exchange_timestamp"],
            p["last_traded_price"], p["last_traded_quantity"], p["average_traded_price"],
            p["volume_trade_for_the_day"], p["total_buy_quantity"], p["total_sell_quantity"],
            p["open_price_of_the_day"], p["high_price_of_the_day"], p["low_price_of_the_day"],
            p["closed_price"], p["last_traded_timestamp"], p["open_interest"], oi_change,
            bids, asks, p["upper_circuit_limit"], p["lower_circuit_limit"],
            p["52_week_high_price"], p["52_week_low_price"],
        )  # fmt: skip
        tick = decode(encode(sent))
        assert tick == sent
        assert isinstance(tick, SnapQuoteTick)
        assert tick.ltp_raw == p["last_traded_price"]
        assert tick.bids[0].price_raw > tick.asks[0].price_raw - 1000  # a sane spread
        assert [lv.price_raw for lv in tick.bids] == sorted(
            (lv.price_raw for lv in tick.bids), reverse=True
        )
    infy = decode(encode(snap()))  # SOURCE A, transcribed into ``snap()``
    assert isinstance(infy, SnapQuoteTick)
    assert infy.ltp == Decimal("1907.35")
    assert infy.oi_change_pct == pytest.approx(0.0302, abs=1e-4)


def test_the_nfo_option_tick_shows_real_circuit_and_change_values() -> None:
    """PY_TICKS SOURCE B: NFO 54786, close 183.80, upper circuit 731.65, OI change 0.4687 %."""
    (p,) = [p for p in _python_dicts(PY_TICKS.read_text()) if p["token"] == "54786"]
    oi_change = struct.unpack("<d", struct.pack("<q", p["open_interest_change_percentage"]))[0]
    tick = decode(encode(snap(
        exchange_type=2, token="54786", ltp_raw=25820, close_raw=18380, open_interest=3118800,
        oi_change_pct=oi_change, upper_circuit_raw=73165, lower_circuit_raw=5, low_52w_raw=0,
        total_buy_qty=605175.0,
    )))  # fmt: skip
    assert isinstance(tick, SnapQuoteTick)
    assert (tick.ltp, tick.close) == (Decimal("258.20"), Decimal("183.80"))
    assert tick.upper_circuit == Decimal("731.65")
    assert tick.lower_circuit == Decimal("0.05")
    assert tick.oi_change_pct == pytest.approx(0.4687, abs=1e-4)
    assert tick.total_buy_qty == 605175.0
