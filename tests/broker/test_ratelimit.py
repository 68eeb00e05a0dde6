"""The cross-process rate limiter: reservations from concurrent processes never exceed a window."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from angelctl.broker.ratelimit import SAFETY, RateLimiter
from tests.conftest import REPO, ShiftedClock

WORKER = """
import json, sys
from pathlib import Path
from angelctl.broker.ratelimit import RateLimiter
from angelctl.clock import SystemClock
limiter = RateLimiter(Path(sys.argv[1]), {"placeOrder": ((5, 1.0), (12, 60.0)),
                                          "orders": ((7, 1.0),)}, SystemClock())
n = int(sys.argv[2])
print(json.dumps([limiter.reserve("C1", ("placeOrder", "orders")) for _ in range(n)]))
"""


def max_in_window(slots: list[float], width: float) -> int:
    slots = sorted(slots)
    best = 0
    for i, start in enumerate(slots):
        best = max(best, sum(1 for t in slots[i:] if t < start + width))
    return best


def test_concurrent_processes_share_one_budget(tmp_path: Path) -> None:
    ledger = tmp_path / "state" / "ratelimit.sqlite3"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(ledger), "6"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    slots = [t for p in procs for t in json.loads(p.communicate(timeout=60)[0])]
    assert len(slots) == 24
    assert max_in_window(slots, 1.0 + SAFETY) <= 5
    # 12 per minute: the 13th..24th reservations must lie a minute after the first ones
    assert max_in_window(slots, 60.0) <= 12
    assert ledger.stat().st_mode & 0o777 == 0o600


def test_wall_clock_jumps_do_not_matter(tmp_path: Path) -> None:
    clock = ShiftedClock()
    limiter = RateLimiter(tmp_path / "rl.sqlite3", {"getRMS": ((2, 1.0),)}, clock)
    first = [limiter.reserve("C", ("getRMS",)) for _ in range(2)]
    third = limiter.reserve("C", ("getRMS",))
    assert third >= first[0] + 1.0
    waited = limiter.acquire("C", ("getRMS",))  # sleeps on the injected monotonic clock
    assert waited > 0 and clock.slept


def test_buckets_are_per_client_code(tmp_path: Path) -> None:
    clock = ShiftedClock()
    limiter = RateLimiter(tmp_path / "rl.sqlite3", {"getRMS": ((1, 1.0),)}, clock)
    a = limiter.reserve("A", ("getRMS",))
    b = limiter.reserve("B", ("getRMS",))
    assert abs(a - b) < 0.5


def test_closing_while_other_threads_reserve_never_breaks_the_ledger(tmp_path: Path) -> None:
    """The confirmation's reads run in threads and may be abandoned while the command closes
    its session: every reservation either completes or is refused as ConnectFailed (nothing
    sent); none runs on a closed SQLite connection (that crashed the interpreter)."""
    import threading

    from angelctl.errors import ConnectFailed

    limiter = RateLimiter(tmp_path / "rl.sqlite3", {"b": [(10_000, 1.0)]}, ShiftedClock())
    outcomes: list[str] = []
    started = threading.Barrier(5)

    def reserve_many() -> None:
        started.wait()
        for _ in range(300):
            try:
                limiter.reserve("k", ["b"])
                outcomes.append("ok")
            except ConnectFailed:
                outcomes.append("refused")

    threads = [threading.Thread(target=reserve_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    while "ok" not in outcomes:  # some reservations are in flight before the close
        threading.Event().wait(0.001)
    limiter.close()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 1200
    assert "ok" in outcomes and "refused" in outcomes
    assert outcomes.index("refused") > outcomes.index("ok")
