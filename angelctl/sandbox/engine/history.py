"""Deterministic candle and open-interest history from the paper market's price model.

Past trading days are computed, never stored: day ``d`` of an instrument closes at
``prev_close × exp(L(d) − L(anchor))`` where ``anchor`` is the last trading day before today (so
yesterday closes exactly at the quote's previous close) and ``L`` is smooth value noise of the
calendar day (octaves of 1 to 256 days, amplitude ∝ √scale: a random-walk-like level that any day
can be read from in O(1)). The day opens at the previous calendar day's level plus a small gap,
and its one-minute path is a Brownian bridge from open to close drawn from an RNG seeded by
(instrument seed, day): a day costs ~375 draws, so any range is computed without the history
before it, and the same seed always gives the same candles. Wicks and volumes come from the same
draws; index volume is 0.

Today is the ticker's ``tape`` (what the live market really did): recorded minutes are bars as
traded, minutes nobody looked at repeat the previous close with no volume, trades before the
open fold into the first bar, trades after the close belong to no bar. So today's first open is
the quote's open, the last close (during the session) its LTP, the day's high/low and volume its
high/low and volume; a bar never changes once its minute is over.

Coarser intervals aggregate the one-minute bars in buckets counted from the session's open (an
hour bar at 09:15, 10:15, …, the last one short), so they agree exactly; ONE_DAY bars are stamped
at 00:00 IST. Prices are integers in ``tape.SCALE`` units on the tick grid until the wire.

Invariants: pure function of (config seed, instrument, previous close, calendar, tape, now);
never reads a clock itself; only session minutes of trading days (``market_calendar``,
``trading_hours``) have bars; past days are kept in a small bounded cache.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from angelctl.sandbox.clock import IST
from angelctl.sandbox.engine.market import Ticker, _draw, _mix, _uniform
from angelctl.sandbox.engine.tape import SCALE
from angelctl.sandbox.market_calendar import CALENDAR_OF_SEGMENT, is_trading_day
from angelctl.sandbox.trading_hours import session_bounds

INTERVAL_MINUTES: dict[str, int] = {
    "ONE_MINUTE": 1,
    "THREE_MINUTE": 3,
    "FIVE_MINUTE": 5,
    "TEN_MINUTE": 10,
    "FIFTEEN_MINUTE": 15,
    "THIRTY_MINUTE": 30,
    "ONE_HOUR": 60,
    "ONE_DAY": 0,  # one bar per day
}
MAX_SPAN_DAYS: dict[str, int] = {
    "ONE_MINUTE": 30,
    "THREE_MINUTE": 60,
    "FIVE_MINUTE": 100,
    "TEN_MINUTE": 100,
    "FIFTEEN_MINUTE": 200,
    "THIRTY_MINUTE": 200,
    "ONE_HOUR": 400,
    "ONE_DAY": 2000,
}
HISTORY_EXCHANGES = frozenset({"NSE", "NFO", "BSE", "BFO", "MCX"})

DAILY_VOLATILITY = 0.011  # of the log price over one session
_OCTAVES = (1, 4, 16, 64, 256)  # calendar days per knot of the level noise
_GAP = 0.003  # overnight gap (standard deviation of the log price)
_OI_SALT = 0x01D1
_CACHE_DAYS = 512

# (minute of day, open, high, low, close, volume); prices in SCALE units
Bar = tuple[int, int, int, int, int, int]

_cache: OrderedDict[tuple[object, ...], list[Bar]] = OrderedDict()
_cache_lock = threading.Lock()


def session_minutes(exch_seg: str, day: date) -> tuple[int, int]:
    """(first minute, minute after the last) of the day's normal session, minutes of the day."""
    start, end = session_bounds(exch_seg, day)
    return start.hour * 60 + start.minute, end.hour * 60 + end.minute


def trades_on(exch_seg: str, day: date) -> bool:
    return is_trading_day(CALENDAR_OF_SEGMENT[exch_seg], day)


def anchor_day(exch_seg: str, today: date) -> date:
    """The last trading day before ``today``: the one that closes at the previous close."""
    day = today - timedelta(days=1)
    while not trades_on(exch_seg, day):
        day -= timedelta(days=1)
    return day


def _level(seed: int, ordinal: int) -> float:
    """Smooth noise of the calendar day: the log price relative to any other day."""
    total = 0.0
    for octave, scale in enumerate(_OCTAVES):
        salt = _mix(seed ^ (0xA5A5 + octave))
        knot, offset = divmod(ordinal, scale)
        a = _uniform(salt, knot) - 0.5
        b = _uniform(salt, knot + 1) - 0.5
        f = offset / scale
        f = f * f * (3 - 2 * f)
        total += (a + (b - a) * f) * DAILY_VOLATILITY * 2.4 * math.sqrt(scale)
    return total


def _to_tick(log_price: float, tick: int) -> int:
    return max(round(math.exp(log_price) * SCALE / tick), 1) * tick


def _ticker_key(ticker: Ticker) -> tuple[object, ...]:
    i = ticker.instrument
    return (ticker.seed, int(ticker.prev_close * SCALE), int(ticker.tick * SCALE), i.lotsize)


def past_day(ticker: Ticker, day: date, today: date) -> list[Bar]:
    """The one-minute bars of a trading day before ``today`` (cached, bounded)."""
    exch = ticker.instrument.exch_seg
    key = (*_ticker_key(ticker), ticker.instrument.is_index, exch, day, today)
    with _cache_lock:
        bars = _cache.get(key)
        if bars is not None:
            _cache.move_to_end(key)
            return bars
    bars = _compute_day(ticker, day, anchor_day(exch, today))
    with _cache_lock:
        _cache[key] = bars
        while len(_cache) > _CACHE_DAYS:
            _cache.popitem(last=False)
    return bars


def _compute_day(ticker: Ticker, day: date, anchor: date) -> list[Bar]:
    # long: one tight loop over the day's minutes; split, it would pay calls per bar
    seed, tick = ticker.seed, int(ticker.tick * SCALE)
    n = day.toordinal()
    base = math.log(float(ticker.prev_close)) - _level(seed, anchor.toordinal())
    close = base + _level(seed, n)
    gap = (_uniform(_mix(seed ^ 0x6A9), n) - 0.5) * 2 * _GAP * math.sqrt(3)
    opening = base + _level(seed, n - 1) + gap
    start, end = session_minutes(ticker.instrument.exch_seg, day)
    minutes = end - start
    rng = random.Random(_mix(seed ^ (n * 0x9E3779B1)))
    gauss, uniform = rng.gauss, rng.random
    step = DAILY_VOLATILITY / math.sqrt(minutes)
    walk = [0.0] * (minutes + 1)
    w = 0.0
    for i in range(1, minutes + 1):
        w += gauss(0.0, step)
        walk[i] = w
    drift, end_walk = (close - opening) / minutes, walk[minutes]
    points = [
        _to_tick(opening + (drift - end_walk / minutes) * i + walk[i], tick)
        for i in range(minutes + 1)
    ]
    inst = ticker.instrument
    # a minute trades a few lots of a derivative, a few hundred shares of a cash scrip
    lot = 0 if inst.is_index else inst.lotsize * (1 if inst.is_future or inst.is_option else 100)
    bars: list[Bar] = []
    for i in range(minutes):
        o, c = points[i], points[i + 1]
        top, bottom = (o, c) if o >= c else (c, o)
        reach = abs(gauss(0.0, step)) * 0.6 * top
        wick = int(reach / tick) * tick
        high = top + wick if uniform() < 0.7 else top
        low = bottom - wick if uniform() < 0.7 else bottom
        u = 2.0 * i / minutes - 1.0
        volume = lot * (1 + int(uniform() * 6 * (1 + 2 * u * u))) if lot else 0
        bars.append((start + i, o, high, max(low, tick), c, volume))
    return bars


def today_bars(ticker: Ticker, day: date, now: datetime) -> list[Bar]:
    """Today's one-minute bars from the tape, up to the minute in progress (see the docstring)."""
    tape = ticker.tape
    if tape.day != day or not tape.bars:
        return []
    start, end = session_minutes(ticker.instrument.exch_seg, day)
    local = now.astimezone(IST)
    last = min(end, local.hour * 60 + local.minute + 1) if local.date() == day else end
    if last <= start:
        return []
    folded: dict[int, list[int]] = {}
    for minute in sorted(tape.bars):
        bucket = tape.bars[minute]
        if minute >= end:
            break
        slot = max(minute, start)
        seen = folded.get(slot)
        if seen is None:
            folded[slot] = list(bucket)
        else:
            seen[1], seen[2] = max(seen[1], bucket[1]), min(seen[2], bucket[2])
            seen[3], seen[4] = bucket[3], bucket[4]
    bars: list[Bar] = []
    price = folded[min(folded)][0] if folded else tape.bars[min(tape.bars)][0]
    volume_before = 0
    for minute in range(start, last):
        traded = folded.get(minute)
        if traded is None:
            bars.append((minute, price, price, price, price, 0))
            continue
        o, h, lo, c, cumulative = traded
        bars.append((minute, o, h, lo, c, max(cumulative - volume_before, 0)))
        price, volume_before = c, cumulative
    return bars


def minute_bars(ticker: Ticker, day: date, now: datetime) -> list[Bar]:
    """The one-minute bars of ``day`` as the sandbox knows them at ``now``."""
    exch = ticker.instrument.exch_seg
    today = now.astimezone(IST).date()
    if day > today or not trades_on(exch, day):
        return []
    if day == today:
        return today_bars(ticker, day, now)
    return past_day(ticker, day, today)


def aggregate(bars: list[Bar], minutes: int, start: int) -> list[Bar]:
    """Bars of ``minutes`` (0: the whole day) from one-minute ``bars`` of one day."""
    if minutes == 1 or not bars:
        return bars
    out: list[Bar] = []
    current: list[int] | None = None
    for minute, o, h, lo, c, v in bars:
        slot = start if minutes == 0 else start + (minute - start) // minutes * minutes
        if current is not None and current[0] == slot:
            current[2] = max(current[2], h)
            current[3] = min(current[3], lo)
            current[4] = c
            current[5] += v
            continue
        if current is not None:
            out.append((current[0], current[1], current[2], current[3], current[4], current[5]))
        current = [slot, o, h, lo, c, v]
    if current is not None:
        out.append((current[0], current[1], current[2], current[3], current[4], current[5]))
    return out


def open_interest(ticker: Ticker, day: date, minute: int) -> int:
    """Open interest at the end of ``minute`` of ``day`` (derivatives; 0 for the others)."""
    if not ticker.oi_base:
        return 0
    lot = ticker.instrument.lotsize
    wobble = _draw(ticker.seed ^ _OI_SALT, day.toordinal() * 1440 + minute) % 2001 - 1000
    return max(ticker.oi_base + wobble * lot, lot)


def candles(
    ticker: Ticker, interval: str, start: datetime, end: datetime, now: datetime
) -> Iterator[tuple[date, Bar, int]]:
    """(day, bar, last minute in the bar) for every bar of ``interval`` whose start is in
    [start, end] (naive IST); ONE_DAY compares days."""
    minutes = INTERVAL_MINUTES[interval]
    exch = ticker.instrument.exch_seg
    today = now.astimezone(IST).date()
    day = start.date()
    while day <= end.date() and day <= today:
        bars = minute_bars(ticker, day, now)
        if bars:
            first = session_minutes(exch, day)[0]
            grouped = aggregate(bars, minutes, first)
            for index, bar in enumerate(grouped):
                last = grouped[index + 1][0] - 1 if index + 1 < len(grouped) else bars[-1][0]
                if minutes == 0:  # the broker stamps a day bar at 00:00 IST
                    yield day, (0, *bar[1:]), last
                elif start <= _at(day, bar[0]) <= end:
                    yield day, bar, last
        day += timedelta(days=1)


def _at(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60)


_CLOCK = tuple(f"T{m // 60:02d}:{m % 60:02d}:00+05:30" for m in range(1440))


def stamp(day: date, minute: int) -> str:
    """The broker's bar time: ``2023-09-06T11:15:00+05:30``."""
    return day.isoformat() + _CLOCK[minute]


def is_today_last(ticker: Ticker, day: date, last_minute: int, now: datetime) -> bool:
    local = now.astimezone(IST)
    return day == local.date() and last_minute >= local.hour * 60 + local.minute
