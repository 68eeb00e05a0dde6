"""The drill's simulated clock: one instance shared by the private sandbox and the kill.

It satisfies both the client's ``angelctl.clock.Clock`` (``now``, ``monotonic``, ``sleep``) and
the sandbox's clock (``now``, ``monotonic``, ``advance``), so a poll, a rate-limit wait or a
re-price delay of the kill, and each request's modelled latency in the sandbox, all move the same
time forward instead of passing. Nothing ever waits in real time.

Invariants: time only moves forward, by ``advance``/``sleep``; both readings move together;
thread-safe (the sandbox's event loop and the kill's thread both call in).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

MONOTONIC_ORIGIN = 1000.0


class SimClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs a timezone-aware start time")
        self._lock = threading.Lock()
        self._now = start.astimezone(UTC)
        self._monotonic = MONOTONIC_ORIGIN

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("simulated time does not go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
