"""When each exchange segment trades (docs/protocol.md#market-hours), for ``enforce_market_hours``.

Normal market, IST: NSE/BSE cash and NFO/BFO 09:15-15:30; CDS 09:00-17:00; MCX 09:00-23:30, or
to 23:55 while the US is off daylight saving (second Sunday of March to first Sunday of November
is US summer time: ``angelctl.risk.calendar.us_daylight_saving``, shared with the client's
calendar). Days follow ``market_calendar`` (weekends and the segment's holidays).
Pre-open and post-close sessions are not modelled: orders then are after-market orders.

Invariants: pure functions of the moment given (timezone-aware, any zone).
"""

from __future__ import annotations

from datetime import date, datetime, time

from angelctl.risk.calendar import us_daylight_saving
from angelctl.sandbox.clock import IST
from angelctl.sandbox.market_calendar import CALENDAR_OF_SEGMENT, is_trading_day

_EQUITY = (time(9, 15), time(15, 30))
SESSIONS: dict[str, tuple[time, time]] = {
    "NSE": _EQUITY,
    "BSE": _EQUITY,
    "NFO": _EQUITY,
    "BFO": _EQUITY,
    "CDS": (time(9, 0), time(17, 0)),
    "MCX": (time(9, 0), time(23, 30)),
}
MCX_WINTER_CLOSE = time(23, 55)


def session_bounds(exch_seg: str, day: date) -> tuple[time, time]:
    start, end = SESSIONS[exch_seg]
    if exch_seg == "MCX" and not us_daylight_saving(day):
        end = MCX_WINTER_CLOSE
    return start, end


def session_open(exch_seg: str, moment: datetime) -> bool:
    """Whether ``exch_seg``'s normal market is open at ``moment``."""
    local = moment.astimezone(IST)
    if exch_seg not in SESSIONS or not is_trading_day(CALENDAR_OF_SEGMENT[exch_seg], local.date()):
        return False
    start, end = session_bounds(exch_seg, local.date())
    return start <= local.time() < end
