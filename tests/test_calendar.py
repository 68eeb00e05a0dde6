"""The market calendar: sessions, holidays, AMO windows and the order-window decision, the same
under any TZ (docs/scenarios.md#e3--timezone-independence); the holiday data file, its user override
and `calendar update` from NSE's real holiday master; the `calendar` commands, which make no network
call (docs/scenarios.md#e5--starting-with-no-network).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from angelctl.config import config_dir
from angelctl.errors import ConfigError, UsageError
from angelctl.orders.checks import PreTradeRejected
from angelctl.risk.calendar import (
    AmoWindow,
    MarketCalendar,
    Phase,
    Verdict,
    ist,
    us_daylight_saving,
)
from angelctl.risk.holidays import (
    DATA_FORMAT,
    parse_holiday_data,
    parse_nse_holiday_master,
    shipped_data,
)
from angelctl.risk.market_hours import MarketHoursGuard, OutsideMarketHours, check_order_window
from angelctl.status import ExitStatus
from tests.conftest import REALDATA, REPO

NSE_2025 = REALDATA / "calendar" / "nse_holiday_master_trading_2025_misterdas.json"
NSE_2026 = REALDATA / "calendar" / "nse_holiday_master_trading_2026_uhsa96446.json"
NEW_YORK = ZoneInfo("America/New_York")
A, Q, R = Verdict.ALLOW, Verdict.AMO_ONLY, Verdict.REFUSE  # allow, AMO only (queue), refuse
PRE, OPEN, POST = Phase.PRE_OPEN, Phase.OPEN, Phase.POST_CLOSE
AMO, CLOSED, HOLIDAY = Phase.CLOSED_AMO, Phase.CLOSED, Phase.HOLIDAY


class FrozenClock:
    """A ``Clock`` stopped at one instant (the wall time the guard reads)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the calendar never sleeps")


def at_ist(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ist())


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
from angelctl.risk.calendar import MarketCalendar
from angelctl.risk.market_hours import MarketHoursGuard

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
        guard = MarketHoursGuard(calendar, FrozenClock(at), policy="allow").check(segment)
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


MONDAY_2330 = "2026-03-09T18:00:00Z"  # 23:30 IST, the Monday after the US DST start


def test_cli_status_is_the_same_under_new_york_and_kolkata(isolated_dirs: Path) -> None:
    outputs = []
    for tz in ("America/New_York", "Asia/Kolkata"):
        proc = subprocess.run(
            [sys.executable, "-m", "angelctl", "calendar", "status", "--json", "--at", MONDAY_2330],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TZ": tz},
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    phases = {s["segment"]: s["phase"] for s in outputs[0]["segments"]}
    assert phases["MCX"] == "CLOSED_AMO" and phases["NSE"] == "CLOSED_AMO"


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


# --- the order-layer check --------------------------------------------------------------------


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


def test_guard_reads_time_from_its_clock_and_the_profile_windows() -> None:
    clock = FrozenClock(at_ist("2026-11-25 20:00"))
    guard = MarketHoursGuard.for_profile({"amo_windows": {"NSE": "none"}}, clock)
    with pytest.raises(OutsideMarketHours, match="after-market orders for NSE are off"):
        guard.check("NSE", amo=True)
    clock.at = at_ist("2026-11-26 09:30")
    assert guard.check("NSE").allowed
    relaxed = MarketHoursGuard.for_profile({"policy": "allow"}, FrozenClock(clock.at))
    assert relaxed.policy == "allow"


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


# --- the data file ----------------------------------------------------------------------------


def test_shipped_data_is_the_real_nse_holiday_master_for_2025_and_2026() -> None:
    data = shipped_data()
    assert data.origin == "shipped" and data.years == {2025, 2026}
    files = {entry["file"] for entry in data.source}
    assert files == {f"realdata/calendar/{NSE_2025.name}", f"realdata/calendar/{NSE_2026.name}"}
    expected: dict[str, set[tuple[str, str, str]]] = {}
    for path in (NSE_2025, NSE_2026):
        for key, entries in parse_nse_holiday_master(path.read_bytes(), path.name).items():
            expected.setdefault(key, set()).update(
                (h.day.isoformat(), h.description, h.closed) for h in entries
            )
    shipped = {
        key: {(h.day.isoformat(), h.description, h.closed) for h in entries}
        for key, entries in data.holidays.items()
    }
    assert shipped == expected
    assert ("2026-11-24", "Prakash Gurpurb Sri Guru Nanak Dev", "all") in shipped["CM"]
    assert ("2026-11-24", "Prakash Gurpurb Sri Guru Nanak Dev", "morning") in shipped["COM"]
    assert ("2025-01-01", "New year", "evening") in shipped["COM"]


def test_shipped_data_file_is_declared_package_data() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"angelctl.risk" = ["data/*.json"]' in pyproject


MUHURAT = {
    "format": DATA_FORMAT,
    "years": [2025],
    "holidays": {
        "CM": [{"date": "2025-10-21", "description": "Diwali Laxmi Pujan"}],
        "FO": [{"date": "2025-10-21", "description": "Diwali Laxmi Pujan"}],
    },
    "special_sessions": [
        {
            "date": "2025-10-21",
            "segments": ["NSE", "BSE"],
            "pre_open": "13:30",
            "open": "13:45",
            "close": "14:45",
            "description": "Muhurat trading",
        }
    ],
}


def write_user_file(doc: Any) -> Path:
    path = config_dir() / "holidays.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_user_file_takes_precedence_and_a_special_session_opens_a_holiday() -> None:
    path = write_user_file(MUHURAT)
    calendar = MarketCalendar.load()
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


def test_cli_status_reports_the_user_file_and_the_special_session(cli: Any) -> None:
    path = write_user_file(MUHURAT)
    result = cli("calendar", "status", "--segment", "nse", "--at", "2025-10-21T08:20Z", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["data_file"] == str(path) and doc["data_origin"] == "user"
    (nse,) = doc["segments"]
    assert nse["phase"] == "OPEN" and nse["note"] == "special session: Muhurat trading"
    assert nse["next_close"] == "2025-10-21T14:45:00+05:30"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ({"format": "other/9"}, "format: expected"),
        ({**MUHURAT, "extra": 1}, "unknown key 'extra'"),
        ({**MUHURAT, "holidays": {"XX": []}}, "holidays.XX: unknown calendar"),
        ({**MUHURAT, "holidays": {"CM": [{"date": "21-10-2025"}]}}, "holidays.CM[0].date"),
        (
            {**MUHURAT, "special_sessions": [{**MUHURAT["special_sessions"][0], "open": "15:00"}]},
            "special_sessions[0]: expected pre_open < open < close",
        ),
    ],
)
def test_a_bad_user_file_is_a_config_error_naming_file_and_problem(
    cli: Any, content: Any, problem: str
) -> None:
    path = write_user_file(content)
    with pytest.raises(ConfigError) as caught:
        MarketCalendar.load()
    assert str(path) in str(caught.value) and problem in str(caught.value)
    result = cli("calendar", "status", "--json")
    assert result.code == ExitStatus.CONFIG == 3
    assert str(path) in result.err and problem in result.err
    assert result.json()["error"]["type"] == "ConfigError"


def test_parse_errors_name_the_location() -> None:
    raw = json.dumps({"format": DATA_FORMAT, "years": "2025"}).encode()
    with pytest.raises(ConfigError, match=r"somewhere\.json: years"):
        parse_holiday_data(raw, "somewhere.json")


# --- calendar update --------------------------------------------------------------------------


def test_update_imports_the_real_nse_master_into_the_user_file(cli: Any) -> None:
    target = config_dir() / "holidays.json"
    result = cli("calendar", "update", str(NSE_2026), "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["path"] == str(target) and doc["imported_years"] == [2026]
    assert doc["holidays"] == {"CM": 20, "FO": 20, "CD": 24, "COM": 21}
    data = parse_holiday_data(target.read_bytes(), str(target))
    assert data.years == {2025, 2026}  # started from the shipped data, 2025 kept
    assert data.source[-1]["file"] == str(NSE_2026) and len(data.source[-1]["sha256"]) == 64
    assert [p.name for p in target.parent.iterdir()] == ["holidays.json"]  # no temp file left
    calendar = MarketCalendar.load()
    assert calendar.data.origin == "user"
    assert calendar.phase("NSE", at_ist("2026-11-24 10:00")) is HOLIDAY
    # importing the same year again replaces it rather than duplicating it
    assert cli("calendar", "update", str(NSE_2026)).code == 0
    again = parse_holiday_data(target.read_bytes(), str(target))
    assert len(again.holidays["CM"]) == len(data.holidays["CM"]) == 38


def test_update_from_stdin_replaces_only_the_years_it_lists(cli: Any) -> None:
    write_user_file(MUHURAT)  # 2025 CM: one day, plus a special session
    result = cli("calendar", "update", "-", input=NSE_2025.read_text())
    assert result.code == 0, result.both
    assert "Imported 2025 from stdin" in result.out
    calendar = MarketCalendar.load()
    assert len([h for h in calendar.data.holidays["CM"] if h.day.year == 2025]) == 18
    assert calendar.data.special_sessions and calendar.data.years == {2025}
    assert calendar.phase("NSE", at_ist("2025-10-21 14:00")) is OPEN  # the Muhurat session kept


def test_update_replaces_a_broken_user_file_with_a_warning(cli: Any) -> None:
    write_user_file("{broken")
    result = cli("calendar", "update", str(NSE_2026))
    assert result.code == 0, result.both
    assert "warning:" in result.err and "not valid JSON" in result.err
    assert MarketCalendar.load().data.years == {2025, 2026}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "expected an object with the segments"),
        ('{"CM": [{"tradingDate": "2026-11-24"}]}', "CM[0].tradingDate"),
        ('{"CM": []}', "no holidays listed"),
    ],
)
def test_update_refuses_what_is_not_an_nse_master(cli: Any, content: str, problem: str) -> None:
    result = cli("calendar", "update", "-", input=content)
    assert result.code == ExitStatus.USAGE
    assert "stdin is not an NSE holiday-master file" in result.err and problem in result.err
    assert not (config_dir() / "holidays.json").exists()


def test_update_of_a_missing_file_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("calendar", "update", str(tmp_path / "nope.json"))
    assert result.code == ExitStatus.USAGE and "cannot read" in result.err


def test_nse_parse_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError, match=r"x\.json is not an NSE holiday-master file"):
        parse_nse_holiday_master(b"\xff", "x.json")


# --- the commands -----------------------------------------------------------------------------


def test_status_json_lists_every_segment_with_phase_and_next_times(cli: Any) -> None:
    result = cli("calendar", "status", "--at", "2026-11-24T09:15", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["ok"] and doc["policy"] == "refuse" and doc["data_origin"] == "shipped"
    assert doc["at"] == "2026-11-24T09:15:00+05:30" and doc["years"] == [2025, 2026]
    by_segment = {s["segment"]: s for s in doc["segments"]}
    assert list(by_segment) == ["NSE", "BSE", "NFO", "BFO", "CDS", "MCX", "NCDEX"]
    assert by_segment["NSE"]["phase"] == "HOLIDAY"
    assert by_segment["NSE"]["note"] == "Prakash Gurpurb Sri Guru Nanak Dev"
    assert by_segment["NSE"]["next_open"] == "2026-11-25T09:15:00+05:30"
    assert by_segment["MCX"]["next_open"] == "2026-11-24T17:00:00+05:30"
    assert doc["amo_windows"]["NFO"] == "15:45-09:10" and doc["amo_windows"]["MCX"] == "any"
    assert doc["warnings"] == []


def test_status_table_shows_phases_and_the_data_file(cli: Any) -> None:
    result = cli("calendar", "status", "--at", "2026-11-25T03:45:00Z")
    assert result.code == 0, result.both
    text = " ".join(result.out.split())
    assert "Market calendar at Wed 25-Nov-2026 09:15 IST" in text
    assert "│ NSE │ OPEN │" in text and "│ BFO │ OPEN │" in text
    assert "holidays.json (shipped; years 2025, 2026)" in text and "policy: refuse" in text
    assert "Thu 26-Nov 09:15" in text and "15:45-08:57 closed" in text


def test_calendar_without_a_subcommand_is_status(cli: Any) -> None:
    result = cli("calendar", "--json")
    assert result.code == 0, result.both
    assert {s["segment"] for s in result.json()["segments"]} >= {"NSE", "MCX"}


def test_status_warns_for_a_year_the_data_does_not_cover(cli: Any) -> None:
    result = cli("calendar", "status", "--at", "2027-03-01T10:00")
    assert result.code == 0
    assert "covers 2025, 2026; 2027 counts weekends only" in result.err


def test_status_rejects_a_bad_segment_and_a_bad_time(cli: Any) -> None:
    bad_segment = cli("calendar", "status", "--segment", "LSE")
    assert bad_segment.code == ExitStatus.USAGE and "unknown segment" in bad_segment.err
    bad_time = cli("calendar", "status", "--at", "tomorrow")
    assert bad_time.code == ExitStatus.USAGE and "not an ISO date-time" in bad_time.err


@pytest.mark.parametrize(
    "at",
    ["9999-12-31T23:59", "0001-01-01T00:00+14:00", "1969-12-31T23:59", "3000-01-01T00:00Z"],
)
def test_status_at_a_time_outside_the_calendar_range_is_a_usage_error(cli: Any, at: str) -> None:
    result = cli("calendar", "status", "--at", at, "--json")
    assert result.code == ExitStatus.USAGE, result.both
    assert "--at" in result.err and "1970" in result.err and "2999" in result.err
    assert result.json()["error"]["exit_status"] == ExitStatus.USAGE


def test_status_at_the_edges_of_the_range_works(cli: Any) -> None:
    for at in ("1970-01-01T00:00", "2999-12-31T23:59"):
        result = cli("calendar", "status", "--at", at, "--json")
        assert result.code == 0, result.both


@pytest.mark.parametrize("year", ["99999999999999999999", "10000", "1989", "２０２６", "-2026"])
def test_holidays_year_is_range_checked(cli: Any, year: str) -> None:
    result = cli("calendar", "holidays", "--year", year)
    assert result.code == ExitStatus.USAGE, result.both
    assert "--year" in result.err and "1990" in result.err


def test_holidays_json_and_table(cli: Any) -> None:
    result = cli("calendar", "holidays", "--year", "2026", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["year"] == 2026 and doc["covered"]
    guru_nanak = [h for h in doc["holidays"] if h["date"] == "2026-11-24"]
    assert {"closed": "all", "segments": ["NSE", "BSE", "NFO", "BFO", "CDS"]}.items() <= (
        guru_nanak[0].items()
    )
    assert guru_nanak[1]["closed"] == "morning" and guru_nanak[1]["segments"] == ["MCX", "NCDEX"]
    table = cli("calendar", "holidays", "--year", "2026", "--segment", "CDS")
    assert table.code == 0
    assert "Id-E-Milad" in table.out and "2026-08-26" in table.out
    assert "Exchange holidays 2026" in table.out
    nse_only = cli("calendar", "holidays", "--year", "2026", "--segment", "NSE", "--json").json()
    assert "2026-08-26" not in {h["date"] for h in nse_only["holidays"]}


def test_holidays_of_an_uncovered_year_warn(cli: Any) -> None:
    result = cli("calendar", "holidays", "--year", "2030")
    assert result.code == 0 and "does not cover 2030" in result.err


def test_profile_market_hours_config_feeds_status_and_is_validated(cli: Any) -> None:
    assert cli("config", "set", "profiles.main.market_hours.policy", "allow").code == 0
    cfg = config_dir() / "config.toml"
    cfg.write_text(cfg.read_text() + 'amo_windows = { NSE = "none", MCX = "16:00-08:30" }\n')
    result = cli("--profile", "main", "calendar", "status", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["policy"] == "allow"
    assert doc["amo_windows"]["NSE"] == "none" and doc["amo_windows"]["MCX"] == "16:00-08:30"
    bad = cli("config", "set", "profiles.main.market_hours.policy", "maybe")
    assert bad.code == ExitStatus.CONFIG
    assert "profiles.main.market_hours.policy" in bad.err and "'refuse' or 'allow'" in bad.err
    cfg.write_text(cfg.read_text().replace('NSE = "none"', 'LSE = "none"'))
    broken = cli("--profile", "main", "calendar", "status")
    assert broken.code == ExitStatus.CONFIG
    assert "profiles.main.market_hours.amo_windows.LSE" in broken.err


def test_settings_carry_the_market_hours_table() -> None:
    from angelctl.config import load_config_file, resolve_profile

    path = config_dir() / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.main.market_hours]\npolicy = "refuse"\n')
    settings = resolve_profile(load_config_file(), "main")
    assert settings.market_hours == {"policy": "refuse"}


# --- E5: no network ---------------------------------------------------------------------------

NO_NETWORK_SCRIPT = r"""
import sys
events = []
def audit(event, args):
    if event.startswith("socket.") or event in ("http.client.connect", "urllib.Request"):
        events.append(event)
sys.addaudithook(audit)
from angelctl.cli.app import run
code = run(["calendar", "status", "--json"])
code2 = run(["calendar", "holidays", "--year", "2026", "--json"])
sys.stderr.write(f"NETWORK-EVENTS {events}\n")
import socket
socket.getaddrinfo("127.0.0.1", 9)  # the control: the hook does see a lookup
sys.stderr.write(f"CONTROL {events}\n")
sys.exit(code or code2)
"""


def test_e5_calendar_status_makes_no_network_call(isolated_dirs: Path) -> None:
    env = {
        **os.environ,
        "ANGELCTL_API_URL": "http://192.0.2.1:9",  # a black hole, were anything to call it
        "http_proxy": "http://192.0.2.1:9",
        "https_proxy": "http://192.0.2.1:9",
    }
    proc = subprocess.run(
        [sys.executable, "-c", NO_NETWORK_SCRIPT],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "NETWORK-EVENTS []" in proc.stderr
    assert "CONTROL ['socket.getaddrinfo']" in proc.stderr
    documents = [json.loads(line) for line in proc.stdout.splitlines()]
    assert documents[0]["segments"] and documents[1]["holidays"]


def test_the_root_app_does_not_load_the_calendar() -> None:
    code = (
        "import sys, angelctl.cli.app; "
        "print(sorted(m for m in sys.modules if m.startswith('angelctl.risk')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert "angelctl.risk.calendar" not in proc.stdout
