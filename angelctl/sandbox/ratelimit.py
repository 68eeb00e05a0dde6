"""Sliding-window rate limiting per caller per bucket, and per-bucket throughput meters.

The limiter answers "may this caller make one more call against these buckets now?". A call is
admitted only if *every* bucket has room in *every* window; an admitted call is recorded in all
of them, a refused one in none (so a client hammering a full window does not extend it).

Invariants:
- Windows are sliding, measured on the monotonic clock: a call at ``t`` counts in a window of
  ``w`` seconds while ``now - t < w``.
- The caller key is the client code when one can be resolved, else the API key, else the remote
  address — limits are per client code on the live API (docs/protocol.md#rate-limits).
- ``BucketMeter`` watches admitted calls only; its peaks are what a pacing client is judged by.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from angelctl.sandbox.config import RateLimitTable


class SlidingWindowLimiter:
    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], deque[float]] = {}

    def clear(self) -> None:
        self._calls.clear()

    def check_and_record(
        self, key: str, buckets: Iterable[str], table: RateLimitTable, now: float
    ) -> str | None:
        """Record one call for ``key``; returns the first full bucket (call refused) or None."""
        buckets = list(buckets)
        for bucket in buckets:
            limits = table.get(bucket)
            calls = self._calls.get((key, bucket))
            if not limits or calls is None:
                continue
            longest = max(window for _, window in limits)
            while calls and now - calls[0] >= longest:
                calls.popleft()
            for count, window in limits:
                if _calls_within(calls, now, window) >= count:
                    return bucket
        for bucket in buckets:
            if table.get(bucket):
                self._calls.setdefault((key, bucket), deque()).append(now)
        return None


def _calls_within(calls: deque[float], now: float, window: float) -> int:
    inside = 0
    for moment in reversed(calls):
        if now - moment >= window:
            break
        inside += 1
    return inside


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
