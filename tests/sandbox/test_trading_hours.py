"""The sandbox's normal-market hours (``enforce_market_hours``) are the exchange calendar's:
the open and close of each segment, MCX's close moving with US daylight saving, weekends and
holidays closed, and only the segments of the sandbox's universe."""

from __future__ import annotations

from datetime import datetime

import pytest

from angelctl.exchange.sessions import HOURS
from angelctl.sandbox.clock import IST
from angelctl.sandbox.trading_hours import SEGMENTS, session_open


def ist(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=IST)


@pytest.mark.parametrize(
    ("segment", "at", "expected"),
    [
        ("NSE", "2026-11-25 09:14:59", False),  # pre-open is not the normal market
        ("NSE", "2026-11-25 09:15:00", True),
        ("BSE", "2026-11-25 15:29:59", True),
        ("NFO", "2026-11-25 15:30:00", False),
        ("CDS", "2026-11-25 16:59:59", True),
        ("CDS", "2026-11-25 17:00:00", False),
        ("MCX", "2026-03-06 23:54:59", True),  # the US still on winter time: close 23:55
        ("MCX", "2026-03-09 23:29:59", True),  # the US on summer time from Sun 08-Mar
        ("MCX", "2026-03-09 23:30:00", False),
        ("MCX", "2026-11-02 23:54:59", True),  # back to winter time from Sun 01-Nov
        ("NSE", "2026-11-28 11:00:00", False),  # a Saturday
        ("NSE", "2026-11-24 11:00:00", False),  # Guru Nanak Jayanti, an NSE holiday
        ("NCDEX", "2026-11-25 11:00:00", False),  # not in the sandbox's universe
    ],
)
def test_session_open_follows_the_exchange_hours(segment: str, at: str, expected: bool) -> None:
    assert session_open(segment, ist(at)) is expected
    # the same instant written in another zone gives the same answer
    assert session_open(segment, ist(at).astimezone(datetime.now().astimezone().tzinfo)) is expected


def test_every_sandbox_segment_has_exchange_hours() -> None:
    assert set(SEGMENTS) <= set(HOURS)
