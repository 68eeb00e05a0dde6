"""Exchange sessions and holidays in Asia/Kolkata: the phase of a segment at an instant, the
next open and close, and whether an order may be sent now, only as an after-market order (AMO),
or not at all.

Segments and the holiday list each follows (NSE's holiday-master names)::

    NSE, BSE  cash        CM    pre-open 09:00 (order entry to 09:08, matching to 09:15),
                                normal 09:15-15:30, post-close 15:40-16:00
    NFO       F&O         FO    normal 09:15-15:30; futures pre-open 09:00-09:15 (entry to
                                09:08) from 08-Dec-2025
    BFO       F&O         FO    normal 09:15-15:30
    CDS       currency    CD    normal 09:00-17:00
    MCX       commodity   COM   09:00-23:30, to 23:55 while the US is off daylight saving
    NCDEX     commodity   COM   09:00-17:00 (morning session only) [assumption]

BSE's and MCX's own holiday lists are not in the reference data; they follow NSE's CM and COM
lists, which match them in practice [simplification]. COM lists part-day closures
(``closed: "morning"`` or ``"evening"``); the morning session ends and the evening one starts at
17:00, so an MCX day with its morning closed opens at 17:00.

Holiday data is a JSON file (format and loading in ``risk.holidays``; the shipped copy comes from
NSE's holiday master, a user copy in the config folder takes precedence). Its
``special_sessions`` list gives a date its own sessions (Muhurat trading): they replace that
day's normal sessions for the segments named, even on a holiday or a weekend. A year the data
does not list in ``years`` closes on weekends only, and ``covers(day)`` says so.

AMO windows are Angel's, which it does not publish [GAP]: the defaults are the industry norm
(equity 15:45-08:57, F&O 15:45-09:10, currency 15:45-08:59, commodities any time) and every one
is configurable. A window ``START-END`` is open from START on a trading day to END on the next
trading day, all day on days without a session, and never while the normal market is open.

Invariants: every answer is a pure function of the data, the AMO windows and an aware instant,
which is converted to IST with ``zoneinfo``; the process's ``TZ`` never matters, naive datetimes
are refused (ValueError). The US daylight-saving state comes from the US rule (second Sunday of
March to first Sunday of November), not from any zone database. This module does no I/O except
reading a holiday file when asked, and imports nothing from the broker client (the sandbox
shares it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from angelctl.errors import UsageError
from angelctl.records import record
from angelctl.risk.holidays import (
    CALENDAR_OF_SEGMENT,
    MONTHS,
    SEGMENTS,
    Holiday,
    HolidayData,
    SpecialSession,
    load_holiday_data,
    parse_time,
    shipped_data,
)

__all__ = [
    "CALENDAR_OF_SEGMENT",
    "DEFAULT_AMO_WINDOWS",
    "HOURS",
    "POLICIES",
    "SEGMENTS",
    "AmoWindow",
    "CalendarReport",
    "Decision",
    "Holiday",
    "HolidayData",
    "MarketCalendar",
    "Phase",
    "SegmentHours",
    "SegmentStatus",
    "Session",
    "SpecialSession",
    "Verdict",
    "check_segment",
    "format_ist",
    "ist",
    "parse_market_hours",
    "to_ist",
    "us_daylight_saving",
]

POLICIES = ("refuse", "allow")  # [profiles.NAME.market_hours] policy
EVENING_STARTS = time(17, 0)
PRE_OPEN_ENTRY_BEFORE_OPEN = timedelta(minutes=7)
SATURDAY, SUNDAY = 5, 6
_SEARCH_DAYS = 400
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Phase(StrEnum):
    PRE_OPEN = "PRE_OPEN"
    OPEN = "OPEN"
    POST_CLOSE = "POST_CLOSE"
    CLOSED_AMO = "CLOSED_AMO"  # closed, inside the AMO window
    CLOSED = "CLOSED"
    HOLIDAY = "HOLIDAY"


class Verdict(StrEnum):
    ALLOW = "allow"  # send it now (as a regular order, or as the AMO that was asked for)
    AMO_ONLY = "amo_only"  # only as an after-market order
    REFUSE = "refuse"


@cache
def ist() -> tzinfo:
    """Asia/Kolkata from the zone database, or the fixed +05:30 it has been since 1945."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Kolkata")
    except Exception:  # no tz database (Windows without the tzdata package)
        from datetime import timezone

        return timezone(timedelta(hours=5, minutes=30), "IST")


def to_ist(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a timezone-aware instant")
    return at.astimezone(ist())


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(SUNDAY - first.weekday()) % 7, weeks=n - 1)


def us_daylight_saving(day: date) -> bool:
    """US summer time on ``day``: second Sunday of March to first Sunday of November."""
    return _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)


def format_ist(moment: datetime) -> str:
    """``Tue 24-Nov-2026 09:15 IST`` (locale-independent)."""
    local = to_ist(moment)
    return (
        f"{WEEKDAYS[local.weekday()]} {local.day:02d}-{MONTHS[local.month - 1]}-{local.year} "
        f"{local:%H:%M} IST"
    )


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


# --- sessions ---------------------------------------------------------------------------------


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


@record
class AmoWindow:
    """When after-market orders are accepted: ``15:45-08:57``, ``any`` (whenever the market is
    not open) or ``none``."""

    start: time | None = None
    end: time | None = None
    anytime: bool = False

    @classmethod
    def parse(cls, text: str) -> AmoWindow:
        word = text.strip().lower()
        if word == "any":
            return cls(anytime=True)
        if word == "none":
            return cls()
        parts = word.split("-")
        if len(parts) == 2:
            try:
                return cls(parse_time(parts[0]), parse_time(parts[1]))
            except ValueError:
                pass
        raise ValueError(f"expected 'HH:MM-HH:MM', 'any' or 'none', got {text!r}")

    def __str__(self) -> str:
        if self.anytime:
            return "any"
        if self.start is None or self.end is None:
            return "none"
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


DEFAULT_AMO_WINDOWS: dict[str, AmoWindow] = {
    "NSE": AmoWindow(time(15, 45), time(8, 57)),
    "BSE": AmoWindow(time(15, 45), time(8, 57)),
    "NFO": AmoWindow(time(15, 45), time(9, 10)),
    "BFO": AmoWindow(time(15, 45), time(9, 10)),
    "CDS": AmoWindow(time(15, 45), time(8, 59)),
    "MCX": AmoWindow(anytime=True),
    "NCDEX": AmoWindow(anytime=True),
}


def check_segment(segment: str) -> str:
    upper = segment.strip().upper()
    if upper not in SEGMENTS:
        raise UsageError(f"unknown segment {segment!r}: expected one of {', '.join(SEGMENTS)}")
    return upper


def parse_market_hours(table: Mapping[str, Any] | None) -> tuple[str, dict[str, AmoWindow]]:
    """``[profiles.NAME.market_hours]`` → (policy, AMO window overrides). Raises ValueError
    naming the key; config validation calls it, so a loaded profile never fails here."""
    table = table or {}
    unknown = sorted(set(table) - {"policy", "amo_windows"})
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key (expected policy, amo_windows)")
    policy = table.get("policy", "refuse")
    if policy not in POLICIES:
        raise ValueError(f"policy: expected 'refuse' or 'allow', got {policy!r}")
    windows_table = table.get("amo_windows", {})
    if not isinstance(windows_table, Mapping):
        raise ValueError(
            "amo_windows: expected a table of SEGMENT = 'HH:MM-HH:MM' | 'any' | 'none'"
        )
    windows: dict[str, AmoWindow] = {}
    for segment, text in windows_table.items():
        if not isinstance(text, str):
            raise ValueError(f"amo_windows.{segment}: expected a string, got {text!r}")
        if segment not in SEGMENTS:
            raise ValueError(f"amo_windows.{segment}: unknown segment ({', '.join(SEGMENTS)})")
        try:
            windows[segment] = AmoWindow.parse(text)
        except ValueError as exc:
            raise ValueError(f"amo_windows.{segment}: {exc}") from None
    return str(policy), windows


# --- the calendar -----------------------------------------------------------------------------


@record
class SegmentStatus:
    segment: str
    at: datetime  # IST
    phase: Phase
    note: str  # the holiday's name, "weekend", "special session: …", or ""
    trading_day: bool  # the day has a normal-market session
    amo_window: bool
    next_open: datetime | None
    next_close: datetime | None
    covered: bool  # the holiday data lists the day's year

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "at": self.at.isoformat(),
            "phase": str(self.phase),
            "note": self.note,
            "trading_day": self.trading_day,
            "amo_window": self.amo_window,
            "next_open": self.next_open.isoformat() if self.next_open else None,
            "next_close": self.next_close.isoformat() if self.next_close else None,
            "holiday_data_covers_day": self.covered,
        }


@record
class Decision:
    """Whether an order may go now. ``reason`` is one line for a person."""

    segment: str
    at: datetime  # IST
    phase: Phase
    verdict: Verdict
    amo: bool  # an after-market order was asked for
    reason: str
    next_open: datetime | None
    suggest_amo: bool = False  # "use --amo" would make it acceptable

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "at": self.at.isoformat(),
            "phase": str(self.phase),
            "verdict": str(self.verdict),
            "amo": self.amo,
            "reason": self.reason,
            "next_open": self.next_open.isoformat() if self.next_open else None,
        }


@record
class CalendarReport:
    """Every asked segment's status at one instant, and which data gave it."""

    at: datetime  # IST
    statuses: tuple[SegmentStatus, ...]
    data_location: str
    data_origin: str  # "shipped" or "user"
    years: tuple[int, ...]
    amo_windows: Mapping[str, str]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "data_file": self.data_location,
            "data_origin": self.data_origin,
            "years": list(self.years),
            "amo_windows": dict(self.amo_windows),
            "segments": [s.as_dict() for s in self.statuses],
            "warnings": list(self.warnings),
        }


class MarketCalendar:
    """Sessions, holidays and AMO windows of every segment; immutable once built."""

    def __init__(
        self, data: HolidayData, amo_windows: Mapping[str, AmoWindow] | None = None
    ) -> None:
        self.data = data
        self.amo_windows: Mapping[str, AmoWindow] = {**DEFAULT_AMO_WINDOWS, **(amo_windows or {})}
        table = data.holidays
        self._holiday_index: dict[str, dict[date, Holiday]] = {
            segment: {
                h.day: h for h in table.get(segment, table.get(CALENDAR_OF_SEGMENT[segment], ()))
            }
            for segment in SEGMENTS
        }
        self._specials: dict[tuple[str, date], SpecialSession] = {
            (segment, s.day): s for s in data.special_sessions for segment in s.segments
        }

    @classmethod
    def load(
        cls,
        user_file: Path | None = None,
        *,
        amo_windows: Mapping[str, AmoWindow] | None = None,
    ) -> MarketCalendar:
        """The user's holiday file (default ``<config_dir>/holidays.json``) when present, else
        the shipped data; ``amo_windows`` overrides the defaults segment by segment."""
        return cls(load_holiday_data(user_file), amo_windows)

    @classmethod
    def shipped(cls) -> MarketCalendar:
        return cls(shipped_data())

    # days ------------------------------------------------------------------------------------

    def holiday(self, segment: str, day: date) -> Holiday | None:
        return self._holiday_index[check_segment(segment)].get(day)

    def covers(self, day: date) -> bool:
        return day.year in self.data.years

    def special_session(self, segment: str, day: date) -> SpecialSession | None:
        return self._specials.get((check_segment(segment), day))

    def is_trading_day(self, segment: str, day: date) -> bool:
        """The day has a normal-market session (a part-day or special session counts)."""
        return any(s.phase is Phase.OPEN for s in self.sessions(segment, day))

    def sessions(self, segment: str, day: date) -> tuple[Session, ...]:
        segment = check_segment(segment)
        special = self.special_session(segment, day)
        if special is not None:
            return _special_sessions(special)
        holiday = self.holiday(segment, day)
        if day.weekday() >= SATURDAY or (holiday is not None and holiday.closed == "all"):
            return ()
        return _clip(_regular_sessions(HOURS[segment], day), holiday)

    def holidays(self, year: int | None = None) -> list[tuple[Holiday, tuple[str, ...]]]:
        """Every holiday (of ``year``) with the segments it closes, by date."""
        grouped: dict[Holiday, list[str]] = {}
        for segment in SEGMENTS:
            for holiday in self._holiday_index[segment].values():
                if year is None or holiday.day.year == year:
                    grouped.setdefault(holiday, []).append(segment)
        return [(h, tuple(grouped[h])) for h in sorted(grouped, key=lambda h: (h.day, h.closed))]

    # instants --------------------------------------------------------------------------------

    def report(self, at: datetime, segments: Iterable[str] = SEGMENTS) -> CalendarReport:
        statuses = tuple(self.status(segment, at) for segment in segments)
        local = to_ist(at)
        warnings = []
        if not self.covers(local.date()):
            listed = ", ".join(str(y) for y in sorted(self.data.years)) or "no year"
            warnings.append(
                f"the holiday data covers {listed}; {local.year} counts weekends only: import "
                "NSE's list with `angelctl calendar update FILE`"
            )
        return CalendarReport(
            at=local,
            statuses=statuses,
            data_location=self.data.location,
            data_origin=self.data.origin,
            years=tuple(sorted(self.data.years)),
            amo_windows={seg: str(self.amo_windows[seg]) for seg in (s.segment for s in statuses)},
            warnings=tuple(warnings),
        )

    def phase(self, segment: str, at: datetime) -> Phase:
        return self.status(segment, at).phase

    def status(self, segment: str, at: datetime) -> SegmentStatus:
        segment = check_segment(segment)
        local = to_ist(at)
        day = local.date()
        sessions = self.sessions(segment, day)
        trading = any(s.phase is Phase.OPEN for s in sessions)
        phase, note = self._phase_at(segment, local, sessions)
        return SegmentStatus(
            segment=segment,
            at=local,
            phase=phase,
            note=note,
            trading_day=trading,
            amo_window=self._amo_open(segment, local, sessions, phase),
            next_open=self.next_open(segment, local),
            next_close=self.next_close(segment, local),
            covered=self.covers(day),
        )

    def next_open(self, segment: str, at: datetime) -> datetime | None:
        """The next start of the normal market strictly after ``at`` (IST)."""
        local = to_ist(at)
        for session in self._open_sessions(segment, local.date()):
            if session.start > local:
                return session.start
        return None

    def next_close(self, segment: str, at: datetime) -> datetime | None:
        """The end of the normal market now open, else of the next one."""
        local = to_ist(at)
        for session in self._open_sessions(segment, local.date()):
            if session.end > local:
                return session.end
        return None

    def amo_window_open(self, segment: str, at: datetime) -> bool:
        segment = check_segment(segment)
        local = to_ist(at)
        sessions = self.sessions(segment, local.date())
        phase, _ = self._phase_at(segment, local, sessions)
        return self._amo_open(segment, local, sessions, phase)

    def order_decision(self, segment: str, at: datetime, *, amo: bool) -> Decision:
        """May an order (an AMO when ``amo``) be sent to ``segment`` at ``at``?"""
        status = self.status(segment, at)
        local = status.at
        segment = status.segment
        session = next(
            (s for s in self.sessions(segment, local.date()) if s.start <= local < s.end), None
        )
        entry_open = (
            session is not None
            and session.phase is Phase.PRE_OPEN
            and session.entry_end is not None
            and local < session.entry_end
        )
        where = _describe(status, session)
        nxt = f"next open {format_ist(status.next_open)}" if status.next_open else "no open known"
        window = self.amo_windows.get(segment, AmoWindow())

        def decide(verdict: Verdict, reason: str, suggest: bool = False) -> Decision:
            return Decision(
                segment, local, status.phase, verdict, amo, reason, status.next_open, suggest
            )

        if amo:
            if status.amo_window:
                opens = format_ist(status.next_open) if status.next_open else "next open"
                return decide(
                    Verdict.ALLOW, f"{where}; accepted as an after-market order for {opens}"
                )
            if status.phase is Phase.OPEN:
                return decide(
                    Verdict.REFUSE,
                    f"{where}: an after-market order is accepted only outside market hours; "
                    "place it without --amo",
                )
            return decide(Verdict.REFUSE, f"{where}; {nxt}; {_amo_when(segment, window)}")
        if status.phase is Phase.OPEN or entry_open:
            return decide(Verdict.ALLOW, where)
        if status.amo_window:
            return decide(
                Verdict.AMO_ONLY,
                f"{where}; {nxt}; use --amo to queue it as an after-market order",
                suggest=True,
            )
        return decide(Verdict.REFUSE, f"{where}; {nxt}; {_amo_when(segment, window)}")

    # internals -------------------------------------------------------------------------------

    def _open_sessions(self, segment: str, start: date) -> Iterable[Session]:
        for offset in range(_SEARCH_DAYS):
            for session in self.sessions(segment, start + timedelta(days=offset)):
                if session.phase is Phase.OPEN:
                    yield session

    def _phase_at(
        self, segment: str, local: datetime, sessions: tuple[Session, ...]
    ) -> tuple[Phase, str]:
        special = self.special_session(segment, local.date())
        for session in sessions:
            if session.start <= local < session.end:
                return session.phase, f"special session: {special.description}" if special else ""
        holiday = self.holiday(segment, local.date())
        if holiday is not None and _in_closed_part(holiday, local):
            return Phase.HOLIDAY, holiday.description
        note = "weekend" if local.weekday() >= SATURDAY else ""
        if self._amo_open(segment, local, sessions, Phase.CLOSED):
            return Phase.CLOSED_AMO, note
        return Phase.CLOSED, note

    def _amo_open(
        self, segment: str, local: datetime, sessions: tuple[Session, ...], phase: Phase
    ) -> bool:
        if phase is Phase.OPEN:
            return False
        window = self.amo_windows.get(segment, AmoWindow())
        if window.anytime:
            return True
        if window.start is None or window.end is None:
            return False
        if not any(s.phase is Phase.OPEN for s in sessions):
            return True
        now = local.time()
        return now >= window.start or now < window.end


def _at(day: date, clock_time: time) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=ist())


def _regular_sessions(hours: SegmentHours, day: date) -> tuple[Session, ...]:
    found: list[Session] = []
    opens = _at(day, hours.open)
    if hours.pre_open is not None and (hours.pre_open_from is None or day >= hours.pre_open_from):
        found.append(
            Session(
                Phase.PRE_OPEN, _at(day, hours.pre_open), opens, opens - PRE_OPEN_ENTRY_BEFORE_OPEN
            )
        )
    close = hours.close
    if hours.us_winter_close is not None and not us_daylight_saving(day):
        close = hours.us_winter_close
    found.append(Session(Phase.OPEN, opens, _at(day, close)))
    if hours.post_close is not None:
        found.append(
            Session(Phase.POST_CLOSE, _at(day, hours.post_close[0]), _at(day, hours.post_close[1]))
        )
    return tuple(found)


def _special_sessions(special: SpecialSession) -> tuple[Session, ...]:
    opens = _at(special.day, special.open)
    found = []
    if special.pre_open is not None:
        found.append(
            Session(
                Phase.PRE_OPEN,
                _at(special.day, special.pre_open),
                opens,
                max(opens - PRE_OPEN_ENTRY_BEFORE_OPEN, _at(special.day, special.pre_open)),
            )
        )
    found.append(Session(Phase.OPEN, opens, _at(special.day, special.close)))
    return tuple(found)


def _clip(sessions: tuple[Session, ...], holiday: Holiday | None) -> tuple[Session, ...]:
    """Drop the closed part of a part-day holiday (morning before 17:00, evening from it)."""
    if holiday is None:
        return sessions
    split = _at(holiday.day, EVENING_STARTS)
    kept = []
    for s in sessions:
        if holiday.closed == "morning" and s.end > split:
            kept.append(Session(s.phase, max(s.start, split), s.end, s.entry_end))
        elif holiday.closed == "evening" and s.start < split:
            kept.append(Session(s.phase, s.start, min(s.end, split), s.entry_end))
    return tuple(kept)


def _in_closed_part(holiday: Holiday, local: datetime) -> bool:
    if holiday.closed == "morning":
        return local.time() < EVENING_STARTS
    if holiday.closed == "evening":
        return local.time() >= EVENING_STARTS
    return True


def _describe(status: SegmentStatus, session: Session | None) -> str:
    seg, phase = status.segment, status.phase
    if phase is Phase.OPEN and status.next_close is not None:
        extra = f", {status.note}" if status.note else ""
        return f"{seg} is open until {_hhmm(status.next_close.time())} IST ({phase}{extra})"
    if phase is Phase.PRE_OPEN and session is not None and session.entry_end is not None:
        if status.at < session.entry_end:
            return (
                f"{seg} is in pre-open, order entry until {_hhmm(session.entry_end.time())} IST "
                f"({phase})"
            )
        return (
            f"{seg} is in the pre-open matching period, order entry closed at "
            f"{_hhmm(session.entry_end.time())} IST ({phase})"
        )
    if phase is Phase.POST_CLOSE:
        return f"{seg} is in the post-close session ({phase})"
    if phase is Phase.HOLIDAY:
        return f"{seg} is closed for a holiday, {status.note} ({phase})"
    if status.note == "weekend":
        return f"{seg} is closed for the weekend ({phase})"
    return f"{seg} is closed ({phase})"


def _amo_when(segment: str, window: AmoWindow) -> str:
    if window.start is None and not window.anytime:
        return f"after-market orders for {segment} are off in this profile"
    if window.start is not None:
        return f"after-market orders are accepted from {_hhmm(window.start)} IST"
    return "after-market orders are accepted when the market is closed"
