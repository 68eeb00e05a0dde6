"""The exchange calendar (``angelctl.exchange``): sessions, holidays, AMO windows and the
order-window decision, the same under any TZ (docs/scenarios.md#e3--timezone-independence); a user
holiday file's special session; the US daylight-saving rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from angelctl.config import holiday_file
from angelctl.exchange.amo import AmoWindow
from angelctl.exchange.calendar import MarketCalendar
from angelctl.exchange.decision import Verdict
from angelctl.exchange.holidays import shipped_data
from angelctl.exchange.sessions import Phase
from angelctl.exchange.zones import ist, us_daylight_saving
from tests.calendar_data import MUHURAT, at_ist, write_user_file
from tests.conftest import REPO

NEW_YORK = ZoneInfo("America/New_York")
A, Q, R = Verdict.ALLOW, Verdict.AMO_ONLY, Verdict.REFUSE  # allow, AMO only (queue), refuse
PRE, OPEN, POST = Phase.PRE_OPEN, Phase.OPEN, Phase.POST_CLOSE
AMO, CLOSED, HOLIDAY = Phase.CLOSED_AMO, Phase.CLOSED, Phase.HOLIDAY

# (segment, IST wall time, phase, verdict without --amo, verdict with --amo, next open or None)
E3_POINTS: list[tuple[str, str, Phase, Verdict, Verdict, str | None]] = [
    # NSE cash on an ordinary Wednesday: AMO window to 08:57, pre-open entry 09:00-09:08.
    ("NSE", "2026-11-25 08:56:59.999", AMO, Q, A, "2026-11-25 09:15"),
    ("NSE", "2026-11-25 08:57:00", CLOSED, R, R, "2026-11-25 09:15"),
    ("NSE", "2026-11-25 08:59:59.999", CLOSED, R, R, None),
    ("NSE", "2026-11-25 09:00:00", PRE, A, R, "2026-11-25 09:15"),
    ("NSE", "2026-11-25 09:07:59.999", PRE, A, R, None),
    ("NSE", "2026-11-25 09:08:00", PRE, R, R, None),
    ("NSE", "2026-11-25 09:14:59.999", PRE, R, R, "2026-11-25 09:15"),
    ("NSE", "2026-11-25 09:15:00.000", OPEN, A, R, "2026-11-26 09:15"),
    ("NSE", "2026-11-25 15:29:59.999", OPEN, A, R, None),
    ("NSE", "2026-11-25 15:30:00", CLOSED, R, R, "2026-11-26 09:15"),
    ("NSE", "2026-11-25 15:39:59.999", CLOSED, R, R, None),
    ("NSE", "2026-11-25 15:40:00", POST, R, R, None),
    ("NSE", "2026-11-25 15:45:00", POST, Q, A, None),
    ("NSE", "2026-11-25 16:00:00", AMO, Q, A, "2026-11-26 09:15"),
    ("BSE", "2026-11-25 09:14:59.999", PRE, R, R, "2026-11-25 09:15"),
    ("BSE", "2026-11-25 09:15:00", OPEN, A, R, None),
    # NFO: futures pre-open from 08-Dec-2025; AMO window to 09:10; no post-close.
    ("NFO", "2025-12-05 09:05:00", AMO, Q, A, "2025-12-05 09:15"),
    ("NFO", "2025-12-05 09:12:00", CLOSED, R, R, None),
    ("NFO", "2025-12-08 09:05:00", PRE, A, A, "2025-12-08 09:15"),
    ("NFO", "2026-11-25 09:10:00", PRE, R, R, None),
    ("NFO", "2026-11-25 09:14:59.999", PRE, R, R, None),
    ("NFO", "2026-11-25 09:15:00", OPEN, A, R, None),
    ("NFO", "2026-11-25 15:30:00", CLOSED, R, R, None),
    ("NFO", "2026-11-25 15:45:00", AMO, Q, A, None),
    ("BFO", "2026-11-25 09:05:00", AMO, Q, A, "2026-11-25 09:15"),
    # CDS 09:00-17:00, AMO window to 08:59.
    ("CDS", "2026-11-25 08:58:59.999", AMO, Q, A, "2026-11-25 09:00"),
    ("CDS", "2026-11-25 08:59:00", CLOSED, R, R, None),
    ("CDS", "2026-11-25 09:00:00", OPEN, A, R, "2026-11-26 09:00"),
    ("CDS", "2026-11-25 16:59:59.999", OPEN, A, R, None),
    ("CDS", "2026-11-25 17:00:00", AMO, Q, A, None),
    # MCX evening close across the US DST start (Sun 08-Mar-2026, Sun 09-Mar-2025).
    ("MCX", "2026-03-06 23:29:59", OPEN, A, R, None),
    ("MCX", "2026-03-06 23:30:00", OPEN, A, R, None),
    ("MCX", "2026-03-06 23:54:59", OPEN, A, R, None),
    ("MCX", "2026-03-06 23:55:00", AMO, Q, A, "2026-03-09 09:00"),
    ("MCX", "2026-03-09 23:29:59", OPEN, A, R, None),
    ("MCX", "2026-03-09 23:30:00", AMO, Q, A, "2026-03-10 09:00"),
    ("MCX", "2026-03-09 23:54:59", AMO, Q, A, None),
    ("MCX", "2025-03-07 23:54:59", OPEN, A, R, None),
    ("MCX", "2025-03-10 23:30:00", AMO, Q, A, None),
    # ... and across the US DST end (Sun 01-Nov-2026, Sun 02-Nov-2025).
    ("MCX", "2026-10-30 23:29:59", OPEN, A, R, None),
    ("MCX", "2026-10-30 23:30:00", AMO, Q, A, "2026-11-02 09:00"),
    ("MCX", "2026-11-02 23:30:00", OPEN, A, R, None),
    ("MCX", "2026-11-02 23:54:59.999", OPEN, A, R, None),
    ("MCX", "2026-11-02 23:55:00", AMO, Q, A, "2026-11-03 09:00"),
    ("MCX", "2025-10-31 23:30:00", AMO, Q, A, None),
    ("MCX", "2025-11-03 23:30:00", OPEN, A, R, None),
    ("MCX", "2026-11-25 08:59:59.999", AMO, Q, A, "2026-11-25 09:00"),
    ("MCX", "2026-11-25 09:00:00", OPEN, A, R, None),
    # Weekends, including the instants of New York's own clock changes.
    ("NSE", "2026-11-28 11:00:00", AMO, Q, A, "2026-11-30 09:15"),
    ("MCX", "2026-03-08 12:29:59", AMO, Q, A, "2026-03-09 09:00"),  # 01:59:59 EST
    ("MCX", "2026-03-08 12:30:00", AMO, Q, A, "2026-03-09 09:00"),  # 03:00:00 EDT
    ("NSE", "2026-11-01 11:00:00", AMO, Q, A, "2026-11-02 09:15"),  # 01:30 EDT
    ("NSE", "2026-11-01 12:00:00", AMO, Q, A, "2026-11-02 09:15"),  # 01:30 EST
    # Holidays of the NSE master (2026) and COM part-day closures.
    ("NSE", "2026-11-24 09:15:00", HOLIDAY, Q, A, "2026-11-25 09:15"),
    ("NFO", "2026-11-24 12:00:00", HOLIDAY, Q, A, "2026-11-25 09:15"),
    ("CDS", "2026-11-24 12:00:00", HOLIDAY, Q, A, "2026-11-25 09:00"),
    ("MCX", "2026-11-24 12:00:00", HOLIDAY, Q, A, "2026-11-24 17:00"),  # morning closed
    ("MCX", "2026-11-24 17:00:00", OPEN, A, R, "2026-11-25 09:00"),
    ("MCX", "2026-01-01 16:59:59", OPEN, A, R, None),  # New year: evening closed
    ("MCX", "2026-01-01 17:00:00", HOLIDAY, Q, A, "2026-01-02 09:00"),
    ("CDS", "2026-02-19 10:00:00", HOLIDAY, Q, A, "2026-02-20 09:00"),  # a CD-only holiday
    ("NSE", "2026-02-19 10:00:00", OPEN, A, R, None),
    ("NSE", "2026-03-20 15:45:00", POST, Q, A, "2026-03-23 09:15"),  # 21-Mar holiday is a Sat
    ("NSE", "2026-03-25 16:00:00", AMO, Q, A, "2026-03-27 09:15"),  # 26-Mar Ram Navami
    # Muhurat days: the shipped data lists no special session, so they are plain holidays.
    ("NSE", "2025-10-21 13:45:00", HOLIDAY, Q, A, "2025-10-23 09:15"),
    ("MCX", "2025-10-21 18:00:00", HOLIDAY, Q, A, "2025-10-22 17:00"),
    ("NSE", "2026-11-08 18:00:00", HOLIDAY, Q, A, "2026-11-09 09:15"),
    # A year the data does not cover: weekends only.
    ("NSE", "2027-01-26 10:00:00", OPEN, A, R, None),
]

E3_SCRIPT = r"""
import json, sys
from datetime import UTC, datetime
from angelctl.exchange.calendar import MarketCalendar
from angelctl.orders.market_hours import MarketHoursCheck

class FrozenClock:
    def __init__(self, at): self.at = at
    def now(self): return self.at
    def monotonic(self): return 0.0
    def sleep(self, seconds): pass

calendar = MarketCalendar.shipped()
results = []
for segment, text in json.load(sys.stdin):
    given = datetime.fromisoformat(text)
    answers = []
    # the instant as given, in UTC, and in this process's local zone (which TZ sets)
    for at in (given, given.astimezone(UTC), given.astimezone()):
        status = calendar.status(segment, at)
        plain = calendar.order_decision(segment, at, amo=False)
        amo = calendar.order_decision(segment, at, amo=True)
        guard = MarketHoursCheck(calendar, FrozenClock(at), policy="allow").check(segment)
        answers.append([
            status.phase, plain.verdict, amo.verdict, guard.verdict, plain.reason, amo.reason,
            status.next_open.isoformat() if status.next_open else None,
            status.next_close.isoformat() if status.next_close else None,
        ])
    results.append({"answers": answers, "local": given.astimezone().isoformat()})
json.dump({"tz": datetime(2026, 1, 1, tzinfo=UTC).astimezone().tzname(), "results": results},
          sys.stdout)
"""


def _representation(i: int, moment: datetime) -> str:
    """Rotate how each instant is written: IST, UTC, New York (EST or EDT)."""
    zone = (ist(), UTC, NEW_YORK)[i % 3]
    return moment.astimezone(zone).isoformat()


def _run_points(tz: str) -> dict[str, Any]:
    points = [
        [segment, _representation(i, at_ist(text))]
        for i, (segment, text, *_) in enumerate(E3_POINTS)
    ]
    proc = subprocess.run(
        [sys.executable, "-c", E3_SCRIPT],
        input=json.dumps(points),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": tz},
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_e3_decisions_are_identical_under_every_tz_and_as_expected() -> None:
    assert len(E3_POINTS) >= 50
    runs = {tz: _run_points(tz) for tz in ("UTC", "America/New_York", "Asia/Kolkata")}
    assert [run["tz"] for run in runs.values()] == ["UTC", "EST", "IST"]  # TZ really applied
    reference = runs["Asia/Kolkata"]["results"]
    mismatches: list[str] = []
    for tz, run in runs.items():
        for point, result in zip(E3_POINTS, run["results"], strict=True):
            segment, text, phase, plain, amo, next_open = point
            answers = result["answers"]
            if any(answer != answers[0] for answer in answers):
                mismatches.append(f"{tz} {segment} {text}: representations disagree {answers}")
            got_phase, got_plain, got_amo, got_guard, *_, got_next_open, _ = answers[0]
            if [got_phase, got_plain, got_amo, got_guard] != [phase, plain, amo, plain]:
                mismatches.append(
                    f"{tz} {segment} {text}: {got_phase}/{got_plain}/{got_amo}/{got_guard}, "
                    f"expected {phase}/{plain}/{amo}"
                )
            if next_open is not None and got_next_open != at_ist(next_open).isoformat():
                mismatches.append(f"{tz} {segment} {text}: next open {got_next_open}")
        if [r["answers"] for r in run["results"]] != [r["answers"] for r in reference]:
            mismatches.append(f"{tz}: decisions differ from Asia/Kolkata")
    # the New York process saw the DST instants in both of its offsets
    local_offsets = {r["local"][-6:] for r in runs["America/New_York"]["results"]}
    assert local_offsets == {"-05:00", "-04:00"}
    assert mismatches == [], f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


def test_naive_datetimes_are_refused() -> None:
    calendar = MarketCalendar.shipped()
    with pytest.raises(ValueError, match="naive"):
        calendar.phase("NSE", datetime(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        calendar.order_decision("NSE", datetime(2026, 11, 25, 10, 0), amo=False)


def test_us_daylight_saving_follows_the_us_rule() -> None:
    spans = {2025: ("03-09", "11-02"), 2026: ("03-08", "11-01"), 2027: ("03-14", "11-07")}
    for year, (start, end) in spans.items():
        first = date.fromisoformat(f"{year}-{start}")
        last = date.fromisoformat(f"{year}-{end}")
        assert not us_daylight_saving(first - timedelta(days=1))
        assert us_daylight_saving(first) and us_daylight_saving(last - timedelta(days=1))
        assert not us_daylight_saving(last)
        # the zone database agrees at noon New York time
        for day in (first - timedelta(days=1), first, last - timedelta(days=1), last):
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=NEW_YORK)
            assert bool(noon.dst()) == us_daylight_saving(day)


def test_amo_window_overrides_change_the_decision() -> None:
    windows = {"NSE": AmoWindow.parse("16:00-08:00"), "MCX": AmoWindow.parse("none")}
    calendar = MarketCalendar(shipped_data(), windows)
    assert calendar.phase("NSE", at_ist("2026-11-25 15:50")) is POST
    assert calendar.order_decision("NSE", at_ist("2026-11-25 15:50"), amo=True).verdict is R
    assert calendar.order_decision("NSE", at_ist("2026-11-25 16:00"), amo=True).verdict is A
    assert calendar.order_decision("NSE", at_ist("2026-11-26 08:30"), amo=True).verdict is R
    assert calendar.phase("MCX", at_ist("2026-11-28 10:00")) is CLOSED
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        AmoWindow.parse("after close")


def test_user_file_takes_precedence_and_a_special_session_opens_a_holiday() -> None:
    path = write_user_file(MUHURAT)
    calendar = MarketCalendar.load(holiday_file())
    assert calendar.data.origin == "user" and calendar.data.location == str(path)
    day = "2025-10-21"
    assert calendar.phase("NSE", at_ist(f"{day} 10:00")) is HOLIDAY
    assert calendar.next_open("NSE", at_ist(f"{day} 10:00")) == at_ist(f"{day} 13:45")
    assert calendar.phase("NSE", at_ist(f"{day} 13:30")) is PRE
    assert calendar.order_decision("NSE", at_ist(f"{day} 13:37:59"), amo=False).allowed
    assert not calendar.order_decision("NSE", at_ist(f"{day} 13:38"), amo=False).allowed
    assert calendar.phase("NSE", at_ist(f"{day} 13:44:59.999")) is PRE
    status = calendar.status("NSE", at_ist(f"{day} 13:45"))
    assert status.phase is OPEN and status.note == "special session: Muhurat trading"
    assert status.next_close == at_ist(f"{day} 14:45")
    assert calendar.phase("NSE", at_ist(f"{day} 14:45")) is HOLIDAY
    # a segment the session does not name stays closed for the holiday
    assert calendar.phase("NFO", at_ist(f"{day} 13:50")) is HOLIDAY
    assert not calendar.covers(date(2026, 1, 1))
