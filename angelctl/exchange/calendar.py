"""``MarketCalendar``: the phase of a segment at an instant, its next open and close, whether
its AMO window is open, and a report of every segment at once.

Built from the holiday data (``exchange.holidays``: the shipped copy, or a user's copy that
takes precedence) and the AMO windows (``exchange.amo``); a day's sessions come from
``exchange.sessions``, and whether an order may go now from ``exchange.decision``. A year the
data does not list in ``years`` closes on weekends only, and ``covers(day)`` says so.

Invariants: immutable once built; every answer is a pure function of the data, the AMO windows
and an aware instant, converted to IST (``exchange.zones``; naive datetimes are refused with
ValueError, so the process's ``TZ`` never matters). No I/O except reading a holiday file in
``load``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from angelctl.exchange import decision
from angelctl.exchange.amo import DEFAULT_AMO_WINDOWS, AmoWindow
from angelctl.exchange.holidays import (
    Holiday,
    HolidayData,
    SpecialSession,
    load_holiday_data,
    shipped_data,
)
from angelctl.exchange.segments import CALENDAR_OF_SEGMENT, SEGMENTS, check_segment
from angelctl.exchange.sessions import (
    HOURS,
    SATURDAY,
    Phase,
    Session,
    day_sessions,
    in_closed_part,
)
from angelctl.exchange.zones import to_ist
from angelctl.records import record

_SEARCH_DAYS = 400  # how far ahead next_open/next_close look (a year and its long weekends)


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
        cls, user_file: Path, *, amo_windows: Mapping[str, AmoWindow] | None = None
    ) -> MarketCalendar:
        """The user's holiday file when present (the client's is ``config.holiday_file()``),
        else the shipped data; ``amo_windows`` overrides the defaults segment by segment."""
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
        return day_sessions(
            HOURS[segment],
            day,
            self._holiday_index[segment].get(day),
            self._specials.get((segment, day)),
        )

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

    def order_decision(self, segment: str, at: datetime, *, amo: bool) -> decision.Decision:
        """May an order (an AMO when ``amo``) be sent to ``segment`` at ``at``?"""
        status = self.status(segment, at)
        window = self.amo_windows.get(status.segment, AmoWindow())
        return decision.order_decision(
            status, self.sessions(status.segment, status.at.date()), window, amo=amo
        )

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
        if holiday is not None and in_closed_part(holiday, local):
            return Phase.HOLIDAY, holiday.description
        note = "weekend" if local.weekday() >= SATURDAY else ""
        if self._amo_open(segment, local, sessions, Phase.CLOSED):
            return Phase.CLOSED_AMO, note
        return Phase.CLOSED, note

    def _amo_open(
        self, segment: str, local: datetime, sessions: tuple[Session, ...], phase: Phase
    ) -> bool:
        window = self.amo_windows.get(segment, AmoWindow())
        return window.open_at(
            local.time(),
            trading_day=any(s.phase is Phase.OPEN for s in sessions),
            market_open=phase is Phase.OPEN,
        )
