"""The order layer's market-hours check (``angelctl.orders.market_hours``): an order the
exchange would not take now is refused locally with the phase, the next open and an ``--amo``
hint; the profile's policy and AMO windows apply; the time comes from the injected clock.
"""

from __future__ import annotations

import pytest

from angelctl.exchange.calendar import MarketCalendar
from angelctl.exchange.decision import Verdict
from angelctl.orders.checks import PreTradeRejected
from angelctl.orders.market_hours import MarketHoursCheck, OutsideMarketHours, check_order_window
from angelctl.status import ExitStatus
from tests.calendar_data import FrozenClock, at_ist


def test_order_outside_hours_is_refused_with_phase_next_open_and_amo_hint() -> None:
    calendar = MarketCalendar.shipped()
    with pytest.raises(OutsideMarketHours) as caught:
        check_order_window(calendar, "NSE", at_ist("2026-11-24 10:00"), "NORMAL")
    error = caught.value
    assert isinstance(error, PreTradeRejected)
    assert error.exit_status == ExitStatus.USAGE
    message = str(error)
    assert "\n" not in message
    assert "HOLIDAY" in message and "Prakash Gurpurb" in message
    assert "next open Wed 25-Nov-2026 09:15 IST" in message
    assert "use --amo to queue it as an after-market order" in message
    assert error.decision.suggest_amo and error.violations[0].rule == "market_hours"


def test_order_in_the_matching_gap_gets_no_amo_hint() -> None:
    calendar = MarketCalendar.shipped()
    with pytest.raises(OutsideMarketHours) as caught:
        check_order_window(calendar, "NSE", at_ist("2026-11-25 15:35"), "NORMAL")
    message = str(caught.value)
    assert "(CLOSED)" in message and "next open Thu 26-Nov-2026 09:15 IST" in message
    assert "--amo" not in message and "from 15:45 IST" in message


def test_amo_inside_the_window_is_allowed_and_during_the_market_refused() -> None:
    calendar = MarketCalendar.shipped()
    evening = check_order_window(calendar, "NSE", at_ist("2026-11-25 20:00"), amo=True)
    assert evening.allowed and evening.amo and "Thu 26-Nov-2026 09:15 IST" in evening.reason
    legacy = check_order_window(calendar, "NSE", at_ist("2026-11-25 20:00"), "AMO")
    assert legacy.allowed and legacy.amo
    with pytest.raises(OutsideMarketHours, match="place it without --amo"):
        check_order_window(calendar, "NSE", at_ist("2026-11-25 10:00"), amo=True)
    assert check_order_window(calendar, "NSE", at_ist("2026-11-25 10:00")).allowed


def test_policy_allow_decides_but_never_refuses() -> None:
    calendar = MarketCalendar.shipped()
    decision = check_order_window(calendar, "NSE", at_ist("2026-11-24 10:00"), policy="allow")
    assert decision.verdict is Verdict.AMO_ONLY and not decision.allowed


def test_check_reads_time_from_its_clock_and_the_profile_windows() -> None:
    clock = FrozenClock(at_ist("2026-11-25 20:00"))
    check = MarketHoursCheck.for_profile({"amo_windows": {"NSE": "none"}}, clock)
    with pytest.raises(OutsideMarketHours, match="after-market orders for NSE are off"):
        check.check("NSE", amo=True)
    clock.at = at_ist("2026-11-26 09:30")
    assert check.check("NSE").allowed
    relaxed = MarketHoursCheck.for_profile({"policy": "allow"}, FrozenClock(clock.at))
    assert relaxed.policy == "allow"
