"""Replaying a recording as the sandbox's market, driven by a ManualClock (no sockets, no sleeps).

A small recording is written with ``RecordingWriter`` on its own ManualClock; the engine replays
it: frames come due by recorded time × speed, in order, byte for byte; tickers (and so quotes)
follow them; a resting LIMIT order fills when the replayed price crosses it; ``start`` applies
the earlier frames silently; past the end the market stays at the last values.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from angelctl.feed.encode import encode
from angelctl.feed.recording import RecordingWriter
from angelctl.feed.ticks import DepthLevel, LtpTick, QuoteTick, SnapQuoteTick
from angelctl.sandbox import ManualClock, ReplaySource, SandboxConfig, SandboxEngine
from angelctl.sandbox.clock import IST

DAY_START = datetime(2024, 12, 20, 9, 15, 0, tzinfo=IST)
OPTION = {
    "exch_seg": "NFO", "token": "41735", "symbol": "BANKNIFTY-REC41735", "name": "BANKNIFTY",
    "instrumenttype": "OPTIDX", "lotsize": 25, "tick_size": "0.05",
}  # fmt: skip


def quote(token: str, ltp: int, seq: int, exchange_type: int = 1) -> QuoteTick:
    return QuoteTick(2, exchange_type, token, seq, seq * 1000, ltp, 5, ltp, 1000 + seq,
                     1e5, 2e5, 190000, 192000, 188000, 189000)  # fmt: skip


def snap(token: str, ltp: int, seq: int) -> SnapQuoteTick:
    bids = tuple(DepthLevel(25 * (i + 1), ltp - 5 * (i + 1), i + 1) for i in range(5))
    asks = tuple(DepthLevel(25 * (i + 1), ltp + 5 * (i + 1), i + 1) for i in range(5))
    return SnapQuoteTick(3, 2, token, seq, seq * 1000, ltp, 25, ltp, 5000, 1e4, 2e4, ltp, ltp,
                         ltp, ltp, 1734666000, 1_362_050, 1.5, bids, asks, ltp * 4, 5,
                         ltp * 5, 5)  # fmt: skip


# (seconds after 09:15 IST, tick): INFY falls from 1900 to 1880 and back; an option ticks too
SCRIPT = [
    (0.0, quote("1594", 190000, 1)),
    (1.0, LtpTick(1, 1, "1594", 2, 2000, 189500)),
    (2.0, snap("41735", 18570, 3)),
    (60.0, quote("1594", 189000, 4)),
    (61.0, quote("1594", 188000, 5)),
    (62.0, snap("41735", 18600, 6)),
    (120.0, quote("1594", 190500, 7)),
]


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    clock = ManualClock(DAY_START)
    path = tmp_path / "day.rec"
    writer = RecordingWriter(path, {"instruments": [OPTION]}, clock=clock)
    writer.link("connected")
    writer.subscriptions([(2, 1, "1594"), (1, 1, "1594"), (3, 2, "41735")])
    at = 0.0
    for offset, tick in SCRIPT:
        clock.advance(offset - at)
        at = offset
        writer.frame(encode(tick))
    writer.close()
    return path


def engine_for(path: Path, **replay: object) -> tuple[SandboxEngine, ManualClock]:
    clock = ManualClock(datetime(2026, 3, 10, 10, 0, tzinfo=IST))
    config = SandboxConfig(rate_limit_enabled=False)
    return SandboxEngine(config, clock, replay=ReplaySource(path, **replay)), clock  # type: ignore[arg-type]


def test_frames_come_due_by_recorded_time_over_speed_in_order_byte_for_byte(
    recording: Path,
) -> None:
    engine, clock = engine_for(recording, speed=10)
    due, position, lost = engine.replay_frames(None)
    assert [f.payload for f in due] == [encode(SCRIPT[0][1])] and lost == 0  # t = 0
    clock.advance(0.15)  # 1.5 s of recording
    due, position, _ = engine.replay_frames(position)
    assert [f.payload for f in due] == [encode(SCRIPT[1][1])]
    clock.advance(5.85)  # 60 s of recording: the frames at 2 s and 60 s
    due, position, _ = engine.replay_frames(position)
    assert [f.payload for f in due] == [encode(SCRIPT[2][1]), encode(SCRIPT[3][1])]
    clock.advance(100)
    due, position, _ = engine.replay_frames(position)
    assert [f.payload for f in due] == [encode(t) for _, t in SCRIPT[4:]]
    status = engine.replay_status()
    assert status is not None and status["finished"] and status["frames_due"] == len(SCRIPT)


def test_quotes_follow_the_replayed_frames_and_freeze_after_the_last(recording: Path) -> None:
    engine, clock = engine_for(recording, speed=1)
    clock.advance(61)
    view = engine.market_view("NSE", "1594")["quote"]
    assert Decimal(str(view["ltp"])) == Decimal("1880.00")
    assert view["tradeVolume"] == 1005
    clock.advance(59)
    assert Decimal(str(engine.market_view("NSE", "1594")["quote"]["ltp"])) == Decimal("1905")
    clock.advance(3600)  # long after the end: still the last recorded price, no walk
    assert Decimal(str(engine.market_view("NSE", "1594")["quote"]["ltp"])) == Decimal("1905")
    option = engine.market_view("NFO", "41735")["quote"]
    assert Decimal(str(option["ltp"])) == Decimal("186.00")
    assert option["opnInterest"] == 1_362_050
    assert option["depth"]["buy"][0]["price"] == pytest.approx(185.95)


def test_a_recorded_token_the_universe_lacks_is_listed_from_the_header(recording: Path) -> None:
    engine, _ = engine_for(recording)
    rows = engine.instruments(exch_seg="NFO", token="41735")["rows"]
    assert [(r["symbol"], r["lotsize"], r["instrumenttype"]) for r in rows] == [
        ("BANKNIFTY-REC41735", "25", "")  # an option without expiry is listed plain
    ]


def test_a_resting_limit_order_fills_when_the_replayed_price_crosses_it(recording: Path) -> None:
    engine, clock = engine_for(recording, speed=1)
    clock.advance(2)
    seeded = engine.seed({"orders": [{
        "exch_seg": "NSE", "token": "1594", "side": "BUY", "quantity": 3, "price": "1885",
        "ordertype": "LIMIT", "product": "INTRADAY",
    }]})  # fmt: skip
    orderid = seeded["orders"][0]["orderid"]
    clock.advance(58.5)  # 60.5 s: 1890 is still above the limit
    assert engine.orders(tag=None)[0]["status"] == "open"
    clock.advance(1)  # 61.5 s: the frame at 61 s traded 1880
    (order,) = [o for o in engine.orders() if o["orderid"] == orderid]
    assert order["status"] == "complete"
    assert Decimal(str(order["averageprice"])) <= Decimal("1885")


def test_start_applies_earlier_frames_silently_and_begins_there(recording: Path) -> None:
    engine, clock = engine_for(recording, speed=1, start=time(9, 16))
    due, position, _ = engine.replay_frames(None)
    assert [f.payload for f in due] == [encode(SCRIPT[3][1])]  # the frame at 09:16:00
    view = engine.market_view("NFO", "41735")["quote"]
    assert Decimal(str(view["ltp"])) == Decimal("185.70")  # the pre-roll's last value
    clock.advance(1)
    due, _, _ = engine.replay_frames(position)
    assert [f.payload for f in due] == [encode(SCRIPT[4][1])]


def test_a_held_replay_waits_for_start(recording: Path) -> None:
    engine, clock = engine_for(recording, hold=True)
    clock.advance(500)
    assert engine.replay_frames(None)[0] == []
    engine.replay_start()
    due, _, _ = engine.replay_frames(0)
    assert [f.payload for f in due] == [encode(SCRIPT[0][1])]


def test_a_subscriber_in_an_unrecorded_mode_gets_a_packet_built_from_the_ticker(
    recording: Path,
) -> None:
    from angelctl.feed.decode import decode
    from angelctl.sandbox.ws.feed import replay_packets

    engine, _ = engine_for(recording)
    due, _, _ = engine.replay_frames(None)  # the QUOTE frame at t = 0
    subscriptions = {(1, "1594", 2), (1, "1594", 3), (1, "1594", 1)}
    recorded, built = replay_packets(engine, subscriptions, due)  # LTP is recorded: nothing
    assert recorded == due[0].payload
    snap_tick = decode(built)
    assert snap_tick.mode == 3 and snap_tick.sequence == 1  # the frame's sequence
    assert snap_tick.ltp == Decimal("1900.00")


def test_loop_starts_again_after_the_last_frame(recording: Path) -> None:
    engine, clock = engine_for(recording, speed=1, loop=True)
    position = engine.replay_frames(None)[1]
    clock.advance(120)
    due, position, _ = engine.replay_frames(position)
    assert len(due) == len(SCRIPT) - 1
    clock.advance(1.0)  # one second of pause after the last frame, then the first again
    due, _, _ = engine.replay_frames(position)
    assert [f.payload for f in due] == [encode(SCRIPT[0][1])]
    status = engine.replay_status()
    assert status is not None and status["loops"] == 1 and not status["finished"]
