"""Handlers for historical data (docs/protocol.md#historical-candles): ``getCandleData`` and
``getOIData``, computed by ``engine.history`` from the paper market.

Request (both routes): ``exchange, symboltoken, interval, fromdate, todate`` with dates as
``"yyyy-MM-dd HH:mm"`` (IST). Answers:
- getCandleData: ``data: [["2023-09-06T11:15:00+05:30", open, high, low, close, volume], …]``
  (the live capture's shape: prices as JSON numbers in rupees, volume an integer, 0 for indices);
- getOIData: ``data: [{"time": "…+05:30", "oi": 123450}, …]`` for derivatives only.

Refusals (the broker's generic AB1004 "Something Went Wrong, Please Try After Sometime", which it
answered live for ``fromdate > todate``; for the other cases its answer is a [GAP] and the same
code is chosen): an unknown interval, a date not in the format, ``fromdate > todate``, an
exchange the historical API does not serve (CDS). An unknown token → AB1018 "Failed to get
symbol details" (as getLtpData). getOIData for a cash or index token → AB9019 "No Data
Available". A range over the interval's maximum span is truncated to it or refused
(``history_over_span``); a range with no bars answers per ``history_no_data`` ([CONFLICT]).

Invariant: a handler reads the ticker first (which brings the live market up to now), so the
answer and a quote made at the same moment agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from angelctl.sandbox.engine import history
from angelctl.sandbox.engine.market import Ticker
from angelctl.sandbox.engine.tape import SCALE
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success

WENT_WRONG = ("AB1004", "Something Went Wrong, Please Try After Sometime")
NO_SYMBOL = ("AB1018", "Failed to get symbol details")
NO_DATA = ("AB9019", "No Data Available")
DATE_FORMAT = "%Y-%m-%d %H:%M"


def _parse(text: str | None) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip(), DATE_FORMAT)
    except ValueError:
        return None


def _request(
    state: BrokerState, call: Call
) -> tuple[Ticker, str, datetime, datetime] | EngineResponse:
    """The validated request, or the broker's refusal."""
    exchange = (call.text("exchange") or "").strip().upper()
    token = (call.text("symboltoken") or "").strip()
    interval = (call.text("interval") or "").strip().upper()
    start, end = _parse(call.text("fromdate")), _parse(call.text("todate"))
    if interval not in history.INTERVAL_MINUTES or start is None or end is None:
        return oms_error(*WENT_WRONG)
    if exchange not in history.HISTORY_EXCHANGES or start > end:
        return oms_error(*WENT_WRONG)
    ticker = state.paper.market.ticker(exchange, token) if token else None
    if ticker is None or ticker.instrument.exch_seg != exchange:
        return oms_error(*NO_SYMBOL)
    span = timedelta(days=history.MAX_SPAN_DAYS[interval])
    if end - start > span:
        if state.config.history_over_span == "error":
            return oms_error(*WENT_WRONG)
        end = start + span
    return ticker, interval, start, end


def _empty(state: BrokerState) -> EngineResponse:
    choice = state.config.history_no_data
    if choice == "AB9019":
        return oms_error(*NO_DATA)
    if choice == "AB1004":
        return oms_error(*WENT_WRONG)
    return success([])


def get_candle_data(state: BrokerState, call: Call) -> EngineResponse:
    checked = _request(state, call)
    if not isinstance(checked, tuple):
        return checked
    ticker, interval, start, end = checked
    rows: list[list[Any]] = [
        [history.stamp(day, bar[0]), *(price / SCALE for price in bar[1:5]), bar[5]]
        for day, bar, _ in history.candles(ticker, interval, start, end, call.now)
    ]
    return success(rows) if rows else _empty(state)


def get_oi_data(state: BrokerState, call: Call) -> EngineResponse:
    checked = _request(state, call)
    if not isinstance(checked, tuple):
        return checked
    ticker, interval, start, end = checked
    if not ticker.oi_base:
        return oms_error(*NO_DATA)
    now = call.now
    rows: list[dict[str, Any]] = []
    for day, bar, last in history.candles(ticker, interval, start, end, now):
        current = history.is_today_last(ticker, day, last, now)
        oi = ticker.open_interest if current else history.open_interest(ticker, day, last)
        rows.append({"time": history.stamp(day, bar[0]), "oi": oi})
    return success(rows) if rows else _empty(state)


HANDLERS: dict[str, Handler] = {
    "getCandleData": get_candle_data,
    "getOIData": get_oi_data,
}
