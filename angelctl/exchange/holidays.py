"""The holiday data file: its format, validation, the shipped copy and a user's copy.

Format ``angelctl-holidays/1``::

    {"format": "angelctl-holidays/1", "about": "…", "source": [{…attribution…}],
     "years": [2025, 2026],                      # years the lists are complete for
     "holidays": {"CM": [{"date": "2025-01-26", "description": "Republic Day"}, …],
                  "COM": [{"date": "2025-02-26", "description": "…", "closed": "morning"}, …]},
     "special_sessions": [{"date": "YYYY-MM-DD", "segments": ["NSE", "NFO"],
                           "pre_open": "HH:MM", "open": "HH:MM", "close": "HH:MM",
                           "description": "Muhurat trading"}]}

``holidays`` is keyed by NSE's calendar names (CM cash, FO derivatives, CD currency, COM
commodity) or by a segment (NSE, BSE, NFO, BFO, CDS, MCX, NCDEX), whose own list then replaces
its calendar's. ``closed`` is ``all`` (default), ``morning`` (before 17:00 IST) or ``evening``.
``special_sessions`` give a date its own sessions (Muhurat trading), see ``exchange.sessions``.

Invariants: a bad user file is a ``ConfigError`` naming the file and the problem (exit 3);
unknown keys are errors; ``dump_holiday_data`` writes what ``parse_holiday_data`` reads back
unchanged. The shipped file is package data (``angelctl/exchange/data/holidays.json``) derived
from the real NSE files for 2025 and 2026. Where the user's copy lives is the caller's business
(this module reads no configuration): ``load_holiday_data`` is given the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

from angelctl.errors import ConfigError
from angelctl.exchange.segments import CALENDARS, SEGMENTS
from angelctl.exchange.zones import parse_time
from angelctl.records import record

DATA_FORMAT = "angelctl-holidays/1"
SHIPPED_FILE = Path(__file__).with_name("data") / "holidays.json"
CLOSED_PARTS = ("all", "morning", "evening")


@record
class Holiday:
    day: date
    description: str
    closed: str = "all"  # or "morning" / "evening": a part-day closure (COM)

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"date": self.day.isoformat(), "description": self.description}
        if self.closed != "all":
            entry["closed"] = self.closed
        return entry


@record
class SpecialSession:
    day: date
    segments: frozenset[str]
    open: time
    close: time
    pre_open: time | None = None
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "date": self.day.isoformat(),
            "segments": sorted(self.segments),
            "open": f"{self.open:%H:%M}",
            "close": f"{self.close:%H:%M}",
            "description": self.description,
        }
        if self.pre_open is not None:
            entry["pre_open"] = f"{self.pre_open:%H:%M}"
        return entry


@record
class HolidayData:
    """The parsed data file. ``holidays`` is keyed by calendar (CM, FO, CD, COM) or by segment
    (a segment's own list, when present, replaces its calendar's)."""

    holidays: Mapping[str, tuple[Holiday, ...]]
    years: frozenset[int]
    special_sessions: tuple[SpecialSession, ...] = ()
    source: tuple[Any, ...] = ()
    location: str = ""  # the file it came from
    origin: str = "shipped"  # or "user"
    about: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DATA_FORMAT,
            "about": self.about,
            "source": list(self.source),
            "years": sorted(self.years),
            "holidays": {
                key: [h.as_dict() for h in sorted(entries, key=lambda h: h.day)]
                for key, entries in sorted(self.holidays.items())
            },
            "special_sessions": [
                s.as_dict() for s in sorted(self.special_sessions, key=lambda s: s.day)
            ],
        }


def _bad(location: str, problem: str) -> ConfigError:
    return ConfigError(
        f"holiday file {location}: {problem}",
        hint="fix it, re-import an NSE holiday-master file with `angelctl calendar update FILE`, "
        "or delete it to use the shipped data",
    )


def parse_holiday_data(raw: bytes, location: str, *, origin: str = "user") -> HolidayData:
    """Validate and parse a data file; any problem is a ConfigError naming the file."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(location, f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise _bad(location, "expected a JSON object")
    if doc.get("format") != DATA_FORMAT:
        raise _bad(location, f"format: expected {DATA_FORMAT!r}, got {doc.get('format')!r}")
    unknown = set(doc) - {"format", "about", "source", "years", "holidays", "special_sessions"}
    if unknown:
        raise _bad(location, f"unknown key {sorted(unknown)[0]!r}")
    years = doc.get("years", [])
    if not isinstance(years, list) or not all(
        isinstance(y, int) and not isinstance(y, bool) and 1990 <= y <= 2200 for y in years
    ):
        raise _bad(location, "years: expected a list of years such as [2025, 2026]")
    table = doc.get("holidays", {})
    if not isinstance(table, dict):
        raise _bad(location, "holidays: expected an object of CALENDAR: [entries]")
    holidays: dict[str, tuple[Holiday, ...]] = {}
    for key, entries in table.items():
        if key not in CALENDARS and key not in SEGMENTS:
            known = ", ".join((*CALENDARS, *SEGMENTS))
            raise _bad(location, f"holidays.{key}: unknown calendar (expected one of {known})")
        if not isinstance(entries, list):
            raise _bad(location, f"holidays.{key}: expected a list")
        holidays[key] = tuple(
            _parse_holiday(location, f"holidays.{key}[{i}]", e) for i, e in enumerate(entries)
        )
    specials = doc.get("special_sessions", [])
    if not isinstance(specials, list):
        raise _bad(location, "special_sessions: expected a list")
    sessions = tuple(
        _parse_special(location, f"special_sessions[{i}]", e) for i, e in enumerate(specials)
    )
    source = doc.get("source", [])
    about = doc.get("about", "")
    return HolidayData(
        about=about if isinstance(about, str) else "",
        holidays=holidays,
        years=frozenset(years),
        special_sessions=sessions,
        source=tuple(source) if isinstance(source, list) else (source,),
        location=location,
        origin=origin,
    )


def _entry_fields(location: str, where: str, entry: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _bad(location, f"{where}: expected an object")
    extra = set(entry) - allowed
    if extra:
        raise _bad(location, f"{where}: unknown key {sorted(extra)[0]!r}")
    return entry


def _date_field(location: str, where: str, value: Any) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else date.fromisoformat("")
    except ValueError:
        raise _bad(location, f"{where}.date: expected YYYY-MM-DD, got {value!r}") from None


def _time_field(location: str, where: str, value: Any) -> time:
    try:
        return parse_time(value) if isinstance(value, str) else parse_time("")
    except ValueError:
        raise _bad(location, f"{where}: expected HH:MM, got {value!r}") from None


def _parse_holiday(location: str, where: str, entry: Any) -> Holiday:
    fields = _entry_fields(location, where, entry, {"date", "description", "closed"})
    day = _date_field(location, where, fields.get("date"))
    description = fields.get("description", "")
    closed = fields.get("closed", "all")
    if not isinstance(description, str):
        raise _bad(location, f"{where}.description: expected a string")
    if closed not in CLOSED_PARTS:
        raise _bad(location, f"{where}.closed: expected one of {', '.join(CLOSED_PARTS)}")
    return Holiday(day, description, closed)


def _parse_special(location: str, where: str, entry: Any) -> SpecialSession:
    allowed = {"date", "segments", "open", "close", "pre_open", "description"}
    fields = _entry_fields(location, where, entry, allowed)
    day = _date_field(location, where, fields.get("date"))
    segments = fields.get("segments")
    if (
        not isinstance(segments, list)
        or not segments
        or not all(isinstance(s, str) and s in SEGMENTS for s in segments)
    ):
        raise _bad(location, f"{where}.segments: expected a list of {', '.join(SEGMENTS)}")
    opens = _time_field(location, f"{where}.open", fields.get("open"))
    closes = _time_field(location, f"{where}.close", fields.get("close"))
    pre_open = None
    if fields.get("pre_open") is not None:
        pre_open = _time_field(location, f"{where}.pre_open", fields.get("pre_open"))
    if not opens < closes or (pre_open is not None and not pre_open < opens):
        raise _bad(location, f"{where}: expected pre_open < open < close")
    description = fields.get("description", "")
    if not isinstance(description, str):
        raise _bad(location, f"{where}.description: expected a string")
    return SpecialSession(day, frozenset(segments), opens, closes, pre_open, description)


def shipped_data() -> HolidayData:
    """The holiday file installed with the package (package data beside this module; read as a
    plain file: ``importlib.resources`` would add 10-20 ms of imports to `calendar status`)."""
    resource = SHIPPED_FILE
    try:
        raw = resource.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"the shipped holiday file {resource} cannot be read ({exc.strerror or exc})",
            hint="reinstall angelctl, or import NSE's list with `angelctl calendar update FILE`",
        ) from None
    return parse_holiday_data(raw, str(resource), origin="shipped")


def load_holiday_data(user_file: Path) -> HolidayData:
    """The user's file when it exists (validated: ConfigError if bad), else the shipped one.
    The caller names the file (the client: ``config.holiday_file()``)."""
    path = user_file
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return shipped_data()
    except OSError as exc:
        raise _bad(str(path), f"cannot read it ({exc.strerror})") from None
    return parse_holiday_data(raw, str(path), origin="user")


def dump_holiday_data(data: HolidayData) -> bytes:
    """The data file's text: indented, one holiday or special session per line."""
    doc = data.to_json()
    lines = ["{"]
    for key, value in doc.items():
        if key in ("holidays",) and value:
            lines.append(f'  "{key}": {{')
            for i, (calendar, entries) in enumerate(value.items()):
                comma = "," if i < len(value) - 1 else ""
                body = [f"      {json.dumps(e, ensure_ascii=False)}" for e in entries]
                if body:
                    lines.append(f'    "{calendar}": [\n' + ",\n".join(body) + f"\n    ]{comma}")
                else:
                    lines.append(f'    "{calendar}": []{comma}')
            lines.append("  },")
        elif key in ("source", "special_sessions") and value:
            body = [f"    {json.dumps(e, ensure_ascii=False)}" for e in value]
            lines.append(f'  "{key}": [\n' + ",\n".join(body) + "\n  ],")
        else:
            lines.append(f'  "{key}": {json.dumps(value, ensure_ascii=False)},')
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")
