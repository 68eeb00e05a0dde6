"""``angelctl candles`` against the sandbox over loopback: pagination, pacing, the on-disk cache,
the outputs (JSON, CSV, Parquet, the plain table) and the chart as a person sees it on an 80- and
a 120-column terminal. The sandbox runs on the suite's shifted real clock, so "today" is the real
IST day and the fixed ranges below (2025–2026) are in the past.
"""

from __future__ import annotations

import csv
import itertools
import json
import stat
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from angelctl.broker.candle_cache import CandleCache
from angelctl.broker.history import Candle, CandleRequest, plan_chunks
from angelctl.broker.ratelimit import SAFETY, RateLimiter
from angelctl.broker.routes import DEFAULT_LIMITS, ROUTES
from angelctl.clock import IST
from tests.cli.test_live_screens import PtyScreen
from tests.conftest import ShiftedClock, requests_seen


def candle_bodies(sandbox: Any) -> list[dict[str, str]]:
    rows = [r for r in requests_seen(sandbox) if r.get("route") == "getCandleData"]
    return [json.loads(r["body"]) for r in rows]


def as_candles(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in document["candles"]]


# --------------------------------------------------------------------------- pagination


def test_chunks_never_overlap_or_leave_a_day_out() -> None:
    for interval, width in (("ONE_MINUTE", 30), ("FIVE_MINUTE", 100), ("ONE_DAY", 2000)):
        first, last = date(2024, 1, 1), date(2026, 11, 30)
        chunks = plan_chunks(interval, first, last)
        assert chunks[0][0] == first and chunks[-1][1] == last
        for (_, b), (c, _) in itertools.pairwise(chunks):
            assert c == b + timedelta(days=1)  # contiguous, disjoint
        assert all((b - a).days + 1 <= width for a, b in chunks)


def test_a_year_of_minutes_is_paginated_and_paced_under_the_limit(
    sandbox: Any, sandbox_login: Any, cli_on_sandbox_time: Any
) -> None:
    result = cli_on_sandbox_time(
        "candles", "SBIN", "-i", "1m", "--from", "2025-11-03", "--to", "2026-11-02", "--json"
    )

    assert result.code == 0, result.both
    document = result.json()
    times = [row["time"] for row in document["candles"]]
    assert document["calls"] == 13 and len(times) == len(set(times)) > 240 * 375
    assert times == sorted(times) and times[0] == "2025-11-03T09:15:00+05:30"
    assert times[-1] == "2026-11-02T15:29:00+05:30"
    bodies = candle_bodies(sandbox)
    assert [b["fromdate"] for b in bodies][:2] == ["2025-11-03 00:00", "2025-12-03 00:00"]
    assert [b["todate"] for b in bodies][:2] == ["2025-12-02 23:59", "2026-01-01 23:59"]
    seen = [r for r in requests_seen(sandbox) if r["route"] == "getCandleData"]
    # the sandbox enforces 3/s (its limiter judges arrival times) and refused none
    assert len(seen) == 13 and {r["status"] for r in seen} == {200}


def test_thirteen_chunks_are_paced_at_the_bound_the_limit_allows(tmp_path: Path) -> None:
    """What the client's shared limiter grants a 13-request range at once, on the injected
    clock: three a second (plus its safety margin), so the last goes four windows later."""
    clock = ShiftedClock()
    limiter = RateLimiter(tmp_path / "rl.sqlite3", DEFAULT_LIMITS, clock)
    spends = ROUTES["getCandleData"].spends
    slots = [limiter.reserve("C", spends) for _ in range(13)]

    start = slots[0]
    assert all(later - first >= 1.0 for first, later in zip(slots, slots[3:], strict=False))
    assert slots[-1] - start == pytest.approx(4 * (1.0 + SAFETY))
    assert ROUTES["getOIData"].spends == spends  # OI shares the candle budget
    limiter.close()


def test_a_holiday_inside_a_range_has_no_bars_and_no_gap_around_it(
    sandbox: Any, sandbox_login: Any, cli_on_sandbox_time: Any
) -> None:
    result = cli_on_sandbox_time(
        "candles", "SBIN", "-i", "1d", "--from", "2026-11-20", "--to", "2026-11-27", "--json"
    )

    days = [row["time"][:10] for row in result.json()["candles"]]
    assert days == ["2026-11-20", "2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27"]


# -------------------------------------------------------------------------------- cache


def test_a_repeated_range_makes_no_call_and_an_overlap_only_the_missing_days(
    sandbox: Any, sandbox_login: Any, cli_on_sandbox_time: Any
) -> None:
    asked = ("candles", "SBIN", "-i", "5m", "--json")
    first = cli_on_sandbox_time(*asked, "--from", "2026-11-02", "--to", "2026-11-10").json()
    again = cli_on_sandbox_time(*asked, "--from", "2026-11-02", "--to", "2026-11-10").json()
    wider = cli_on_sandbox_time(*asked, "--from", "2026-11-05", "--to", "2026-11-20").json()

    assert first["calls"] == 1 and again["calls"] == 0 and as_candles(again) == as_candles(first)
    assert wider["calls"] == 1 and wider["cached_days"] == 6
    assert [(b["fromdate"], b["todate"]) for b in candle_bodies(sandbox)] == [
        ("2026-11-02 00:00", "2026-11-10 23:59"),
        ("2026-11-11 00:00", "2026-11-20 23:59"),
    ]
    fresh = cli_on_sandbox_time(*asked, "--from", "2026-11-05", "--to", "2026-11-20", "--no-cache")
    assert as_candles(fresh.json()) == as_candles(wider)


def test_only_complete_bars_and_finished_days_are_cached(tmp_path: Path) -> None:
    cache = CandleCache(tmp_path / "cache" / "candles.sqlite3", "p@http://127.0.0.1:1")
    request = CandleRequest(
        "NSE", "3045", "ONE_MINUTE",
        datetime(2026, 3, 9, tzinfo=IST), datetime(2026, 3, 10, 23, 59, tzinfo=IST),
    )  # fmt: skip
    price = Decimal("800.05")
    bars = [
        Candle(datetime(2026, 3, d, 10, m, tzinfo=IST), price, price, price, price, 5)
        for d in (9, 10)
        for m in (0, 1, 2)
    ]
    read_at = datetime(2026, 3, 10, 10, 1, 30, tzinfo=IST)  # 10:01 is still forming

    stored = cache.store(request, date(2026, 3, 9), date(2026, 3, 10), bars, read_at)

    assert stored == 4  # yesterday's three and today's 10:00
    assert cache.covered(request, [date(2026, 3, 9), date(2026, 3, 10)]) == {date(2026, 3, 9)}
    kept = cache.read(request, [date(2026, 3, 9), date(2026, 3, 10)])
    assert [c.at.strftime("%d %H:%M") for c in kept] == [
        "09 10:00",
        "09 10:01",
        "09 10:02",
        "10 10:00",
    ]
    assert kept[0] == bars[0]
    other = CandleCache(cache.path, "p@http://127.0.0.1:2")  # another base URL never mixes
    assert other.covered(request, [date(2026, 3, 9)]) == set()
    cache.close()
    other.close()
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700


# ------------------------------------------------------------------------------ outputs


def test_csv_round_trips_the_json(
    sandbox: Any, sandbox_login: Any, cli_on_sandbox_time: Any, tmp_path: Path
) -> None:
    asked = ("candles", "SBIN", "-i", "15m", "--from", "2026-11-02", "--to", "2026-11-03")
    document = cli_on_sandbox_time(*asked, "--json").json()
    target = tmp_path / "sbin.csv"
    result = cli_on_sandbox_time(*asked, "--csv", str(target))

    assert result.code == 0 and result.out == "" and "wrote 50 candles" in result.err
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        {
            "time": r["time"], "open": float(r["open"]), "high": float(r["high"]),
            "low": float(r["low"]), "close": float(r["close"]), "volume": int(r["volume"]),
        }
        for r in rows
    ] == document["candles"]  # fmt: skip
    assert rows[0]["open"] == format(Decimal(str(document["candles"][0]["open"])), "f")


def test_parquet_holds_the_same_candles(
    sandbox: Any, sandbox_login: Any, cli_on_sandbox_time: Any, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    asked = ("candles", "NIFTY FUT", "-i", "1h", "--from", "2026-11-02", "--to", "2026-11-03")
    document = cli_on_sandbox_time(*asked, "--oi", "--json").json()
    target = tmp_path / "fut.parquet"
    assert cli_on_sandbox_time(*asked, "--oi", "--parquet", str(target)).code == 0

    table = pq.read_table(target).to_pylist()
    assert table[0].keys() == {"time", "open", "high", "low", "close", "volume", "oi"}
    assert [r["time"].isoformat() for r in table] == [c["time"] for c in document["candles"]]
    assert [r["oi"] for r in table] == [c["oi"] for c in document["candles"]]
    assert all(c["oi"] > 0 for c in document["candles"])


def test_open_interest_of_a_cash_symbol_is_refused_before_any_call(
    sandbox: Any, sandbox_login: Any, cli: Any
) -> None:
    result = cli("candles", "SBIN", "--oi", "--from", "2026-11-02", "--to", "2026-11-02")

    assert result.code != 0 and "open interest exists only for futures and options" in result.err
    assert "hint:" in result.err and candle_bodies(sandbox) == []


def test_piped_output_is_the_plain_table(sandbox: Any, sandbox_login: Any, cli: Any) -> None:
    result = cli("candles", "SBIN", "-i", "1h", "--from", "2026-11-02", "--to", "2026-11-02")

    lines = result.out.splitlines()
    assert lines[1].split() == ["Time", "(IST)", "Open", "High", "Low", "Close", "Volume"]
    assert lines[2].startswith("02-Nov-2026 09:15") and len(lines) == 2 + 7 + 1
    assert "\x1b[" not in result.out


# -------------------------------------------------------------------------------- chart


@pytest.mark.parametrize("columns", [80, 120])
def test_the_chart_fits_the_terminal_with_ist_times_and_indian_prices(
    sandbox: Any, sandbox_login: Any, columns: int
) -> None:
    args = ("candles", "SBIN", "-i", "1m", "--from", "2026-11-02", "--to", "2026-11-02")
    with PtyScreen(*args, columns=columns, lines=30) as screen:
        assert screen.exit_code() == 0
        lines = screen.lines()

    text = "\n".join(lines)
    assert lines[0].startswith("SBIN-EQ NSE 1m  02-Nov 09:15 – 02-Nov 15:29 IST"), text
    axis = [line.split() for line in lines if line.strip().startswith("IST ")]
    assert axis and axis[0][1] == "09:15" and len(axis[0]) >= 4, text  # the time axis, IST
    assert "█" in text and "┤" in text and "vol" in text
    priced = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    assert any(p.count(",") == 1 and p.endswith(tuple("0123456789")) for p in priced), priced
    drawn = [line for line in lines[1:] if "┤" in line]
    assert max(len(line) for line in drawn) > columns - 10  # 375 candles use the width …
    assert all(len(line) <= columns for line in lines)  # … and never wraps
