"""Timed state on disk survives clock steps of hours in both directions (unit form).

Each ledger's rule is in its module docstring: a stored time no clock consistent with ours could
have written is never waited for, and a stored time from the past never lets a limit be
exceeded by more than one window. ``test_clock_steps_process.py`` is the same with real
processes under libfaketime.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from angelctl.broker.ratelimit import SAFETY, RateLimiter
from tests.conftest import ShiftedClock

FOUR_HOURS = 4 * 3600.0
LIMITS = {"getRMS": ((2, 1.0),), "placeOrder": ((9, 1.0), (500, 60.0), (1000, 3600.0))}


def shifted(offset: float) -> ShiftedClock:
    clock = ShiftedClock()
    clock.advance(offset)
    return clock


# ------------------------------------------------------------------------- rate-limit ledger


def test_slots_reserved_by_a_clock_hours_ahead_are_discarded_not_waited_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rl.sqlite3"
    ahead = RateLimiter(path, LIMITS, shifted(14213.0))  # the tester's NTP-corrected run
    for _ in range(3):
        ahead.reserve("C", ("getRMS",))
        ahead.reserve("C", ("placeOrder",))
    ahead.close()
    clock = ShiftedClock()
    limiter = RateLimiter(path, LIMITS, clock)
    with caplog.at_level(logging.DEBUG, logger="angelctl.ratelimit"):
        assert limiter.acquire("C", ("getRMS",)) == 0
        assert limiter.acquire("C", ("placeOrder",)) == 0
    assert clock.slept == []
    assert limiter.discarded == 6  # all of them, in every bucket, on the first look
    assert "discarded 6 reservation(s)" in caplog.text and "a clock step" in caplog.text


def test_a_clock_stepped_back_discards_what_it_reserved_before_the_step(tmp_path: Path) -> None:
    """One process, its monotonic clock stepped back by hours between two calls."""
    clock = shifted(FOUR_HOURS)
    limiter = RateLimiter(tmp_path / "rl.sqlite3", LIMITS, clock)
    for _ in range(5):
        limiter.acquire("C", ("getRMS",))
    clock.advance(-FOUR_HOURS)
    assert limiter.acquire("C", ("getRMS",)) == 0
    assert limiter.discarded == 5


def test_slots_from_a_clock_hours_behind_cost_at_most_one_window(tmp_path: Path) -> None:
    path = tmp_path / "rl.sqlite3"
    behind = RateLimiter(path, LIMITS, shifted(-FOUR_HOURS))
    for _ in range(4):
        behind.reserve("C", ("getRMS",))
    now = ShiftedClock()
    limiter = RateLimiter(path, LIMITS, now)
    start = now.monotonic()
    slots = [limiter.reserve("C", ("getRMS",)) for _ in range(5)]
    # the stale rows are history: two calls go at once (the one window they may exceed) ...
    assert all(s - start < 0.5 for s in slots[:2])
    # ... and from then on the limit holds again: 2 per second
    assert slots[2] >= slots[0] + 1.0 + SAFETY and slots[4] >= slots[2] + 1.0 + SAFETY
    assert limiter.discarded == 0


def test_a_queue_of_waiting_processes_beyond_one_window_is_honoured(tmp_path: Path) -> None:
    """Why the rule looks at when a slot was reserved, not how far ahead it lies: six callers
    of a 2/s route reserved at once hold slots up to three windows ahead, all legitimate."""
    clock = ShiftedClock()
    path = tmp_path / "rl.sqlite3"
    callers = [RateLimiter(path, LIMITS, clock) for _ in range(6)]
    slots = [c.reserve("C", ("getRMS",)) for c in callers]
    assert slots[-1] - clock.monotonic() > 2.0  # further ahead than the 1 s window
    late = RateLimiter(path, LIMITS, clock).reserve("C", ("getRMS",))
    assert late >= slots[-2] + 1.0 + SAFETY  # it queues behind them instead of jumping in
    assert sum(c.discarded for c in callers) == 0
