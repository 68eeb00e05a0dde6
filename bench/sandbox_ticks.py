"""Figure: how fast the sandbox's paper market answers a look at a ticker when the feed pulls
ticks (target: 10 000 looks a second cost well under a second of CPU, i.e. < 100 µs a look).

How it is measured: an in-process engine on a hand-driven clock with a 1 ms market step; 50 NSE
tickers; 10 000 looks, each after advancing the clock 1 ms, each building the five-level depth
(what a SNAP_QUOTE frame needs). Best of five rounds. A few seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from angelctl.sandbox import ManualClock, SandboxConfig, SandboxEngine

LOOKS = 10_000


def one_round() -> float:
    clock = ManualClock(datetime(2026, 12, 7, 4, 0, tzinfo=UTC))
    engine = SandboxEngine(SandboxConfig(market_step_seconds=0.001), clock)
    market = engine.state.paper.market
    keys = [i.key for i in engine.universe.find(exch_seg="NSE")][:50]
    for key in keys:
        market.ticker(*key)
    started = time.perf_counter()
    for n in range(LOOKS):
        clock.advance(0.001)
        ticker = market.ticker(*keys[n % len(keys)])
        assert ticker is not None
        ticker.depth()
    return time.perf_counter() - started


def main() -> int:
    best = min(one_round() for _ in range(5))
    per_look = best / LOOKS * 1e6
    print(
        f"sandbox ticker looks: {LOOKS:,} looks (1 ms steps, depth built) in {best * 1000:.0f} ms"
        f" best of 5 = {per_look:.1f} µs a look (target < 100 µs)"
    )
    return 0 if per_look < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
