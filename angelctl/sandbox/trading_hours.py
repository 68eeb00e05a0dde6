"""When each exchange segment trades, for ``enforce_market_hours``.

The normal market's hours are the exchange calendar's (``angelctl.exchange.sessions.HOURS``:
NSE/BSE cash and NFO/BFO 09:15-15:30; CDS 09:00-17:00; MCX 09:00-23:30, or to 23:55 while the
US is off daylight saving, by ``angelctl.exchange.zones.us_daylight_saving``), shared with the
client as exchange facts with no client code in them. Days follow ``market_calendar`` (weekends
and the segment's holidays). Pre-open and post-close sessions are not modelled: orders then are
after-market orders.

Invariants: pure functions of the moment given (timezone-aware, any zone); only the segments of
the sandbox's universe (``SEGMENTS``) ever count as open.
"""

from __future__ import annotations

from datetime import date, datetime, time

from angelctl.exchange.sessions import HOURS
from angelctl.sandbox.clock import IST
from angelctl.sandbox.market_calendar import CALENDAR_OF_SEGMENT, is_trading_day

SEGMENTS = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")


def session_bounds(exch_seg: str, day: date) -> tuple[time, time]:
    hours = HOURS[exch_seg]
    return hours.open, hours.normal_close(day)


def session_open(exch_seg: str, moment: datetime) -> bool:
    """Whether ``exch_seg``'s normal market is open at ``moment``."""
    local = moment.astimezone(IST)
    if exch_seg not in SEGMENTS or not is_trading_day(CALENDAR_OF_SEGMENT[exch_seg], local.date()):
        return False
    start, end = session_bounds(exch_seg, local.date())
    return start <= local.time() < end
