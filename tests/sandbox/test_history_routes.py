"""getCandleData and getOIData on the sandbox, over loopback with raw requests: the real shapes,
the refusals, the rate limit, determinism, the aggregation of intervals and the agreement of
today's candles with the live quote. The clock is the suite's ManualClock (10-Mar-2026 10:00 IST,
a Tuesday)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import requests

from angelctl.sandbox import ManualClock
from angelctl.sandbox.clock import IST
from tests.sandbox.conftest import QUOTE, SBIN, Broker
from tests.sandbox.test_sandbox_quirks import SDK_HEADERS

CANDLES = "/rest/secure/angelbroking/historical/v1/getCandleData"
OI = "/rest/secure/angelbroking/historical/v1/getOIData"
NIFTY = ("NSE", "99926000")


def body(exchange: str, token: str, interval: str, start: str, end: str) -> dict[str, str]:
    return {
        "exchange": exchange,
        "symboltoken": token,
        "interval": interval,
        "fromdate": start,
        "todate": end,
    }


def ask(broker: Broker, jwt: str, path: str = CANDLES, **fields: Any) -> Any:
    """One request a second after the last (the candle budget is 3/s)."""
    broker.clock.advance(1)
    reply = broker.post(path, fields, jwt)
    assert reply.status_code == 200, reply.text
    return reply.json()


def candles(broker: Broker, jwt: str, *args: str) -> list[list[Any]]:
    answer = ask(broker, jwt, **body(*args))
    assert answer["status"] is True, answer
    rows: list[list[Any]] = answer["data"]
    return rows


def nifty_future(broker: Broker) -> str:
    rows = broker.admin_get("/instruments", params={"name": "NIFTY", "instrumenttype": "FUTIDX"})
    return str(rows["rows"][0]["token"])


# ------------------------------------------------------------------------------ shapes


def test_candles_have_the_captured_shape_and_an_index_has_no_volume(
    broker: Broker, jwt: str
) -> None:
    rows = candles(broker, jwt, *NIFTY, "ONE_HOUR", "2026-03-09 09:15", "2026-03-09 15:30")

    assert [row[0] for row in rows] == [
        f"2026-03-09T{h}:15:00+05:30" for h in ("09", "10", "11", "12", "13", "14", "15")
    ]
    for stamp, o, h, low, c, volume in rows:
        assert isinstance(stamp, str) and all(isinstance(p, float) for p in (o, h, low, c))
        assert low <= min(o, c) <= max(o, c) <= h
        assert volume == 0  # an index


def test_one_bar_in_a_short_range_as_in_the_live_capture(broker: Broker, jwt: str) -> None:
    rows = candles(broker, jwt, *NIFTY, "ONE_HOUR", "2026-03-09 11:15", "2026-03-09 12:00")

    assert [row[0] for row in rows] == ["2026-03-09T11:15:00+05:30"]


def test_weekends_and_holidays_have_no_candles(broker: Broker, jwt: str) -> None:
    week = candles(broker, jwt, *SBIN[:2], "ONE_DAY", "2026-02-27 00:00", "2026-03-09 23:59")
    days = [row[0][:10] for row in week]

    assert "2026-02-28" not in days and "2026-03-01" not in days  # Saturday, Sunday
    assert "2026-03-03" not in days  # Holi, an NSE holiday in 2026
    assert days == sorted(days) and "2026-03-02" in days and "2026-03-09" in days
    assert (
        candles(broker, jwt, *SBIN[:2], "ONE_MINUTE", "2026-03-07 09:00", "2026-03-08 16:00") == []
    )


# ---------------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_candles(
    broker: Broker, jwt: str, sandbox_server: Any, sandbox_clock: ManualClock
) -> None:
    # not SBIN: the jwt fixture re-priced it, which re-anchors its history at the new close
    asked = (*NIFTY, "FIVE_MINUTE", "2026-02-02 09:15", "2026-02-06 15:30")
    first = candles(broker, jwt, *asked)
    sandbox_server.engine.reset()  # fresh tickers, same seed
    again = candles(broker, broker.tokens().jwt, *asked)

    assert first == again and len(first) == 5 * 75


def test_coarser_intervals_are_the_aggregate_of_the_minutes(broker: Broker, jwt: str) -> None:
    day = ("2026-03-05 09:15", "2026-03-05 15:30")
    minutes = candles(broker, jwt, *SBIN[:2], "ONE_MINUTE", *day)
    for interval, size in (("FIVE_MINUTE", 5), ("ONE_HOUR", 60), ("ONE_DAY", 375)):
        coarse = candles(broker, jwt, *SBIN[:2], interval, *day)
        expected = [
            [minutes[i][1], max(r[2] for r in group), min(r[3] for r in group), group[-1][4],
             sum(r[5] for r in group)]
            for i in range(0, len(minutes), size)
            for group in [minutes[i : i + size]]
        ]  # fmt: skip
        assert [row[1:] for row in coarse] == expected, interval
    assert len(minutes) == 375 and minutes[-1][0] == "2026-03-05T15:29:00+05:30"
    (day,) = candles(broker, jwt, *SBIN[:2], "ONE_DAY", *day)
    assert day[0] == "2026-03-05T00:00:00+05:30"  # a day bar is stamped at midnight IST


# ---------------------------------------------------------------- today and the quote


def test_today_ends_at_the_quote_and_yesterday_at_its_close(
    broker: Broker, sandbox_clock: ManualClock
) -> None:
    jwt = broker.tokens().jwt  # a live (not frozen) market
    for _ in range(6):  # the market trades in several minutes
        sandbox_clock.advance(47)
        broker.post(QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": [SBIN[1]]}}, jwt)
    rows = candles(broker, jwt, *SBIN[:2], "ONE_MINUTE", "2026-03-10 09:00", "2026-03-10 16:00")
    quote = broker.post(QUOTE, {"mode": "FULL", "exchangeTokens": {"NSE": [SBIN[1]]}}, jwt)
    q = quote.json()["data"]["fetched"][0]

    now = sandbox_clock.now().astimezone(IST)
    assert rows[0][0] == "2026-03-10T09:15:00+05:30"
    assert rows[-1][0] == now.strftime("%Y-%m-%dT%H:%M:00+05:30")
    assert rows[0][1] == q["open"] and rows[-1][4] == q["ltp"]
    assert max(r[2] for r in rows) == q["high"] and min(r[3] for r in rows) == q["low"]
    assert sum(r[5] for r in rows) == q["tradeVolume"] > 0
    yesterday = candles(broker, jwt, *SBIN[:2], "ONE_DAY", "2026-03-09 00:00", "2026-03-09 23:59")
    assert yesterday[0][4] == q["close"]  # the previous close


def test_a_finished_minute_never_changes(broker: Broker, sandbox_clock: ManualClock) -> None:
    jwt = broker.tokens().jwt
    asked = (*SBIN[:2], "ONE_MINUTE", "2026-03-10 09:15", "2026-03-10 15:30")
    before = candles(broker, jwt, *asked)
    sandbox_clock.advance(300)
    after = candles(broker, jwt, *asked)

    assert after[: len(before) - 1] == before[:-1] and len(after) > len(before)


# ------------------------------------------------------------------- open interest


def test_open_interest_of_a_future_ends_at_the_quote(broker: Broker, jwt: str) -> None:
    token = nifty_future(broker)
    rows = ask(
        broker, jwt, OI, **body("NFO", token, "ONE_HOUR", "2026-03-09 09:15", "2026-03-10 15:30")
    )
    q = broker.post(QUOTE, {"mode": "FULL", "exchangeTokens": {"NFO": [token]}}, jwt).json()

    data = rows["data"]
    assert set(data[0]) == {"time", "oi"} and data[0]["time"] == "2026-03-09T09:15:00+05:30"
    assert all(row["oi"] > 0 and row["oi"] % 65 == 0 for row in data)
    assert data[-1]["oi"] == q["data"]["fetched"][0]["opnInterest"]


def test_open_interest_of_a_cash_scrip_is_no_data(broker: Broker, jwt: str) -> None:
    answer = ask(
        broker, jwt, OI, **body(*SBIN[:2], "ONE_HOUR", "2026-03-09 09:15", "2026-03-09 15:30")
    )

    assert (answer["status"], answer["errorcode"], answer["message"]) == (
        False, "AB9019", "No Data Available"
    )  # fmt: skip


# --------------------------------------------------------------------------- refusals


def test_refusals_use_the_brokers_answers(broker: Broker, jwt: str) -> None:
    cases = [
        body(*SBIN[:2], "TWO_MINUTE", "2026-03-09 09:15", "2026-03-09 15:30"),
        body(*SBIN[:2], "ONE_MINUTE", "2026-03-09 15:30", "2026-03-09 09:15"),  # from > to
        body(*SBIN[:2], "ONE_MINUTE", "09-03-2026 09:15", "2026-03-09 15:30"),
        body("CDS", "1", "ONE_MINUTE", "2026-03-09 09:15", "2026-03-09 15:30"),
    ]
    for case in cases:
        answer = ask(broker, jwt, **case)
        assert (answer["status"], answer["errorcode"], answer["data"]) == (False, "AB1004", None)
        assert answer["message"] == "Something Went Wrong, Please Try After Sometime"
    unknown = ask(
        broker, jwt, **body("NSE", "999999999", "ONE_DAY", "2026-03-09 00:00", "2026-03-09 23:59")
    )
    assert unknown["errorcode"] == "AB1018"


def test_a_range_over_the_maximum_span_is_truncated_or_refused(broker: Broker, jwt: str) -> None:
    long = body(*SBIN[:2], "ONE_MINUTE", "2026-01-01 09:15", "2026-03-09 15:30")
    rows = ask(broker, jwt, **long)["data"]
    assert rows[0][0].startswith("2026-01-01") and rows[-1][0] < "2026-01-31T09:16"

    broker.configure(history_over_span="error")
    assert ask(broker, jwt, **long)["errorcode"] == "AB1004"


def test_no_data_can_answer_an_empty_list_or_ab9019(broker: Broker, jwt: str) -> None:
    weekend = body(*SBIN[:2], "ONE_DAY", "2026-03-07 00:00", "2026-03-08 23:59")
    assert ask(broker, jwt, **weekend) == {
        "status": True, "message": "SUCCESS", "errorcode": "", "data": []
    }  # fmt: skip
    broker.configure(history_no_data="AB9019")
    assert ask(broker, jwt, **weekend)["errorcode"] == "AB9019"


def test_candles_and_oi_share_the_three_per_second_budget(broker: Broker, jwt: str) -> None:
    broker.clock.advance(2)
    asked = body(*NIFTY, "ONE_DAY", "2026-03-09 00:00", "2026-03-09 23:59")
    replies = [broker.post(path, asked, jwt) for path in (CANDLES, CANDLES, OI, CANDLES)]

    assert [r.status_code for r in replies[:3]] == [200, 200, 200]
    assert replies[3].status_code == 403 and "exceeding access rate" in replies[3].text


# ------------------------------------------------------------------ the official SDK


def test_the_sdk_1_5_5_request_is_served(broker: Broker, jwt: str) -> None:
    """SmartConnect.getCandleData as SDK 1.5.5 sends it: its headers (lower-case ``Content-type``,
    the hard-coded public IP) and ``json.dumps`` of the params (spaces after separators)."""
    headers = {**SDK_HEADERS, "Authorization": f"Bearer {jwt}"}
    params = {
        "exchange": "NSE",
        "symboltoken": "3045",
        "interval": "ONE_MINUTE",
        "fromdate": "2026-03-09 09:15",
        "todate": "2026-03-09 09:20",
    }
    broker.clock.advance(1)
    reply = requests.post(broker.url + CANDLES, data=json.dumps(params), headers=headers, timeout=7)

    answer = reply.json()
    assert (reply.status_code, answer["status"], answer["message"]) == (200, True, "SUCCESS")
    assert [row[0][11:16] for row in answer["data"]] == [
        "09:15", "09:16", "09:17", "09:18", "09:19", "09:20"
    ]  # fmt: skip


def test_a_year_of_minutes_in_thirteen_requests(broker: Broker, jwt: str) -> None:
    start = datetime(2025, 3, 10)
    total, seen = 0, set()
    for n in range(13):
        a = start + timedelta(days=30 * n)
        b = min(a + timedelta(days=29, hours=23, minutes=59), datetime(2026, 3, 9, 23, 59))
        rows = candles(
            broker, jwt, *SBIN[:2], "ONE_MINUTE", f"{a:%Y-%m-%d %H:%M}", f"{b:%Y-%m-%d %H:%M}"
        )
        seen.update(row[0] for row in rows)
        total += len(rows)

    assert total == len(seen) > 240 * 375  # no bar twice, ~a year of sessions
