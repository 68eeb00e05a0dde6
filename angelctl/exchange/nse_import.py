"""Importing NSE's holiday master (``nseindia.com/api/holiday-master?type=trading``) into the
holiday data file (``exchange.holidays``).

NSE lists every calendar (CM, FO, CD, COM) with ``dd-Mon-yyyy`` dates; COM rows say per session
(morning, evening) whether it trades, which becomes a part-day closure here.

Invariants: a file that is not an NSE holiday master is a ``UsageError`` naming the input
(exit 2); an import replaces whole years calendar by calendar and keeps everything else
(other years, special sessions, earlier sources).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from angelctl.errors import UsageError
from angelctl.exchange.holidays import Holiday, HolidayData
from angelctl.exchange.segments import CALENDARS
from angelctl.exchange.zones import MONTHS


def parse_nse_holiday_master(raw: bytes, name: str) -> dict[str, list[Holiday]]:
    """``nseindia.com/api/holiday-master?type=trading`` JSON → holidays per calendar (CM, FO,
    CD, COM; other segments are ignored). A bad file is a UsageError naming it."""

    def bad(problem: str) -> UsageError:
        return UsageError(
            f"{name} is not an NSE holiday-master file: {problem}",
            hint="download it from https://www.nseindia.com/api/holiday-master?type=trading",
        )

    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not any(key in doc for key in CALENDARS):
        raise bad(f"expected an object with the segments {', '.join(CALENDARS)}")
    found: dict[str, list[Holiday]] = {}
    for key in CALENDARS:
        entries = doc.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise bad(f"{key}: expected a list")
        found[key] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise bad(f"{key}[{i}]: expected an object")
            day = _nse_date(entry.get("tradingDate"))
            if day is None:
                raise bad(
                    f"{key}[{i}].tradingDate: expected dd-Mon-yyyy, got "
                    f"{entry.get('tradingDate')!r}"
                )
            description = str(entry.get("description") or "").strip()
            closed = _closed_part(entry.get("morning_session"), entry.get("evening_session"))
            if closed is not None:
                found[key].append(Holiday(day, description, closed))
    if not any(found.values()):
        raise bad("no holidays listed")
    return found


def _nse_date(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    parts = text.strip().split("-")
    if len(parts) != 3 or parts[1].title() not in MONTHS:
        return None
    try:
        return date(int(parts[2]), MONTHS.index(parts[1].title()) + 1, int(parts[0]))
    except ValueError:
        return None


def _closed_part(morning: Any, evening: Any) -> str | None:
    """COM rows say per session whether it trades; other segments leave both null (closed)."""
    morning_open = str(morning or "").strip().lower() == "open"
    evening_open = str(evening or "").strip().lower() == "open"
    if morning_open and evening_open:
        return None
    if morning_open:
        return "evening"
    if evening_open:
        return "morning"
    return "all"


def merge_nse_import(
    current: HolidayData, imported: Mapping[str, list[Holiday]], source: Mapping[str, Any]
) -> HolidayData:
    """``current`` with the imported years replaced, calendar by calendar; special sessions
    and other years are kept."""
    years = {h.day.year for entries in imported.values() for h in entries}
    holidays = dict(current.holidays)
    for key, entries in imported.items():
        kept = [h for h in holidays.get(key, ()) if h.day.year not in years]
        holidays[key] = tuple(sorted([*kept, *entries], key=lambda h: h.day))
    return HolidayData(
        holidays=holidays,
        years=current.years | years,
        special_sessions=current.special_sessions,
        source=(*current.source, dict(source, years=sorted(years))),
        location=current.location,
        origin=current.origin,
        about=current.about,
    )
