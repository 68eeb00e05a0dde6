"""Exchange trading days and derivative expiry dates, for the sandbox's instrument universe.

Holidays are the NSE holiday master (``nseindia.com/api/holiday-master?type=trading``) for 2025
and 2026 as shipped with angelctl's exchange calendar (``angelctl/exchange/data/holidays.json``,
read through ``angelctl.exchange.holidays``: exchange facts with no client code in them, shared
like the feed codec), for the segments the universe needs: CM (cash), FO, CD (currency) and COM
(commodity). Which calendar an ``exch_seg`` follows: NSE/BSE → CM, NFO/BFO → FO, CDS → CD,
MCX → COM. BSE's own list is not in the realdata; it matches NSE's in practice, so BSE/BFO use
NSE's [simplification]. Other years close on weekends and the fixed-date national holidays every
year's list has (26 Jan, 1 May, 15 Aug, 2 Oct, 25 Dec; COM without 1 May, a part-day closure
there) [assumption: festival dates are unknown].

COM lists part-day closures too (morning closed, evening open); only days closed in both sessions
count as holidays here.

Expiry rules (contract specifications current in 2026, applied to every date: the sandbox does
not model the Thursday NSE expiries before September 2025):

- NSE index options: weekly on Tuesday, monthly on the month's last Tuesday (so are NSE index and
  stock futures and stock options); BSE index derivatives: weekly Thursday, monthly last Thursday.
- An expiry on a non-trading day moves to the previous trading day (24-Nov-2026, a Tuesday
  holiday, gives the real master's ``23NOV2026``).
- MCX CRUDEOIL futures: the trading day before NYMEX WTI's last trading day (three business days
  before the 25th, or before the last business day before the 25th); CRUDEOIL options one trading
  day before their future [UNVERIFIED approximation: US holidays are ignored].
- MCX GOLD futures: the 5th of February, April, June, August, October, December
  (``GOLD05JUN26FUT`` in a real capture).
- CDS USDINR futures and options: two trading days before the month's last trading day.

Invariants: every function is pure and deterministic; an expiry returned is always a trading day
of its calendar; lists of expiries are ascending and start on or after the given day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

from angelctl.exchange.holidays import shipped_data

Calendar = Literal["CM", "FO", "CD", "COM"]

CALENDAR_OF_SEGMENT: dict[str, Calendar] = {
    "NSE": "CM",
    "BSE": "CM",
    "NFO": "FO",
    "BFO": "FO",
    "CDS": "CD",
    "MCX": "COM",
}

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def _shipped_holidays() -> tuple[dict[Calendar, frozenset[date]], frozenset[int]]:
    data = shipped_data()
    holidays: dict[Calendar, frozenset[date]] = {
        calendar: frozenset(h.day for h in data.holidays.get(calendar, ()) if h.closed == "all")
        for calendar in ("CM", "FO", "CD", "COM")
    }
    return holidays, data.years


HOLIDAYS, HOLIDAY_YEARS = _shipped_holidays()
FIXED_HOLIDAYS: dict[Calendar, frozenset[tuple[int, int]]] = {
    "CM": frozenset({(1, 26), (5, 1), (8, 15), (10, 2), (12, 25)}),
    "FO": frozenset({(1, 26), (5, 1), (8, 15), (10, 2), (12, 25)}),
    "CD": frozenset({(1, 26), (5, 1), (8, 15), (10, 2), (12, 25)}),
    "COM": frozenset({(1, 26), (8, 15), (10, 2), (12, 25)}),
}


def is_holiday(calendar: Calendar, day: date) -> bool:
    if day.year in HOLIDAY_YEARS:
        return day in HOLIDAYS[calendar]
    return (day.month, day.day) in FIXED_HOLIDAYS[calendar]


def is_trading_day(calendar: Calendar, day: date) -> bool:
    return day.weekday() < SATURDAY and not is_holiday(calendar, day)


def trading_day_on_or_before(calendar: Calendar, day: date) -> date:
    while not is_trading_day(calendar, day):
        day -= timedelta(days=1)
    return day


def trading_days_before(calendar: Calendar, day: date, count: int) -> date:
    """The trading day ``count`` trading days before ``day`` (which need not be one)."""
    for _ in range(count):
        day = trading_day_on_or_before(calendar, day - timedelta(days=1))
    return day


def last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    last = _month_end(year, month)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _months_from(day: date) -> list[tuple[int, int]]:
    """(year, month) for the month of ``day`` and the 23 after it."""
    return [(day.year + (day.month - 1 + i) // 12, (day.month - 1 + i) % 12 + 1) for i in range(24)]


ExpiryRule = Callable[[int, int], date]


def monthly_expiries(
    day: date, count: int, rule: ExpiryRule, months: frozenset[int] | None = None
) -> list[date]:
    """The first ``count`` expiries on or after ``day`` of a monthly contract ``rule(y, m)``."""
    found: list[date] = []
    for year, month in _months_from(day):
        if months is not None and month not in months:
            continue
        expiry = rule(year, month)
        if expiry >= day:
            found.append(expiry)
        if len(found) == count:
            break
    return found


def last_weekday_rule(calendar: Calendar, weekday: int) -> ExpiryRule:
    """Monthly expiry on the month's last ``weekday``, moved back to a trading day."""

    def rule(year: int, month: int) -> date:
        return trading_day_on_or_before(calendar, last_weekday_of_month(year, month, weekday))

    return rule


def weekly_expiries(
    calendar: Calendar, day: date, weekday: int, count: int, exclude: frozenset[date]
) -> list[date]:
    """The first ``count`` weekly expiries on or after ``day`` that are not in ``exclude``.

    Each week's expiry is its ``weekday`` moved back to a trading day; ``exclude`` holds the
    monthly expiries, which exchanges list as monthly contracts rather than weekly ones.
    """
    found: list[date] = []
    nominal = day - timedelta(days=(day.weekday() - weekday) % 7)
    while len(found) < count:
        expiry = trading_day_on_or_before(calendar, nominal)
        if expiry >= day and expiry not in exclude:
            found.append(expiry)
        nominal += timedelta(days=7)
    return found


def crudeoil_future_expiry(year: int, month: int) -> date:
    """MCX CRUDEOIL: one trading day before NYMEX WTI's last trading day [UNVERIFIED]."""
    day25 = date(year, month, 25)
    business = day25 if day25.weekday() < SATURDAY else _weekday_before(day25)
    nymex_last = business
    for _ in range(3):
        nymex_last = _weekday_before(nymex_last)
    return trading_days_before("COM", nymex_last, 1)


def _weekday_before(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day -= timedelta(days=1)
    return day


def crudeoil_option_expiry(year: int, month: int) -> date:
    return trading_days_before("COM", crudeoil_future_expiry(year, month), 1)


GOLD_MONTHS = frozenset({2, 4, 6, 8, 10, 12})


def gold_future_expiry(year: int, month: int) -> date:
    return trading_day_on_or_before("COM", date(year, month, 5))


def usdinr_expiry(year: int, month: int) -> date:
    last_trading = trading_day_on_or_before("CD", _month_end(year, month))
    return trading_days_before("CD", last_trading, 2)
