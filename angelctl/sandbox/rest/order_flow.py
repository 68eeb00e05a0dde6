"""What the order-entry routes saw, for benchmarks: calls per route, rate-limit refusals, and
the busiest calendar second (engine clock), per route, per group and per exchange segment.

Groups: ``orders`` (placeOrder, modifyOrder, cancelOrder — the routes SEBI's per-segment ceiling
and the cumulative 9/s budget are about) and ``gtt`` (createRule, modifyRule, cancelRule).
Every request to these routes is counted when its answer is made, whatever the answer (a
request refused by a 5xx fault or the gateway counts too: the client did send it). Per-segment
figures come from the paper broker's segment meters (``PaperBroker.segment_flow``): they only
see requests that got as far as naming an order's segment.

Invariants: counters only grow until ``reset``; ``rate_limited`` counts answers whose code is a
rate-limit refusal in any of its reply forms (403 text, 429, AB1021).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from angelctl.sandbox.engine.meters import BucketMeter

GROUPS = {
    "placeOrder": "orders",
    "modifyOrder": "orders",
    "cancelOrder": "orders",
    "createRule": "gtt",
    "modifyRule": "gtt",
    "cancelRule": "gtt",
}
RATE_LIMIT_CODES = frozenset({"rate_limited", "AB1021"})


@dataclass
class _Counter:
    meter: BucketMeter = field(default_factory=BucketMeter)
    rate_limited: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "calls": self.meter.admitted,
            "rate_limited": self.rate_limited,
            "peak_per_second": self.meter.peak_per_second,
        }


class OrderFlow:
    def __init__(self) -> None:
        self._routes: dict[str, _Counter] = {}
        self._groups: dict[str, _Counter] = {}

    def clear(self) -> None:
        self._routes.clear()
        self._groups.clear()

    def record(self, route: str | None, code: str, wall_epoch: float, monotonic: float) -> None:
        group = GROUPS.get(route or "")
        if group is None or route is None:
            return
        for counter in (
            self._routes.setdefault(route, _Counter()),
            self._groups.setdefault(group, _Counter()),
        ):
            counter.meter.record_admitted(wall_epoch, monotonic)
            if code in RATE_LIMIT_CODES:
                counter.rate_limited += 1

    def as_dict(self, segments: dict[str, dict[str, int]]) -> dict[str, Any]:
        return {
            "routes": {name: c.as_dict() for name, c in sorted(self._routes.items())},
            "groups": {name: c.as_dict() for name, c in sorted(self._groups.items())},
            "segments": segments,
        }
