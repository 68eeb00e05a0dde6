"""The `calendar` commands: status and holidays in text and JSON, `calendar update` from NSE's
real holiday master into the user's holiday file, the profile's market-hours config, and no
network call (docs/scenarios.md#e5--starting-with-no-network).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from angelctl.config import config_dir, holiday_file
from angelctl.exchange.calendar import MarketCalendar
from angelctl.exchange.holidays import parse_holiday_data
from angelctl.exchange.sessions import Phase
from angelctl.status import ExitStatus
from tests.calendar_data import MUHURAT, NSE_2025, NSE_2026, at_ist, write_user_file
from tests.conftest import REPO

MONDAY_2330 = "2026-03-09T18:00:00Z"  # 23:30 IST, the Monday after the US DST start
HOLIDAY, OPEN = Phase.HOLIDAY, Phase.OPEN


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


def test_cli_status_reports_the_user_file_and_the_special_session(cli: Any) -> None:
    path = write_user_file(MUHURAT)
    result = cli("calendar", "status", "--segment", "nse", "--at", "2025-10-21T08:20Z", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["data_file"] == str(path) and doc["data_origin"] == "user"
    (nse,) = doc["segments"]
    assert nse["phase"] == "OPEN" and nse["note"] == "special session: Muhurat trading"
    assert nse["next_close"] == "2025-10-21T14:45:00+05:30"


def test_update_imports_the_real_nse_master_into_the_user_file(cli: Any) -> None:
    target = holiday_file()
    result = cli("calendar", "update", str(NSE_2026), "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["path"] == str(target) and doc["imported_years"] == [2026]
    assert doc["holidays"] == {"CM": 20, "FO": 20, "CD": 24, "COM": 21}
    data = parse_holiday_data(target.read_bytes(), str(target))
    assert data.years == {2025, 2026}  # started from the shipped data, 2025 kept
    assert data.source[-1]["file"] == str(NSE_2026) and len(data.source[-1]["sha256"]) == 64
    assert [p.name for p in target.parent.iterdir()] == ["holidays.json"]  # no temp file left
    calendar = MarketCalendar.load(holiday_file())
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
    calendar = MarketCalendar.load(holiday_file())
    assert len([h for h in calendar.data.holidays["CM"] if h.day.year == 2025]) == 18
    assert calendar.data.special_sessions and calendar.data.years == {2025}
    assert calendar.phase("NSE", at_ist("2025-10-21 14:00")) is OPEN  # the Muhurat session kept


def test_update_replaces_a_broken_user_file_with_a_warning(cli: Any) -> None:
    write_user_file("{broken")
    result = cli("calendar", "update", str(NSE_2026))
    assert result.code == 0, result.both
    assert "warning:" in result.err and "not valid JSON" in result.err
    assert MarketCalendar.load(holiday_file()).data.years == {2025, 2026}


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
    assert not holiday_file().exists()


def test_update_of_a_missing_file_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("calendar", "update", str(tmp_path / "nope.json"))
    assert result.code == ExitStatus.USAGE and "cannot read" in result.err


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
    assert "NSE OPEN" in text and "BFO OPEN" in text and "│" not in result.out  # piped: plain
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
        "print(sorted(m for m in sys.modules if m.startswith('angelctl.exchange')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
