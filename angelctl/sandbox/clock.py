"""The sandbox's clock: wall time for sessions and TOTP, monotonic time for rate limits.

The engine never calls ``time``/``datetime.now`` itself; it asks the clock it was built with,
so tests move time forward (a session past midnight IST, the next TOTP step) without sleeping.

Invariants:
- ``now()`` is timezone-aware (UTC); callers convert to IST where the broker's rules need it.
- ``monotonic()`` never goes backwards; rate-limit windows are measured on it only.
- ``ManualClock`` only moves when told to; both of its readings advance together.

The sandbox keeps its own clock rather than the client's ``angelctl.clock`` because it must not
import anything from the client.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

IST = timezone(timedelta(hours=5, minutes=30), "IST")


class SandboxClock(Protocol):
    def now(self) -> datetime:
        """The current wall time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    """Real time, optionally skewed by ``offset_seconds`` (to make a client see clock skew)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when a test calls ``advance`` or ``set``. Thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime(2026, 3, 10, 10, 0, 0, tzinfo=IST)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._lock = threading.Lock()
        self._now = start
        self._monotonic = 1000.0

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards; use set() for a wall-clock step")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def set(self, moment: datetime) -> None:
        """Step the wall clock to ``moment`` (either way); monotonic time is not touched."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        with self._lock:
            self._now = moment


def end_of_ist_day(moment: datetime) -> datetime:
    """23:59:59 IST on the IST calendar day of ``moment``: when a 'midnight' session ends."""
    local = moment.astimezone(IST)
    return datetime(local.year, local.month, local.day, 23, 59, 59, tzinfo=IST)
