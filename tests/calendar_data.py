"""Shared test data for the exchange calendar: IST instants, the real NSE holiday masters, a
user holiday file with a Muhurat session, and a clock stopped at one instant."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from angelctl.config import holiday_file
from angelctl.exchange.holidays import DATA_FORMAT
from angelctl.exchange.zones import ist
from tests.conftest import REALDATA

NSE_2025 = REALDATA / "calendar" / "nse_holiday_master_trading_2025_misterdas.json"
NSE_2026 = REALDATA / "calendar" / "nse_holiday_master_trading_2026_uhsa96446.json"


class FrozenClock:
    """A ``Clock`` stopped at one instant (the wall time the market-hours check reads)."""

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
    """Write the user's holiday file (``config.holiday_file()``) under the isolated dirs."""
    path = holiday_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path
