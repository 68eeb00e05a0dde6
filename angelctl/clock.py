"""The one clock: monotonic time for timeouts, backoff and rate limits; wall time for sessions.

Everything that waits or measures elapsed time goes through a ``Clock`` so that tests control
time without sleeping and a wall-clock step (NTP, DST, an operator's ``date -s``) never changes
a timeout, a backoff or a rate-limit decision. Wall time is only used where the broker's rules
are about the calendar (sessions end at midnight IST, TOTP steps are wall-clock based).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

IST = timezone(timedelta(hours=5, minutes=30), "IST")


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a system-wide monotonic clock (comparable across processes)."""
        ...

    def now(self) -> datetime:
        """The current wall time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def next_midnight_ist(moment: datetime) -> datetime:
    """The first instant of the IST day after ``moment``: Angel's session end."""
    local = moment.astimezone(IST)
    midnight = datetime(local.year, local.month, local.day, tzinfo=IST) + timedelta(days=1)
    return midnight.astimezone(UTC)
