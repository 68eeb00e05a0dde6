"""The ``stream`` view layer: the model fed by the feed thread, the live table, NDJSON records.

Ticks are built directly with the dataclasses of ``angelctl.feed.ticks`` (raw integer prices:
paise, or 1e-7 rupees on cde_fo); time is a fake monotonic clock, so ages are exact.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from rich.console import Console

from angelctl.feed.ticks import (
    DepthLevel,
    DepthTick,
    ExchangeType,
    LtpTick,
    Mode,
    QuoteTick,
    SnapQuoteTick,
)
from angelctl.render.quotes import sparkline
from angelctl.render.stream import (
    StreamModel,
    StreamSnapshot,
    StreamStatus,
    StreamSummary,
    format_age,
    order_update_json,
    render_stream,
    render_summary,
    status_line,
    tick_json,
)

SBIN: tuple[int, str] = (ExchangeType.NSE_CM, "3045")
USDINR: tuple[int, str] = (ExchangeType.CDE_FO, "1234")
NIFTY_FUT: tuple[int, str] = (ExchangeType.NSE_FO, "43650")
SYMBOLS: dict[tuple[int, str], str] = {
    SBIN: "NSE:SBIN-EQ",
    USDINR: "CDS:USDINR25JANFUT",
    NIFTY_FUT: "NFO:NIFTY25JANFUT",
}
EXCHANGE_MS = 1735789500123  # 2025-01-02 09:15:00.123 IST


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def ltp_tick(key: tuple[int, str], ltp_raw: int, sequence: int = 1) -> LtpTick:
    return LtpTick(Mode.LTP, key[0], key[1], sequence, EXCHANGE_MS, ltp_raw)


def quote_tick(key: tuple[int, str], ltp_raw: int, close_raw: int, volume: int = 0) -> QuoteTick:
    return QuoteTick(
        mode=Mode.QUOTE,
        exchange_type=key[0],
        token=key[1],
        sequence=2,
        exchange_time_ms=EXCHANGE_MS,
        ltp_raw=ltp_raw,
        last_traded_qty=10,
        avg_price_raw=ltp_raw - 25,
        volume=volume,
        total_buy_qty=1500.0,
        total_sell_qty=2500.0,
        open_raw=close_raw + 100,
        high_raw=ltp_raw + 500,
        low_raw=close_raw - 100,
        close_raw=close_raw,
    )


def snap_tick(key: tuple[int, str], ltp_raw: int, close_raw: int) -> SnapQuoteTick:
    q = quote_tick(key, ltp_raw, close_raw, volume=123_456)
    return SnapQuoteTick(
        mode=Mode.SNAP_QUOTE,
        exchange_type=q.exchange_type,
        token=q.token,
        sequence=3,
        exchange_time_ms=q.exchange_time_ms,
        ltp_raw=q.ltp_raw,
        last_traded_qty=q.last_traded_qty,
        avg_price_raw=q.avg_price_raw,
        volume=q.volume,
        total_buy_qty=q.total_buy_qty,
        total_sell_qty=q.total_sell_qty,
        open_raw=q.open_raw,
        high_raw=q.high_raw,
        low_raw=q.low_raw,
        close_raw=q.close_raw,
        last_traded_time_s=EXCHANGE_MS // 1000,
        open_interest=987_654,
        oi_change_pct=1.5,
        bids=tuple(DepthLevel(100 + i, ltp_raw - 5 * (i + 1), 3) for i in range(5)),
        asks=tuple(DepthLevel(200 + i, ltp_raw + 5 * (i + 1), 4) for i in range(5)),
        upper_circuit_raw=close_raw * 11 // 10,
        lower_circuit_raw=close_raw * 9 // 10,
        high_52w_raw=close_raw * 2,
        low_52w_raw=close_raw // 2,
    )


def depth_tick(key: tuple[int, str], best_bid_raw: int, best_ask_raw: int) -> DepthTick:
    return DepthTick(
        exchange_type=key[0],
        token=key[1],
        exchange_time_ms=EXCHANGE_MS,
        packet_received_ms=0,
        bids=tuple(DepthLevel(10 * (i + 1), best_bid_raw - 5 * i, 1) for i in range(20)),
        asks=tuple(DepthLevel(20 * (i + 1), best_ask_raw + 5 * i, 2) for i in range(20)),
    )


@dataclass(frozen=True)
class FakeOrderUpdate:
    order_id: str
    status_code: str
    status: str
    symbol: str = "SBIN-EQ"
    exchange: str = "NSE"
    side: str = "BUY"
    quantity: int = 10
    filled: int = 0
    average_price: Decimal = Decimal(0)
    text: str = ""
    updated_at: datetime | None = None


def model(clock: FakeClock | None = None, **kwargs: Any) -> StreamModel:
    return StreamModel(SYMBOLS, clock=clock or FakeClock(), **kwargs)


def plain(renderable: Any, width: int = 200) -> str:
    console = Console(file=StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def styled(renderable: Any, width: int = 200) -> str:
    console = Console(
        file=StringIO(), record=True, width=width, force_terminal=True, color_system="standard"
    )
    console.print(renderable)
    return console.export_text(styles=True)


def screen(snapshot: StreamSnapshot, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"now_monotonic": snapshot.taken_at, "show_orders": False}
    options.update(kwargs)
    return render_stream(snapshot, **options)


def row_of(text: str, symbol: str) -> list[str]:
    line = next(line for line in text.splitlines() if symbol in line)
    return line.split()


# --- change, % and the columns a mode carries ----------------------------------------------------


def test_quote_tick_shows_change_and_percent_against_previous_close() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 80125, 79500, volume=123_456))
    row = row_of(plain(screen(m.snapshot())), "NSE:SBIN-EQ")
    assert row[:4] == ["NSE:SBIN-EQ", "801.25", "+6.25", "+0.79%"]
    assert "1,23,456" in row


def test_cde_fo_prices_are_scaled_by_1e7_not_100() -> None:
    m = model()
    m.on_tick(quote_tick(USDINR, 832_525_000, 830_000_000))
    row = row_of(plain(screen(m.snapshot())), "CDS:USDINR25JANFUT")
    assert row[:4] == ["CDS:USDINR25JANFUT", "83.2525", "+0.2525", "+0.30%"]


def test_fall_below_close_is_negative_change_and_percent() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 79000, 80000))
    assert row_of(plain(screen(m.snapshot())), "NSE:SBIN-EQ")[:4] == [
        "NSE:SBIN-EQ",
        "790.00",
        "-10.00",
        "-1.25%",
    ]


def test_ltp_mode_leaves_change_volume_and_book_blank_rather_than_wrong() -> None:
    m = model()
    m.on_tick(ltp_tick(NIFTY_FUT, 2_345_000))
    text = plain(screen(m.snapshot()))
    assert row_of(text, "NFO:NIFTY25JANFUT")[:2] == ["NFO:NIFTY25JANFUT", "23,450.00"]
    assert "%" not in text.split("NFO:NIFTY25JANFUT")[1].splitlines()[0]
    # only symbol, LTP, the sparkline and the age are filled
    assert len(row_of(text, "NFO:NIFTY25JANFUT")) == 4


def test_close_from_an_earlier_quote_tick_serves_later_ltp_ticks() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 80000, 79500))
    m.on_tick(ltp_tick(SBIN, 80125))
    row = row_of(plain(screen(m.snapshot())), "NSE:SBIN-EQ")
    assert row[:4] == ["NSE:SBIN-EQ", "801.25", "+6.25", "+0.79%"]
    assert "1,23,456" not in row  # the LTP tick carries no volume: blank, not the stale one


def test_close_of_zero_is_treated_as_unknown() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 80125, 0))
    text = plain(screen(m.snapshot()))
    assert "+801.25" not in text
    assert "%" not in text.split("NSE:SBIN-EQ")[1].splitlines()[0]


def test_snap_quote_shows_best_bid_and_ask_with_sizes_and_oi() -> None:
    m = model()
    m.on_tick(snap_tick(SBIN, 80125, 79500))
    row = row_of(plain(screen(m.snapshot())), "NSE:SBIN-EQ")
    assert row[4:10] == ["100", "801.20", "801.30", "200", "1,23,456", "9,87,654"]


def test_legacy_depth_tick_supplies_the_book_for_an_ltp_row() -> None:
    m = model()
    m.on_tick(ltp_tick(SBIN, 80125))
    m.on_tick(depth_tick(SBIN, 80120, 80130))
    row = row_of(plain(screen(m.snapshot())), "NSE:SBIN-EQ")
    assert row[2:6] == ["10", "801.20", "801.30", "20"]


def test_row_without_a_tick_shows_a_dash_for_its_age() -> None:
    text = plain(screen(model().snapshot()))
    assert row_of(text, "NSE:SBIN-EQ") == ["NSE:SBIN-EQ", "—"]


def test_tick_for_an_unlisted_token_gets_a_row_named_after_its_segment() -> None:
    m = model()
    m.on_tick(ltp_tick((ExchangeType.BSE_CM, "500112"), 80000))
    assert row_of(plain(screen(m.snapshot())), "BSE_CM:500112")[1] == "800.00"


def test_sparkline_draws_recent_raw_prices_and_is_bounded() -> None:
    m = model(spark_len=5)
    for raw in (100, 200, 300, 400, 500, 600, 700, 800):
        m.on_tick(ltp_tick(SBIN, raw))
    snap = m.snapshot()
    assert snap.rows[0].prices == (400, 500, 600, 700, 800)
    assert "▁▃▅▆█" in plain(screen(snap))


def test_sparkline_of_raw_integers_matches_the_rupee_sparkline() -> None:
    values = [80125, 80100, 80150, 80150, 79990, 80300]
    assert sparkline(values) == sparkline([Decimal(v) / 100 for v in values])
    assert sparkline([1, 2, 3]) == "▁▅█"
    assert sparkline([1, 2]) == "▁█"
    # ties round half to even in both units: 1 * 7/14 = 0.5 → 0, 3 * 7/14 = 1.5 → 2
    assert sparkline([0, 1, 14]) == sparkline([Decimal(0), Decimal(1), Decimal(14)]) == "▁▁█"
    assert sparkline([0, 3, 14]) == sparkline([Decimal(0), Decimal(3), Decimal(14)]) == "▁▃█"


# --- colours -------------------------------------------------------------------------------------

GREEN, RED = "32", "31"


def coloured(text: str, colour: str, value: str) -> bool:
    """``value`` is printed in ``colour`` (right-justified cells pad inside the style)."""
    return re.search(rf"\x1b\[{colour}m *{re.escape(value)}", text) is not None


def test_ltp_colour_follows_the_direction_of_the_last_move() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 80000, 79500))
    m.on_tick(ltp_tick(SBIN, 80125))
    assert coloured(styled(screen(m.snapshot())), GREEN, "801.25")
    m.on_tick(ltp_tick(SBIN, 80100))
    text = styled(screen(m.snapshot()))
    assert coloured(text, RED, "801.00")
    # still above the close: the change stays green while the LTP turned red
    assert coloured(text, GREEN, "+6.00")
    m.on_tick(ltp_tick(SBIN, 80100))  # an unchanged price keeps the last direction
    assert coloured(styled(screen(m.snapshot())), RED, "801.00")


def test_first_ltp_is_coloured_against_the_close_until_it_moves() -> None:
    m = model()
    m.on_tick(quote_tick(SBIN, 79000, 79500))
    text = styled(screen(m.snapshot()))
    assert coloured(text, RED, "790.00")
    assert coloured(text, RED, "-5.00")
    assert coloured(text, RED, "-0.63%")


def _colour_params(text: str) -> set[int]:
    params: set[int] = set()
    for sgr in re.findall(r"\x1b\[([0-9;]*)m", text):
        params.update(int(p) for p in sgr.split(";") if p)
    return {p for p in params if 30 <= p <= 49 or 90 <= p <= 107}


def test_no_color_console_writes_no_colour_codes_but_keeps_the_signs() -> None:
    m = model()
    m.on_tick(snap_tick(SBIN, 80125, 79500))
    m.on_tick(quote_tick(USDINR, 829_000_000, 830_000_000))
    m.on_order_update(FakeOrderUpdate("250102000000123", "AB03", "rejected", text="RMS"))
    m.on_status(StreamStatus("reconnecting", 2, 10.0, {"bad frame": 1}))
    view = screen(m.snapshot(), show_orders=True)
    assert _colour_params(styled(view))  # coloured on a colour terminal …
    out = StringIO()
    console = Console(file=out, width=200, force_terminal=True, no_color=True)
    console.print(view)
    text = out.getvalue()
    assert _colour_params(text) == set()  # … and not a single colour code under NO_COLOR
    assert "+6.25" in text
    assert "-0.10" in text
    assert "-0.12%" in text
    assert "rejected" in text


# --- narrow terminals ----------------------------------------------------------------------------


def headers(text: str) -> list[str]:
    return next(line for line in text.splitlines() if "symbol" in line).split()


def test_wide_terminal_shows_every_column() -> None:
    m = model()
    m.on_tick(snap_tick(SBIN, 80125, 79500))
    text = plain(screen(m.snapshot(), width=200), width=200)
    assert headers(text) == [
        "symbol",
        "LTP",
        "change",
        "%",
        "bid",
        "qty",
        "bid",
        "ask",
        "ask",
        "qty",
        "volume",
        "OI",
        "trend",
        "age",
    ]
    assert "hidden" not in text


@pytest.mark.parametrize(
    ("width", "kept"),
    [
        # the sparkline goes first; change, bid/ask and OI outrank it (issue 15); bid and ask
        # are hidden together
        (
            120,
            [
                "symbol",
                "LTP",
                "change",
                "%",
                "bid",
                "qty",
                "bid",
                "ask",
                "ask",
                "qty",
                "volume",
                "OI",
                "age",
            ],
        ),
        (100, ["symbol", "LTP", "change", "%", "bid", "ask", "volume", "OI"]),
        (80, ["symbol", "LTP", "change", "%", "bid", "ask", "OI"]),
        (60, ["symbol", "LTP", "bid", "ask", "OI"]),
        (40, ["symbol", "LTP"]),
    ],
)
def test_narrow_terminal_hides_low_priority_columns_first(width: int, kept: list[str]) -> None:
    m = model()
    m.on_tick(snap_tick(SBIN, 80125, 79500))
    text = plain(screen(m.snapshot(), width=width), width=width)
    assert headers(text) == kept
    assert "hidden to fit the terminal" in text
    table_lines = text.split("hidden")[0].splitlines()
    assert max(len(line.rstrip()) for line in table_lines) <= width


def test_max_rows_caps_the_table_and_says_how_many_are_left_out() -> None:
    m = StreamModel({(1, str(i)): f"NSE:S{i}" for i in range(30)}, clock=FakeClock())
    text = plain(screen(m.snapshot(), max_rows=10))
    assert "NSE:S9 " in text
    assert "NSE:S10 " not in text
    assert "+20 more" in text


# --- age -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.0, "0.0s"),
        (0.34, "0.3s"),
        (9.94, "9.9s"),
        (12.7, "12s"),
        (59.9, "59s"),
        (75.0, "1m"),
        (7300.0, "2h"),
        (-0.2, "0.0s"),  # a clock that stepped back never shows a negative age
    ],
)
def test_age_format(seconds: float | None, text: str) -> None:
    assert format_age(seconds) == text


def test_age_is_measured_from_the_last_tick_to_the_injected_now() -> None:
    clock = FakeClock(500.0)
    m = model(clock)
    m.on_tick(ltp_tick(SBIN, 80000))
    clock.t = 510.0
    m.on_tick(ltp_tick(USDINR, 830_000_000))
    snap = m.snapshot()
    text = plain(render_stream(snap, now_monotonic=510.3, show_orders=False))
    assert row_of(text, "NSE:SBIN-EQ")[-1] == "10s"
    assert row_of(text, "CDS:USDINR25JANFUT")[-1] == "0.3s"
    assert row_of(text, "NFO:NIFTY25JANFUT")[-1] == "—"


# --- status line, orders, summary ----------------------------------------------------------------


def test_status_line_shows_state_reconnects_rate_and_dropped_frames_by_reason() -> None:
    m = model()
    m.on_status(StreamStatus("connected", 3, 1234.4, {"bad frame": 2, "queue full": 5}))
    for _ in range(7):
        m.on_tick(ltp_tick(SBIN, 80000))
    text = plain(screen(m.snapshot()))
    assert "connected · reconnects 3 · 1,234 ticks/s · 7 ticks" in text
    assert "dropped 7 (bad frame 2, queue full 5)" in text
    assert coloured(styled(screen(m.snapshot())), GREEN, "connected")


def test_model_measures_ticks_per_second_between_snapshots_without_a_client_rate() -> None:
    clock = FakeClock(0.0)
    m = model(clock)
    m.snapshot()
    for _ in range(500):
        m.on_tick(ltp_tick(SBIN, 80000))
    clock.t = 2.0
    snap = m.snapshot()
    assert snap.ticks_per_second == 250.0
    clock.t = 2.1  # too soon for a new measurement: the last one stands
    assert m.snapshot().ticks_per_second == 250.0
    assert "250 ticks/s" in plain(screen(snap))


def test_order_updates_panel_lists_the_newest_first_and_ignores_the_ab00_ack() -> None:
    m = model(orders_kept=3)
    m.on_order_update(FakeOrderUpdate("", "AB00", ""))
    for n, (code, status) in enumerate(
        [("AB09", "open pending"), ("AB01", "open"), ("AB01", "open"), ("AB05", "complete")]
    ):
        m.on_order_update(
            FakeOrderUpdate(
                "250102000000123",
                code,
                status,
                filled=[0, 0, 4, 10][n],
                average_price=Decimal("801.25") if n == 3 else Decimal(0),
                updated_at=datetime(2025, 1, 2, 3, 45, n, tzinfo=UTC),
            )
        )
    snap = m.snapshot()
    assert snap.order_updates == 4
    assert [u.status_code for u in snap.orders] == ["AB05", "AB01", "AB01"]
    text = plain(screen(snap, show_orders=True))
    assert "Order updates" in text
    lines = [line for line in text.splitlines() if "250102000000123" in line]
    assert lines[0].split() == [
        "09:15:03",
        "250102000000123",
        "complete",  # in words: the socket's AB05 is not shown (issue 15)
        "BUY",
        "NSE:SBIN-EQ",
        "10/10",
        "801.25",
    ]
    assert "4/10" in lines[1]
    assert "Order updates" not in plain(screen(snap, show_orders=False))


def test_order_updates_panel_says_when_there_are_none() -> None:
    assert "no order updates yet" in plain(screen(model().snapshot(), show_orders=True))


def test_summary_from_the_model_and_its_rendering() -> None:
    clock = FakeClock(100.0)
    m = model(clock)
    for _ in range(300):
        m.on_tick(ltp_tick(SBIN, 80000))
    m.on_status(StreamStatus("closed", 2, None, {"bad frame": 1, "queue full": 4}))
    clock.t = 160.0
    summary = m.summary()
    assert summary == StreamSummary(60.0, 300, 0, 2, {"bad frame": 1, "queue full": 4})
    assert summary.ticks_per_second == 5.0
    assert json.loads(json.dumps(summary.as_dict())) == {
        "type": "summary",
        "duration_s": 60.0,
        "ticks": 300,
        "ticks_per_second": 5.0,
        "order_updates": 0,
        "reconnects": 2,
        "dropped": {"bad frame": 1, "queue full": 4},
    }
    text = plain(render_summary(summary))
    for expected in ("60.0 s", "300", "5.0", "Reconnects", "Dropped frames", "queue full"):
        assert expected in text


# --- NDJSON --------------------------------------------------------------------------------------


def test_tick_json_has_the_same_keys_for_every_mode_and_serialises() -> None:
    records = [
        tick_json(ltp_tick(SBIN, 80125), "NSE:SBIN-EQ"),
        tick_json(quote_tick(SBIN, 80125, 79500), "NSE:SBIN-EQ"),
        tick_json(snap_tick(SBIN, 80125, 79500), "NSE:SBIN-EQ"),
        tick_json(depth_tick(SBIN, 80120, 80130), "NSE:SBIN-EQ"),
    ]
    assert len({tuple(r) for r in records}) == 1
    assert [r["mode"] for r in records] == ["LTP", "QUOTE", "SNAP_QUOTE", "DEPTH"]
    for record in records:
        assert json.loads(json.dumps(record)) == record


def test_tick_json_ltp_record_is_exact_and_nulls_what_the_mode_lacks() -> None:
    record = tick_json(ltp_tick(SBIN, 80000, sequence=42), "NSE:SBIN-EQ")
    assert record["type"] == "tick"
    assert record["symbol"] == "NSE:SBIN-EQ"
    assert record["exchange_type"] == "nse_cm"
    assert record["token"] == "3045"
    assert record["sequence"] == 42
    assert record["ltp"] == "800.00"
    assert record["exchange_time"] == "2025-01-02T09:15:00.123+05:30"
    assert record["exchange_time_ms"] == EXCHANGE_MS
    assert record["close"] is None
    assert record["volume"] is None
    assert record["depth"] is None


def test_tick_json_snap_quote_carries_the_best_five_and_exact_prices() -> None:
    record = tick_json(snap_tick(SBIN, 80125, 79500), "NSE:SBIN-EQ")
    assert record["ltp"] == "801.25"
    assert record["close"] == "795.00"
    assert record["avg_price"] == "801.00"
    assert record["volume"] == 123_456
    assert record["open_interest"] == 987_654
    assert record["upper_circuit"] == "874.50"
    assert record["last_traded_time"] == "2025-01-02T09:15:00.000+05:30"
    assert record["depth"]["buy"][0] == {"price": "801.20", "quantity": 100, "orders": 3}
    assert record["depth"]["sell"][4] == {"price": "801.50", "quantity": 204, "orders": 4}
    assert len(record["depth"]["buy"]) == len(record["depth"]["sell"]) == 5


def test_tick_json_cde_fo_prices_keep_seven_places() -> None:
    record = tick_json(quote_tick(USDINR, 832_525_001, 830_000_000), "CDS:USDINR25JANFUT")
    assert record["exchange_type"] == "cde_fo"
    assert record["ltp"] == "83.2525001"
    assert record["close"] == "83.0000000"
    assert Decimal(record["ltp"]) * 10_000_000 == 832_525_001


def test_tick_json_zero_exchange_time_is_null_not_1970() -> None:
    tick = LtpTick(Mode.LTP, 1, "3045", 1, 0, 80000)
    record = tick_json(tick, "NSE:SBIN-EQ")
    assert record["exchange_time"] is None
    assert record["exchange_time_ms"] == 0


def test_order_update_json_is_exact_and_serialisable() -> None:
    update = FakeOrderUpdate(
        "250102000000123",
        "AB05",
        "complete",
        filled=10,
        average_price=Decimal("801.25"),
        updated_at=datetime(2025, 1, 2, 3, 45, 0, tzinfo=UTC),
    )
    record = order_update_json(update)
    assert json.loads(json.dumps(record)) == record
    assert record == {
        "ok": True,
        "schema": "stream/1",
        "type": "order_update",
        "order_id": "250102000000123",
        "status_code": "AB05",
        "status": "complete",
        "text": "",
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 10,
        "filled": 10,
        "average_price": "801.25",
        "updated_at": "2025-01-02T09:15:00+05:30",
    }


# --- threads -------------------------------------------------------------------------------------


def test_two_feeding_threads_and_a_repaint_thread_lose_no_tick() -> None:
    per_thread = 100_000
    keys = [(1, str(token)) for token in range(50)]
    m = StreamModel({k: f"NSE:{k[1]}" for k in keys}, spark_len=8)
    ticks = [ltp_tick(k, 1000 + i) for i, k in enumerate(keys)]
    start = threading.Barrier(3)
    done = threading.Event()
    snapshots: list[int] = []

    def feed() -> None:
        start.wait()
        for i in range(per_thread):
            m.on_tick(ticks[i % len(ticks)])

    def repaint() -> None:
        start.wait()
        while not done.is_set():
            snap = m.snapshot()
            assert sum(r.ticks for r in snap.rows) == snap.ticks
            snapshots.append(snap.ticks)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=feed), threading.Thread(target=feed)]
        painter = threading.Thread(target=repaint)
        for t in [*threads, painter]:
            t.start()
        for t in threads:
            t.join()
        done.set()
        painter.join()
    finally:
        sys.setswitchinterval(previous)
    snap = m.snapshot()
    assert snap.ticks == 2 * per_thread
    assert [r.ticks for r in snap.rows] == [2 * per_thread // len(keys)] * len(keys)
    assert all(len(r.prices) == 8 for r in snap.rows)
    assert snapshots == sorted(snapshots)


@dataclass
class FakeLinkStats:
    state: str = "backoff"
    reconnects: int = 4
    ticks_per_second: float = 12.5
    dropped: dict[str, int] = field(default_factory=dict)


def test_stream_status_is_built_from_the_clients_link_stats() -> None:
    stats = FakeLinkStats(dropped={"short frame": 2})
    status = StreamStatus.of(stats, detail="retry in 2.0 s")
    stats.dropped["short frame"] = 99  # the status copied the counters
    assert status == StreamStatus("backoff", 4, 12.5, {"short frame": 2}, "retry in 2.0 s")
    m = model()
    m.on_status(status)
    text = plain(screen(m.snapshot()))
    assert "backoff · reconnects 4 · 12 ticks/s" in text
    assert "dropped 2 (short frame 2) · retry in 2.0 s" in text
    assert coloured(styled(screen(m.snapshot())), "33", "backoff")


# --- real captures (tests/realdata/ticks/smartapi_python_ws2_decoded_SNAP_QUOTE_ticks_
# and_order_updates_2023-2025_index.txt, public GitHub Python files, values verbatim) -----------

REAL_AB05 = (
    '{"user-id": "A496209","status-code": "200","order-status": "AB05","error-message": "",'
    '"orderData": {"variety": "NORMAL","ordertype": "LIMIT","ordertag": "","producttype": '
    '"DELIVERY","price": 266.94,"triggerprice": 0.0,"quantity": "1","disclosedquantity": "0",'
    '"duration": "DAY","squareoff": 0.0,"stoploss": 0.0,"trailingstoploss": 0.0,'
    '"tradingsymbol": "NIFTYBEES-EQ","transactiontype": "BUY","exchange": "NSE","symboltoken": '
    '"10576","instrumenttype": "","strikeprice": -1.0,"optiontype": "","expirydate": "",'
    '"lotsize": "1","cancelsize": "0","averageprice": 265.62,"filledshares": "1",'
    '"unfilledshares": "0","orderid": "241226000790638","text": "","status": "complete",'
    '"orderstatus": "complete","updatetime": "26-Dec-2024 14:07:19","exchtime": '
    '"26-Dec-2024 14:07:19","exchorderupdatetime": "26-Dec-2024 14:07:19","fillid": "",'
    '"filltime": "","parentorderid": ""}}'
)


def real_nfo_snap() -> SnapQuoteTick:
    """Source B: NFO token 54786 (a NIFTY 23200 option), 2025-01-20 12:27:43 IST."""
    return SnapQuoteTick(
        mode=3,
        exchange_type=2,
        token="54786",
        sequence=32056818,
        exchange_time_ms=1737356263000,
        ltp_raw=25820,
        last_traded_qty=75,
        avg_price_raw=19815,
        volume=70813950,
        total_buy_qty=605175.0,
        total_sell_qty=281850.0,
        open_raw=20550,
        high_raw=26900,
        low_raw=16710,
        close_raw=18380,
        last_traded_time_s=1737356261,
        open_interest=3118800,
        oi_change_pct=0.0,
        bids=(
            DepthLevel(450, 25815, 3),
            DepthLevel(375, 25810, 4),
            DepthLevel(600, 25805, 7),
            DepthLevel(4200, 25800, 19),
            DepthLevel(150, 25795, 2),
        ),
        asks=(
            DepthLevel(150, 25870, 2),
            DepthLevel(1425, 25875, 5),
            DepthLevel(300, 25880, 3),
            DepthLevel(1725, 25890, 10),
            DepthLevel(825, 25895, 8),
        ),
        upper_circuit_raw=73165,
        lower_circuit_raw=5,
        high_52w_raw=72990,
        low_52w_raw=0,
    )


def test_real_nfo_snap_quote_row_and_record() -> None:
    key = (2, "54786")
    m = StreamModel({key: "NFO:NIFTY23JAN25C23200"}, clock=FakeClock())
    m.on_tick(real_nfo_snap())
    row = row_of(plain(screen(m.snapshot())), "NFO:NIFTY23JAN25C23200")
    assert row[:10] == [
        "NFO:NIFTY23JAN25C23200",
        "258.20",
        "+74.40",
        "+40.48%",
        "450",
        "258.15",
        "258.70",
        "150",
        "7,08,13,950",
        "31,18,800",
    ]
    record = tick_json(real_nfo_snap(), "NFO:NIFTY23JAN25C23200")
    assert record["exchange_type"] == "nse_fo"
    assert record["exchange_time"] == "2025-01-20T12:27:43.000+05:30"
    assert record["last_traded_time"] == "2025-01-20T12:27:41.000+05:30"
    assert record["lower_circuit"] == "0.05"
    assert record["low_52w"] == "0.00"
    assert record["depth"]["sell"][0] == {"price": "258.70", "quantity": 150, "orders": 2}


def test_real_order_update_frame_fits_the_panel_and_the_json_record() -> None:
    from angelctl.feed.orderupdates import parse_order_update

    update = parse_order_update(REAL_AB05)
    m = model()
    m.on_order_update(update)
    line = next(
        line
        for line in plain(screen(m.snapshot(), show_orders=True)).splitlines()
        if "241226000790638" in line
    )
    assert line.split() == [
        "14:07:19",
        "241226000790638",
        "complete",  # in words (issue 15)
        "BUY",
        "NSE:NIFTYBEES-EQ",
        "1/1",
        "265.62",
    ]
    record = order_update_json(update)
    assert json.loads(json.dumps(record)) == record
    assert record["average_price"] == "265.62"
    assert record["updated_at"] == "2024-12-26T14:07:19+05:30"
    assert (record["status_code"], record["status"], record["filled"]) == ("AB05", "complete", 1)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AB09", "open pending"),
        ("AB10", "trigger pending"),
        ("AB03", "rejected"),
        ("AB06", "after-market order received"),
        ("AB77", "AB77 unknown"),
    ],
)
def test_order_statuses_are_shown_in_words_and_unknown_codes_say_so(code: str, words: str) -> None:
    m = model()
    m.on_order_update(FakeOrderUpdate("250102000000123", code, "whatever the row said"))
    line = next(
        line
        for line in plain(screen(m.snapshot(), show_orders=True), width=200).splitlines()
        if "250102000000123" in line
    )
    assert words in line
    assert "whatever" not in line
    if not words.endswith("unknown"):
        assert code not in line


@pytest.mark.parametrize(
    ("mode", "shown", "absent"),
    [
        (1, ["symbol", "LTP", "trend", "age"], ["change", "bid", "ask", "volume", "OI"]),
        (2, ["symbol", "LTP", "change", "%", "volume", "trend"], ["bid", "ask", "OI"]),
        (3, ["symbol", "LTP", "change", "bid", "ask", "OI"], []),
    ],
)
def test_the_table_shows_only_the_columns_the_mode_carries(
    mode: int, shown: list[str], absent: list[str]
) -> None:
    m = model()
    m.on_tick(snap_tick(SBIN, 80125, 79500) if mode == 3 else quote_tick(SBIN, 80125, 79500))
    found = headers(plain(screen(m.snapshot(), mode=mode), width=200))
    assert [h for h in shown if h not in found] == []
    assert [h for h in absent if h in found] == []


def test_status_line_keeps_state_rate_dropped_and_last_tick_when_narrow() -> None:
    m = model()
    m.on_status(StreamStatus("connected", 3, 1234.4, {"bad frame: short": 2, "queue full": 5}))
    m.on_tick(ltp_tick(SBIN, 80000))
    line = status_line(m.snapshot(), 64).plain
    assert len(line) <= 64
    for part in ("connected", "1,234 ticks/s", "dropped 7", "last tick 09:15:00 IST"):
        assert part in line
