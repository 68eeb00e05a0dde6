"""Historical candles and open interest (docs/protocol.md#historical-candles): routes
``getCandleData`` and ``getOIData``, paginated by the broker's maximum span per interval.

Entry point: ``fetch_candles(session, request, cache=…, progress=…) -> CandleResult``.

How a range is fetched:
- The range is widened to whole IST days and cut into chunks of at most the interval's maximum
  span (``MAX_SPAN_DAYS``), each ``D 00:00`` .. ``D+n-1 23:59``: chunks never overlap and never
  leave a minute out, so no bar is duplicated or missing at a boundary (bars are deduplicated by
  timestamp anyway). Candles outside the asked range are dropped at the end.
- With a cache (``broker.candle_cache``), days the cache holds completely are not asked for;
  only runs of missing days are fetched, so a repeated past range makes no call.
- Every call goes through the session, hence the shared rate limiter (the ``historical``
  budget, which getOIData shares): a long range is paced, never refused for the rate. The
  calls are made by one worker thread while the caller's thread parses and caches the answers
  before them (``_answers``), so a long range takes the time the limit imposes, not that plus
  the parsing.
- An empty chunk (holidays, weekends, before listing) is not an error: an empty ``data`` list,
  ``null`` or AB9019 "No Data Available" all read as no candles.

Invariants: candles come back sorted by time, one per timestamp; prices are ``Decimal`` rupees,
volume and OI ``int``; times are aware (IST).
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from angelctl.broker.fields import parse_decimal
from angelctl.clock import IST
from angelctl.errors import ApiError, UnparseableResponse, UsageError

if TYPE_CHECKING:
    from angelctl.broker.candle_cache import CandleCache
    from angelctl.broker.session import BrokerSession

# the CLI's short names and the broker's names, both accepted
INTERVAL_ALIASES: dict[str, str] = {
    "1m": "ONE_MINUTE",
    "3m": "THREE_MINUTE",
    "5m": "FIVE_MINUTE",
    "10m": "TEN_MINUTE",
    "15m": "FIFTEEN_MINUTE",
    "30m": "THIRTY_MINUTE",
    "1h": "ONE_HOUR",
    "1d": "ONE_DAY",
}
INTERVAL_MINUTES: dict[str, int] = {
    "ONE_MINUTE": 1,
    "THREE_MINUTE": 3,
    "FIVE_MINUTE": 5,
    "TEN_MINUTE": 10,
    "FIFTEEN_MINUTE": 15,
    "THIRTY_MINUTE": 30,
    "ONE_HOUR": 60,
    "ONE_DAY": 1440,
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
HISTORY_EXCHANGES = ("NSE", "NFO", "BSE", "BFO", "MCX")
DERIVATIVE_EXCHANGES = ("NFO", "BFO", "MCX")
WIRE_DATE = "%Y-%m-%d %H:%M"
NO_DATA_CODES = frozenset({"AB9019"})

Progress = Callable[[int, int], None]  # (chunks done, chunks in all)
_LOOKAHEAD = 4  # answers fetched ahead of the parsing


def broker_interval(text: str) -> str:
    """``5m`` or ``FIVE_MINUTE`` → ``FIVE_MINUTE``; anything else is a usage error."""
    wanted = text.strip()
    name = INTERVAL_ALIASES.get(wanted.lower(), wanted.upper())
    if name not in INTERVAL_MINUTES:
        choices = ", ".join(INTERVAL_ALIASES)
        raise UsageError(f"unknown interval {text!r}", hint=f"use one of {choices}")
    return name


class Candle(NamedTuple):
    """One bar. A named tuple, not a dataclass: a year of minutes is ~93 k of them, built in
    one pass from the wire or the cache (a frozen dataclass costs ~4x as much to create)."""

    at: datetime  # the bar's start, IST
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    oi: int | None = None


@dataclass(frozen=True, slots=True)
class CandleRequest:
    exchange: str
    token: str
    interval: str  # the broker's name
    start: datetime  # aware
    end: datetime  # aware, inclusive
    oi: bool = False


@dataclass
class CandleResult:
    candles: list[Candle]
    calls: int = 0  # requests sent (candles and OI)
    cached_days: int = 0  # days served from the cache
    chunks: list[tuple[date, date]] = field(default_factory=list)


def bar_end(candle_at: datetime, interval: str) -> datetime:
    """When a bar is over: its start plus the interval (a day bar: the next midnight IST)."""
    if interval == "ONE_DAY":
        day = candle_at.astimezone(IST).date() + timedelta(days=1)
        return datetime.combine(day, time(), IST)
    return candle_at + timedelta(minutes=INTERVAL_MINUTES[interval])


def plan_chunks(interval: str, first: date, last: date) -> list[tuple[date, date]]:
    """Whole-day chunks covering ``first``..``last``, each within the interval's maximum span."""
    width = MAX_SPAN_DAYS[interval]
    chunks: list[tuple[date, date]] = []
    day = first
    while day <= last:
        end = min(day + timedelta(days=width - 1), last)
        chunks.append((day, end))
        day = end + timedelta(days=1)
    return chunks


def day_runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive runs of the sorted ``days``."""
    start = prev = None
    for day in days:
        if prev is not None and day == prev + timedelta(days=1):
            prev = day
            continue
        if start is not None and prev is not None:
            yield start, prev
        start = prev = day
    if start is not None and prev is not None:
        yield start, prev


def parse_candles(data: Any) -> list[Candle]:
    """``[[time, o, h, l, c, v], …]`` (or null) → candles."""
    if data is None or data == "":
        return []
    if not isinstance(data, list):
        raise UnparseableResponse("getCandleData answered something that is not a list")
    out: list[Candle] = []
    for row in data:
        if not isinstance(row, list) or len(row) < 6:
            raise UnparseableResponse(f"getCandleData row is not [time, o, h, l, c, v]: {row!r}")
        o, h, lo, c = (
            _price(row[1], "open"),
            _price(row[2], "high"),
            _price(row[3], "low"),
            _price(row[4], "close"),
        )
        out.append(Candle(_time(row[0]), o, h, lo, c, int(row[5] or 0)))
    return out


def _price(value: Any, key: str) -> Decimal:
    """A JSON number as its shortest decimal (the common case, fast) or any wire form."""
    if type(value) is float or type(value) is int:
        price = Decimal(repr(value))
        if price.is_finite():
            return price
    return parse_decimal(value, key)


def parse_oi(data: Any) -> dict[datetime, int]:
    if data is None or data == "":
        return {}
    if not isinstance(data, list):
        raise UnparseableResponse("getOIData answered something that is not a list")
    out: dict[datetime, int] = {}
    for row in data:
        if not isinstance(row, dict) or "time" not in row:
            raise UnparseableResponse(f"getOIData row is not {{time, oi}}: {row!r}")
        out[_time(row["time"])] = int(row.get("oi") or 0)
    return out


def _time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise UnparseableResponse(f"a candle time is not ISO 8601: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=IST)


def _body(request: CandleRequest, first: date, last: date) -> dict[str, str]:
    return {
        "exchange": request.exchange,
        "symboltoken": request.token,
        "interval": request.interval,
        "fromdate": datetime.combine(first, time(0, 0)).strftime(WIRE_DATE),
        "todate": datetime.combine(last, time(23, 59)).strftime(WIRE_DATE),
    }


def _call(session: BrokerSession, route: str, body: dict[str, str]) -> Any:
    try:
        return session.call(route, body)
    except ApiError as exc:
        if exc.code in NO_DATA_CODES:
            return None
        raise


def check_request(request: CandleRequest) -> None:
    if request.exchange not in HISTORY_EXCHANGES:
        raise UsageError(
            f"the broker keeps no candle history for {request.exchange}",
            hint="historical data covers " + ", ".join(HISTORY_EXCHANGES),
        )
    if request.start > request.end:
        raise UsageError("--from is after --to", hint="give the earlier time first")
    if request.oi and request.exchange not in DERIVATIVE_EXCHANGES:
        raise UsageError(
            "open interest exists only for futures and options",
            hint="drop --oi, or ask for a derivative (NIFTY FUT, 'NIFTY 25000 CE')",
        )


def fetch_candles(
    session: BrokerSession,
    request: CandleRequest,
    *,
    cache: CandleCache | None = None,
    progress: Progress | None = None,
    on_rows: Callable[[list[Candle]], None] | None = None,
) -> CandleResult:
    """The candles of ``request`` (see the module docstring for how they are fetched).
    ``on_rows``: each fetched chunk's candles, in order, as soon as they are parsed (while the
    next request waits for its slot): a caller's head start on rendering them."""
    check_request(request)
    first = request.start.astimezone(IST).date()
    last = request.end.astimezone(IST).date()
    now = session.clock.now()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    held = cache.covered(request, days) if cache is not None else set()
    missing = [day for day in days if day not in held]
    chunks = [c for a, b in day_runs(missing) for c in plan_chunks(request.interval, a, b)]
    result = CandleResult([], cached_days=len(held), chunks=chunks)
    fetched: dict[datetime, Candle] = {}
    if progress is not None and chunks:
        progress(0, len(chunks))
    for done, ((a, b), (data, oi_data)) in enumerate(
        zip(chunks, _answers(session, request, chunks), strict=True), start=1
    ):
        rows = parse_candles(data)
        result.calls += 2 if request.oi else 1
        if request.oi:
            oi = parse_oi(oi_data)
            rows = [c._replace(oi=oi.get(c.at)) for c in rows]
        for candle in rows:
            fetched[candle.at] = candle
        if on_rows is not None:
            on_rows(rows)
        if cache is not None:
            cache.store(request, a, b, rows, now)
        if progress is not None:
            progress(done, len(chunks))
    merged = fetched
    if cache is not None and held:
        for candle in cache.read(request, sorted(held)):
            merged.setdefault(candle.at, candle)
    times = sorted(merged)
    low, high = _bounds(request, first, last)
    inside = times[bisect.bisect_left(times, low) : bisect.bisect_right(times, high)]
    result.candles = [merged[at] for at in inside]
    return result


def _bounds(request: CandleRequest, first: date, last: date) -> tuple[datetime, datetime]:
    """The first and last bar start the answer keeps (a day bar: its day in the range)."""
    if request.interval == "ONE_DAY":
        return datetime.combine(first, time(), IST), datetime.combine(last, time(23, 59), IST)
    return request.start, request.end


def _answers(
    session: BrokerSession, request: CandleRequest, chunks: list[tuple[date, date]]
) -> Iterator[tuple[Any, Any]]:
    """The raw answers (candles, OI or None) of every chunk, in order. A worker thread sends
    the requests, each as soon as the rate limiter allows, while the caller parses and caches
    the previous answer: the parsing hides in the waits instead of adding to them. The worker
    is the only user of the session until the last answer is taken."""
    answers: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=_LOOKAHEAD)
    stop = threading.Event()

    def work() -> None:
        try:
            for a, b in chunks:
                if stop.is_set():
                    return
                body = _body(request, a, b)
                data = _call(session, "getCandleData", body)
                oi = _call(session, "getOIData", body) if request.oi else None
                answers.put((True, (data, oi)))
        except BaseException as exc:  # handed to the caller, raised there
            answers.put((False, exc))

    threading.Thread(target=work, name="candles-fetch", daemon=True).start()
    try:
        for _ in chunks:
            ok, value = answers.get()
            if not ok:
                raise value
            yield value
    finally:
        stop.set()
        while not answers.empty():  # a worker blocked on a full queue may finish and stop
            answers.get_nowait()
