"""E4: wall-clock steps do not change rate limiting, timeouts or backoff (monotonic time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from angelctl.broker.api import SmartApi, build_session
from angelctl.broker.ratelimit import RateLimiter
from tests.broker.test_login_session import settings_for
from tests.conftest import ShiftedClock, arm, routes_seen


class JumpingClock(ShiftedClock):
    """Monotonic time as ShiftedClock; wall time additionally stepped by ``wall_jump``."""

    def __init__(self, base: ShiftedClock) -> None:
        super().__init__()
        self.base = base
        self.wall_jump = timedelta(0)

    def now(self) -> datetime:
        return self.base.now() + self.wall_jump

    def monotonic(self) -> float:
        return self.base.monotonic()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.base.sleep(seconds)


def test_rate_limiter_ignores_wall_clock_steps(tmp_path: Path) -> None:
    base = ShiftedClock()
    clock = JumpingClock(base)
    limiter = RateLimiter(tmp_path / "rl.sqlite3", {"getRMS": ((2, 1.0),)}, clock)
    slots = []
    for jump in (0, -3600, 3600, -3600):
        clock.wall_jump = timedelta(seconds=jump)
        slots.append(limiter.reserve("C", ("getRMS",)))
    assert slots[2] - slots[0] >= 1.0 and slots[3] - slots[1] >= 1.0


def test_calls_and_backoff_survive_wall_clock_steps(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    clock = JumpingClock(sandbox_clock)
    api = SmartApi(build_session(settings_for(sandbox), clock=clock))
    api.session.login()
    clock.wall_jump = timedelta(hours=-1)
    arm(sandbox, name="rate_limit", route="getRMS", count=1)
    assert api.funds().available_cash > 0  # retried after a monotonic backoff
    clock.wall_jump = timedelta(hours=1)
    arm(sandbox, name="http_5xx", route="getProfile", count=1)
    assert api.profile().client_code
    assert all(0 < s <= 4.0 for s in clock.slept)  # bounded, never an hour
    assert routes_seen(sandbox).count("getRMS") == 2
    assert clock.now() - datetime.now(UTC) > timedelta(minutes=59)  # the jump was real
