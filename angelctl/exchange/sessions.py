"""A segment's sessions on one day, in IST: the regular day, a special session (Muhurat
trading) that replaces it, and a part-day holiday that cuts it.

Regular hours (IST)::

    NSE, BSE  pre-open 09:00 (order entry to 09:08, matching to 09:15), normal 09:15-15:30,
              post-close 15:40-16:00
    NFO       normal 09:15-15:30; futures pre-open 09:00-09:15 (entry to 09:08) from 08-Dec-2025
    BFO       normal 09:15-15:30
    CDS       normal 09:00-17:00
    MCX       09:00-23:30, to 23:55 while the US is off daylight saving
    NCDEX     09:00-17:00 (morning session only) [assumption]

COM lists part-day closures (``closed: "morning"`` or ``"evening"``); the morning session ends
and the evening one starts at 17:00, so an MCX day with its morning closed opens at 17:00.

Invariants: pure functions of the day, the hours table and the holiday data; sessions are in
time order, aware (IST), and each has ``start < end``; a special session replaces the day's
regular sessions for the segments it names, even on a holiday or a weekend.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from angelctl.exchange.holidays import Holiday, SpecialSession
from angelctl.exchange.zones import at_ist, us_daylight_saving
from angelctl.records import record

EVENING_STARTS = time(17, 0)
PRE_OPEN_ENTRY_BEFORE_OPEN = timedelta(minutes=7)
SATURDAY = 5


class Phase(StrEnum):
    PRE_OPEN = "PRE_OPEN"
    OPEN = "OPEN"
    POST_CLOSE = "POST_CLOSE"
    CLOSED_AMO = "CLOSED_AMO"  # closed, inside the AMO window
    CLOSED = "CLOSED"
    HOLIDAY = "HOLIDAY"


@record
class SegmentHours:
    """A segment's regular day. ``pre_open`` starts the pre-open session that ends at ``open``;
    order entry in it closes ``PRE_OPEN_ENTRY_BEFORE_OPEN`` before the open."""

    open: time
    close: time
    pre_open: time | None = None
    pre_open_from: date | None = None
    post_close: tuple[time, time] | None = None
    us_winter_close: time | None = None  # the close while the US is off daylight saving

    def normal_close(self, day: date) -> time:
        """The normal market's close on ``day`` (MCX's moves with US daylight saving)."""
        if self.us_winter_close is not None and not us_daylight_saving(day):
            return self.us_winter_close
        return self.close


_CASH = SegmentHours(time(9, 15), time(15, 30), time(9, 0), None, (time(15, 40), time(16, 0)))
HOURS: dict[str, SegmentHours] = {
    "NSE": _CASH,
    "BSE": _CASH,
    "NFO": SegmentHours(time(9, 15), time(15, 30), time(9, 0), date(2025, 12, 8)),
    "BFO": SegmentHours(time(9, 15), time(15, 30)),
    "CDS": SegmentHours(time(9, 0), time(17, 0)),
    "MCX": SegmentHours(time(9, 0), time(23, 30), us_winter_close=time(23, 55)),
    "NCDEX": SegmentHours(time(9, 0), time(17, 0)),
}


@record
class Session:
    phase: Phase  # PRE_OPEN, OPEN or POST_CLOSE
    start: datetime  # aware, IST
    end: datetime
    entry_end: datetime | None = None  # PRE_OPEN: order entry closes here


def day_sessions(
    hours: SegmentHours, day: date, holiday: Holiday | None, special: SpecialSession | None
) -> tuple[Session, ...]:
    """The sessions of a segment with ``hours`` on ``day``, given its holiday and special
    session of that day (either may be None)."""
    if special is not None:
        return special_sessions(special)
    if day.weekday() >= SATURDAY or (holiday is not None and holiday.closed == "all"):
        return ()
    return clip(regular_sessions(hours, day), holiday)


def regular_sessions(hours: SegmentHours, day: date) -> tuple[Session, ...]:
    found: list[Session] = []
    opens = at_ist(day, hours.open)
    if hours.pre_open is not None and (hours.pre_open_from is None or day >= hours.pre_open_from):
        found.append(
            Session(
                Phase.PRE_OPEN,
                at_ist(day, hours.pre_open),
                opens,
                opens - PRE_OPEN_ENTRY_BEFORE_OPEN,
            )
        )
    found.append(Session(Phase.OPEN, opens, at_ist(day, hours.normal_close(day))))
    if hours.post_close is not None:
        start, end = hours.post_close
        found.append(Session(Phase.POST_CLOSE, at_ist(day, start), at_ist(day, end)))
    return tuple(found)


def special_sessions(special: SpecialSession) -> tuple[Session, ...]:
    opens = at_ist(special.day, special.open)
    found = []
    if special.pre_open is not None:
        pre_open = at_ist(special.day, special.pre_open)
        found.append(
            Session(
                Phase.PRE_OPEN, pre_open, opens, max(opens - PRE_OPEN_ENTRY_BEFORE_OPEN, pre_open)
            )
        )
    found.append(Session(Phase.OPEN, opens, at_ist(special.day, special.close)))
    return tuple(found)


def clip(sessions: tuple[Session, ...], holiday: Holiday | None) -> tuple[Session, ...]:
    """Drop the closed part of a part-day holiday (morning before 17:00, evening from it)."""
    if holiday is None:
        return sessions
    split = at_ist(holiday.day, EVENING_STARTS)
    kept = []
    for s in sessions:
        if holiday.closed == "morning" and s.end > split:
            kept.append(Session(s.phase, max(s.start, split), s.end, s.entry_end))
        elif holiday.closed == "evening" and s.start < split:
            kept.append(Session(s.phase, s.start, min(s.end, split), s.entry_end))
    return tuple(kept)


def in_closed_part(holiday: Holiday, local: datetime) -> bool:
    """Whether the IST instant ``local`` falls in the part of the day ``holiday`` closes."""
    if holiday.closed == "morning":
        return local.time() < EVENING_STARTS
    if holiday.closed == "evening":
        return local.time() >= EVENING_STARTS
    return True
