"""The holiday data file (``angelctl.exchange.holidays``): the shipped copy is NSE's real
holiday master, a user copy takes precedence and a bad one is a ConfigError naming it; NSE's
holiday-master import (``angelctl.exchange.nse_import``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from angelctl.config import holiday_file
from angelctl.errors import ConfigError, UsageError
from angelctl.exchange.calendar import MarketCalendar
from angelctl.exchange.holidays import DATA_FORMAT, parse_holiday_data, shipped_data
from angelctl.exchange.nse_import import parse_nse_holiday_master
from angelctl.status import ExitStatus
from tests.calendar_data import MUHURAT, NSE_2025, NSE_2026, write_user_file
from tests.conftest import REPO


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
    assert '"angelctl.exchange" = ["data/*.json"]' in pyproject


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
        MarketCalendar.load(holiday_file())
    assert str(path) in str(caught.value) and problem in str(caught.value)
    result = cli("calendar", "status", "--json")
    assert result.code == ExitStatus.CONFIG == 3
    assert str(path) in result.err and problem in result.err
    assert result.json()["error"]["code"] == "config"


def test_parse_errors_name_the_location() -> None:
    raw = json.dumps({"format": DATA_FORMAT, "years": "2025"}).encode()
    with pytest.raises(ConfigError, match=r"somewhere\.json: years"):
        parse_holiday_data(raw, "somewhere.json")


def test_nse_parse_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError, match=r"x\.json is not an NSE holiday-master file"):
        parse_nse_holiday_master(b"\xff", "x.json")
