"""Time facts the exchange calendar needs: Asia/Kolkata, ``HH:MM`` text, and the US rule for
daylight saving (MCX's evening close follows it).

Invariants: ``to_ist`` refuses naive datetimes (ValueError), so the process's ``TZ`` never
matters; IST is the fixed +05:30 it has been since 1945 (every instant the calendar handles is
later), the same ``angelctl.clock.IST`` the rest of the project uses. The US daylight-saving
state comes from the US rule (second Sunday of March to first Sunday of November), not from any
zone database. Formatting is locale-independent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from angelctl.clock import IST

SUNDAY = 6
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ist() -> tzinfo:
    """Asia/Kolkata: the fixed +05:30 it has been since 1945 (``angelctl.clock.IST``, the one the
    whole project uses; no zone database needed, and none imported: zoneinfo costs 3 ms)."""
    return IST


def to_ist(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a timezone-aware instant")
    return at.astimezone(ist())


def at_ist(day: date, clock_time: time) -> datetime:
    """The aware IST instant of ``clock_time`` on ``day``."""
    return datetime.combine(day, clock_time, tzinfo=ist())


def format_ist(moment: datetime) -> str:
    """``Tue 24-Nov-2026 09:15 IST`` (locale-independent)."""
    local = to_ist(moment)
    return (
        f"{WEEKDAYS[local.weekday()]} {local.day:02d}-{MONTHS[local.month - 1]}-{local.year} "
        f"{local:%H:%M} IST"
    )


def hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def parse_time(text: str) -> time:
    """``HH:MM`` → time; anything else is a ValueError."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or len(minutes) != 2 or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"expected HH:MM, got {text!r}")
    return time(int(hours), int(minutes))


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(SUNDAY - first.weekday()) % 7, weeks=n - 1)


def us_daylight_saving(day: date) -> bool:
    """US summer time on ``day``: second Sunday of March to first Sunday of November."""
    return _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
