"""Expiry rules: weekdays, monthly expiries, and holidays moving an expiry to the day before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from angelctl.sandbox import build_universe
from angelctl.sandbox.market_calendar import (
    THURSDAY,
    TUESDAY,
    Calendar,
    crudeoil_future_expiry,
    gold_future_expiry,
    is_trading_day,
    last_weekday_rule,
    monthly_expiries,
    trading_day_on_or_before,
    usdinr_expiry,
    weekly_expiries,
)


def expiries_of(day: date, segment: str, name: str) -> list[str]:
    universe = build_universe(day)
    found = {
        i.expiry
        for i in universe.instruments
        if i.exch_seg == segment and i.name == name and i.is_option and i.expiry
    }
    return [e.isoformat() for e in sorted(found)]


def test_nifty_expiries_around_holi_and_a_holiday_month_end() -> None:
    # 03-Mar-2026 (Tue, Holi) -> Mon 02-Mar; 31-Mar-2026 (Tue, Mahavir Jayanti) -> Mon 30-Mar.
    assert expiries_of(date(2026, 2, 25), "NFO", "NIFTY") == [
        "2026-03-02",
        "2026-03-10",
        "2026-03-17",
        "2026-03-24",
        "2026-03-30",
        "2026-04-28",
        "2026-05-26",
    ]


def test_nse_expiries_around_dussehra_diwali_and_guru_nanak_jayanti() -> None:
    # 20-Oct (Dussehra) -> 19-Oct; the November monthly on 24-Nov -> 23NOV2026 as in the real
    # master; monthly-only indices list just the monthlies.
    assert expiries_of(date(2026, 10, 1), "NFO", "NIFTY") == [
        "2026-10-06",
        "2026-10-13",
        "2026-10-19",
        "2026-10-27",
        "2026-11-03",
        "2026-11-23",
        "2026-12-29",
    ]
    assert expiries_of(date(2026, 10, 1), "NFO", "BANKNIFTY") == [
        "2026-10-27",
        "2026-11-23",
        "2026-12-29",
    ]


def test_sensex_expiries_are_thursdays_moved_back_over_bakri_id() -> None:
    # 28-May-2026 (Thu, Bakri Id) is also May's last Thursday: the monthly moves to 27-May.
    assert expiries_of(date(2026, 5, 20), "BFO", "SENSEX") == [
        "2026-05-21",
        "2026-05-27",
        "2026-06-04",
        "2026-06-11",
        "2026-06-18",
        "2026-06-25",
        "2026-07-30",
    ]


def test_an_expiry_day_lists_its_own_contracts_and_the_next_day_drops_them() -> None:
    assert expiries_of(date(2026, 3, 24), "NFO", "NIFTY")[0] == "2026-03-24"
    assert expiries_of(date(2026, 3, 25), "NFO", "NIFTY")[0] == "2026-03-30"


@pytest.mark.parametrize(("calendar", "weekday"), [("FO", TUESDAY), ("FO", THURSDAY)])
def test_every_expiry_of_2025_and_2026_is_its_weekday_or_the_trading_day_before(
    calendar: Calendar, weekday: int
) -> None:
    day = date(2025, 1, 1)
    while day.year < 2027:
        monthly = monthly_expiries(day, 3, last_weekday_rule(calendar, weekday))
        weekly = weekly_expiries(calendar, day, weekday, 4, frozenset(monthly))
        assert len(monthly) == 3 and len(weekly) == 4
        assert not set(monthly) & set(weekly)
        for expiry in [*monthly, *weekly]:
            assert expiry >= day and is_trading_day(calendar, expiry)
            nominal = expiry + timedelta(days=(weekday - expiry.weekday()) % 7)
            assert trading_day_on_or_before(calendar, nominal) == expiry
            if expiry != nominal:
                assert not is_trading_day(calendar, nominal)
        for expiry in monthly:
            assert (expiry + timedelta(days=(weekday - expiry.weekday()) % 7 + 7)).month != (
                expiry.month
            )
        assert monthly == sorted(monthly) and weekly == sorted(weekly)
        day += timedelta(days=1)


def test_commodity_and_currency_expiries() -> None:
    assert gold_future_expiry(2026, 6) == date(2026, 6, 5)  # GOLD05JUN26FUT, a real contract
    assert gold_future_expiry(2026, 4) == date(2026, 4, 2)  # 5th a Sunday, 3rd Good Friday
    assert crudeoil_future_expiry(2025, 1) == date(2025, 1, 20)
    assert usdinr_expiry(2026, 12) == date(2026, 12, 29)
    # 31-Mar is a holiday, so the last trading day is the 30th; two before it, the 26th is one too
    assert usdinr_expiry(2026, 3) == date(2026, 3, 25)


def test_years_without_a_holiday_list_still_close_on_fixed_national_holidays() -> None:
    assert not is_trading_day("FO", date(2027, 1, 26))  # Republic Day, a Tuesday
    assert is_trading_day("FO", date(2027, 1, 25))
    # BANKNIFTY's January 2027 monthly: the last Tuesday is Republic Day.
    assert expiries_of(date(2026, 11, 25), "NFO", "BANKNIFTY") == [
        "2026-12-29",
        "2027-01-25",
        "2027-02-23",
    ]
