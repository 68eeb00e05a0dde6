"""Sliding-window rate limiting per caller per bucket (the gateway's per-API limits).

The limiter answers "may this caller make one more call against these buckets now?". A call is
admitted only if *every* bucket has room in *every* window; an admitted call is recorded in all
of them, a refused one in none (so a client hammering a full window does not extend it).

Invariants:
- Windows are sliding, measured on the monotonic clock: a call at ``t`` counts in a window of
  ``w`` seconds while ``now - t < w``.
- The caller key is the client code when one can be resolved, else the API key, else the remote
  address — limits are per client code on the live API (docs/protocol.md#rate-limits).
- Throughput meters (``BucketMeter``) live in ``engine.meters``: the paper OMS uses them too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from angelctl.sandbox.config_defaults import RateLimitTable


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
