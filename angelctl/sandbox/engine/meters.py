"""Throughput meters: admitted calls, refusals and the busiest second of one bucket.

Used by the gateway (per API bucket, ``rest``) and by the paper OMS (orders per second per
segment), so it lives in the engine, which imports no transport.

Invariant: a ``BucketMeter`` watches admitted calls only; its peaks are what a pacing client is
judged by. The calendar second comes from the wall clock, the rolling second from the monotonic
clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class BucketMeter:
    """Admitted calls, rate-limit refusals and peak throughput of one bucket."""

    admitted: int = 0
    rate_limited: int = 0
    peak_per_second: int = 0
    peak_rolling_second: int = 0
    _second: int | None = None
    _in_second: int = 0
    _recent: deque[float] = field(default_factory=deque)

    def record_admitted(self, wall_epoch: float, monotonic: float) -> None:
        self.admitted += 1
        second = math.floor(wall_epoch)
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        self.peak_per_second = max(self.peak_per_second, self._in_second)
        self._recent.append(monotonic)
        while self._recent and monotonic - self._recent[0] >= 1.0:
            self._recent.popleft()
        self.peak_rolling_second = max(self.peak_rolling_second, len(self._recent))

    def as_dict(self) -> dict[str, int]:
        return {
            "admitted": self.admitted,
            "rate_limited": self.rate_limited,
            "peak_per_second": self.peak_per_second,
            "peak_rolling_second": self.peak_rolling_second,
        }
