"""Timed state on disk survives clock steps of hours in both directions (unit form).

Each ledger's rule is in its module docstring: a stored time no clock consistent with ours could
have written is never waited for, and a stored time from the past never lets a limit be
exceeded by more than one window. ``test_clock_steps_process.py`` is the same with real
processes under libfaketime.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from angelctl.broker.ratelimit import SAFETY, RateLimiter
from angelctl.secrets import Secret
from angelctl.tokens import TOTP_KEEP, TOTP_STEP_SECONDS, TotpLedger
from tests.conftest import ShiftedClock
from tests.test_secrets import _tokens

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


# ------------------------------------------------------------------------------- TOTP ledger


SEED = Secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


def step_clock(into_step: float = 1.0) -> ShiftedClock:
    """A clock ``into_step`` seconds into a 30 s step (so waits are predictable)."""
    clock = ShiftedClock()
    clock.advance(TOTP_STEP_SECONDS - clock.now().timestamp() % TOTP_STEP_SECONDS + into_step)
    return clock


def current_step(clock: ShiftedClock) -> int:
    return int(clock.now().timestamp() // TOTP_STEP_SECONDS)


def code_at(step: int) -> str:
    return str(pyotp.TOTP(SEED.reveal()).at(step * TOTP_STEP_SECONDS))


def write_steps(folder: Path, *steps: int) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / "p.totp-step").write_text(",".join(map(str, steps)))


def test_a_totp_step_used_by_a_clock_hours_ahead_is_ignored(tmp_path: Path) -> None:
    clock = step_clock()
    now = current_step(clock)
    write_steps(tmp_path, now + 480)  # a login under a clock 4 h ahead
    ledger = TotpLedger(tmp_path, clock)
    code, waited = ledger.next_code("p", SEED)
    assert (code, waited) == (code_at(now), 0.0)
    assert ledger.ignored == 1 and clock.slept == []


def test_ignoring_a_future_step_still_never_reuses_the_current_one(tmp_path: Path) -> None:
    """Used now, then by a process 4 h ahead, then now again: the third waits for a new step."""
    clock = step_clock()
    now = current_step(clock)
    write_steps(tmp_path, now, now + 480)
    code, waited = TotpLedger(tmp_path, clock).next_code("p", SEED)
    assert code == code_at(now + 1) and 28 < waited <= 29
    kept = (tmp_path / "p.totp-step").read_text().split(",")
    assert kept == [str(now), str(now + 480), str(now + 1)]  # the future step is kept, aged out


def test_a_totp_step_from_a_clock_hours_behind_does_not_hold_anything_up(tmp_path: Path) -> None:
    clock = step_clock()
    now = current_step(clock)
    write_steps(tmp_path, now - 480)
    assert TotpLedger(tmp_path, clock).next_code("p", SEED) == (code_at(now), 0.0)


def test_a_step_one_ahead_is_believed_and_waited_past(tmp_path: Path) -> None:
    """Small skew: a step at most one ahead may really have been used, so it is skipped too."""
    clock = step_clock()
    now = current_step(clock)
    write_steps(tmp_path, now, now + 1)
    code, waited = TotpLedger(tmp_path, clock).next_code("p", SEED)
    assert code == code_at(now + 2) and 58 < waited <= 59


def test_the_step_file_of_earlier_versions_is_read_and_the_list_stays_short(
    tmp_path: Path,
) -> None:
    clock = step_clock()
    now = current_step(clock)
    (tmp_path / "p.totp-step").write_text(str(now))  # the old format: one step
    ledger = TotpLedger(tmp_path, clock)
    for _ in range(TOTP_KEEP + 2):
        ledger.next_code("p", SEED)
    kept = [int(s) for s in (tmp_path / "p.totp-step").read_text().split(",")]
    assert kept == list(range(now + 3, now + TOTP_KEEP + 3))


# ----------------------------------------------------------------------------- session cache


def test_a_session_cached_by_a_clock_ahead_is_used_by_a_clock_behind() -> None:
    """Our clock 4 h behind the one that cached it, across midnight IST: the broker decides."""
    issued = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # 01:30 IST on the 26th
    tokens = _tokens(issued, datetime(2026, 11, 26, 18, 30, tzinfo=UTC))
    assert tokens.valid_at(issued - timedelta(hours=4))  # 21:30 IST on the 25th
    assert tokens.valid_at(issued + timedelta(hours=1))
    assert not tokens.valid_at(datetime(2026, 11, 26, 18, 31, tzinfo=UTC))  # past its day


def test_a_session_from_an_earlier_ist_day_is_still_refused() -> None:
    issued = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:30 IST on the 25th
    tokens = _tokens(issued, issued + timedelta(days=3))  # a lying expiry
    assert not tokens.valid_at(issued + timedelta(hours=4 + 24))


# --------------------------------------------------------------------------- instrument index


def test_an_index_downloaded_by_a_clock_ahead_is_stale() -> None:
    """Synced at 05:00 IST under a clock 4 h ahead (09:00, past the 08:00 refresh): that master
    predates the day's, so at 06:00 IST it must not count as today's."""
    from types import SimpleNamespace

    from angelctl.instruments.store import is_stale

    def index(downloaded: datetime) -> Any:
        return SimpleNamespace(meta={"downloaded_at": downloaded.isoformat()})

    synced_at = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 09:00 IST by the clock ahead
    now = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 06:00 IST
    assert is_stale(index(synced_at), now)
    assert not is_stale(index(synced_at), synced_at + timedelta(hours=1))  # at 10:00 IST
    assert not is_stale(index(synced_at + timedelta(minutes=1)), synced_at)  # a little skew
