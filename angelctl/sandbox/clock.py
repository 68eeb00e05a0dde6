"""The sandbox's clock: wall time for sessions and TOTP, monotonic time for rate limits.

The engine never calls ``time``/``datetime.now`` itself; it asks the clock it was built with,
so tests move time forward (a session past midnight IST, the next TOTP step) without sleeping.

Invariants:
- ``now()`` is timezone-aware (UTC); callers convert to IST where the broker's rules need it.
- ``monotonic()`` never goes backwards; rate-limit windows are measured on it only.
- ``ManualClock`` only moves when told to; both of its readings advance together.

``ManualClock`` is ``angelctl.clock``'s (a neutral module both sides use); the sandbox keeps
its own ``SystemClock``, skewable to show a client clock skew.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

from angelctl.clock import ManualClock

__all__ = ["IST", "ManualClock", "SandboxClock", "SystemClock", "end_of_ist_day"]

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


def end_of_ist_day(moment: datetime) -> datetime:
    """23:59:59 IST on the IST calendar day of ``moment``: when a 'midnight' session ends."""
    local = moment.astimezone(IST)
    return datetime(local.year, local.month, local.day, 23, 59, 59, tzinfo=IST)
