"""Orders per second per exchange segment: the exchange-side ceiling and its figures.

Every order message (place, modify, cancel) is counted against its segment per client within a
sliding second; over ``segment_ops_limit`` it is refused. ``attempts`` counts every message,
``meters`` only the admitted ones, so ``flow`` shows calls, admissions, refusals and the busiest
second of each.

Invariant: a refused message is counted in ``attempts`` and as ``rate_limited``, never as
admitted; the window is measured on the monotonic clock.
"""

from __future__ import annotations

from collections import deque

from angelctl.sandbox.clock import SandboxClock
from angelctl.sandbox.engine.meters import BucketMeter


class SegmentMeters:
    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock
        self.meters: dict[str, BucketMeter] = {}
        self.attempts: dict[str, BucketMeter] = {}  # before the ceiling is applied
        self._windows: dict[tuple[str, str], deque[float]] = {}

    def admit(self, client_code: str, exch_seg: str, limit: int | None) -> bool:
        """Count one order message against the segment's orders/second; False if over."""
        meter = self.meters.setdefault(exch_seg, BucketMeter())
        window = self._windows.setdefault((client_code, exch_seg), deque())
        now = self._clock.monotonic()
        attempts = self.attempts.setdefault(exch_seg, BucketMeter())
        attempts.record_admitted(self._clock.now().timestamp(), now)
        while window and now - window[0] >= 1.0:
            window.popleft()
        if limit is not None and len(window) >= limit:
            meter.rate_limited += 1
            return False
        window.append(now)
        meter.record_admitted(self._clock.now().timestamp(), now)
        return True

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {seg: meter.as_dict() for seg, meter in sorted(self.meters.items())}

    def flow(self) -> dict[str, dict[str, int]]:
        """Per segment: order messages received, admitted, refused, and the busiest second."""
        out: dict[str, dict[str, int]] = {}
        for seg, attempts in sorted(self.attempts.items()):
            admitted = self.meters.get(seg, BucketMeter())
            out[seg] = {
                "calls": attempts.admitted,
                "admitted": admitted.admitted,
                "rate_limited": admitted.rate_limited,
                "peak_per_second": attempts.peak_per_second,
                "peak_admitted_per_second": admitted.peak_per_second,
            }
        return out
