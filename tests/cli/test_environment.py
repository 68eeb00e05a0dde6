"""The injected environment (``cli.environment``): a run takes its time only from its clock.

A second client's clock (the CLI's, injected) is stepped hours forward and back while the
broker (the sandbox) keeps real time; every command still works, the shared rate-limit store
included, and nothing waits for a slot reserved "hours ahead". The sandbox's books judge the
orders; the stepped clock records every wait the CLI made.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from angelctl.clock import IST
from tests.conftest import ShiftedClock, run_cli, sandbox_admin

HOUR = 3600.0
MARGIN = 600.0  # keep ten minutes from an IST midnight: a session ends there


def same_ist_day_steps(hours: float) -> tuple[float, float]:
    """Steps forward and back of up to ``hours`` that keep the clock in today's IST day (a
    clock past midnight IST would rightly need a fresh login with a TOTP code hours off)."""
    now = datetime.now(UTC).astimezone(IST)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ahead = (midnight + timedelta(days=1) - now).total_seconds() - MARGIN
    behind = (now - midnight).total_seconds() - MARGIN
    return max(0.0, min(hours * HOUR, ahead)), -max(0.0, min(hours * HOUR, behind))


class SteppedClock(ShiftedClock):
    """Our clock, hours off the broker's (wall and monotonic alike, as after a resumed VM or
    under libfaketime); its waits pass in real time, as the broker's limits need, and are
    recorded."""

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(max(seconds, 0.0))


def stepped(offset: float) -> SteppedClock:
    clock = SteppedClock()
    clock.advance(offset)
    return clock


def test_the_environment_is_the_runs_and_only_for_the_run() -> None:
    from angelctl.cli.environment import Environment, environment, running_in

    clock = stepped(5 * HOUR)
    env = Environment.of_process(clock)
    with running_in(env):
        assert environment().clock is clock
    assert environment().clock is not clock
    assert abs((environment().clock.now() - datetime.now(UTC)).total_seconds()) < 60


def test_a_journal_stamps_from_the_runs_clock(sandbox: Any, sandbox_login: Any) -> None:
    """The journal's times are the injected clock's, not the process's."""
    from angelctl.config import state_dir
    from angelctl.orders.journal import Journal

    ahead, behind = same_ist_day_steps(2)  # two hours, the way that keeps today's IST day
    step = ahead if ahead >= 2 * HOUR - MARGIN else behind
    assert abs(step) >= HOUR
    clock = stepped(step)
    sandbox_admin(sandbox, "POST", "market/freeze", {"frozen": True})
    sandbox_admin(
        sandbox, "POST", "market/price", {"exch_seg": "NSE", "token": "3045", "ltp": "800"}
    )
    placed = run_cli(
        "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes",
        "--intent-id", "stamped", "--json", clock=clock,
    )  # fmt: skip
    assert placed.code == 0, placed.both
    journal = Journal(state_dir() / "journal.sqlite3")
    intent = journal.get("stamped")
    journal.close()
    assert intent is not None
    created = datetime.fromisoformat(intent.created_at)
    assert abs((created - clock.now()).total_seconds()) < 60  # hours from the process's


@pytest.mark.parametrize("order", ["ahead_then_behind", "behind_then_ahead"])
def test_every_command_works_while_our_clock_steps_hours_both_ways(
    sandbox: Any, sandbox_login: Any, order: str
) -> None:
    ahead, behind = same_ist_day_steps(3)
    if min(ahead, -behind) < HOUR:
        pytest.skip("within an hour of IST midnight: no step of an hour keeps the IST day")
    offsets = [ahead, behind, 0.0] if order == "ahead_then_behind" else [behind, ahead, 0.0]
    sandbox_admin(sandbox, "POST", "market/freeze", {"frozen": True})
    sandbox_admin(
        sandbox, "POST", "market/price", {"exch_seg": "NSE", "token": "3045", "ltp": "800"}
    )
    for step, offset in enumerate(offsets):
        clock = stepped(offset)

        def cli(*args: str, clock: SteppedClock = clock) -> Any:
            result = run_cli(*args, clock=clock)
            assert result.code == 0, (args, result.both)
            return result

        cli("whoami", "--json")
        cli("funds", "--json")
        assert cli("quote", "SBIN", "--json").json()["quotes"][0]["ltp"]
        intent = f"step-{step}"
        cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes",
            "--intent-id", intent, "--json")  # fmt: skip
        orders = cli("order", "list", "--json").json()["orders"]
        cli("reconcile", "--json")
        cli("journal", "--json")
        cli("positions", "--json")
        cli("killswitch", "status", "--json")
        assert sum(clock.slept) < 10, (offset, clock.slept)  # no wait of hours, ever
        tags = [o["tag"] for o in orders]
        assert len(tags) == len(set(tags)) == step + 1  # one order per intent, none twice
    from angelctl.config import state_dir
    from angelctl.orders.journal import Journal

    journal = Journal(state_dir() / "journal.sqlite3")
    for step, offset in enumerate(offsets):  # each run really ran on its stepped clock
        intent = journal.get(f"step-{step}")
        assert intent is not None and intent.state == "accepted"
        skew = datetime.fromisoformat(intent.created_at) - datetime.now(UTC)
        assert abs(skew.total_seconds() - offset) < 120, (offset, intent.created_at)
    journal.close()
    book = sandbox_admin(sandbox, "GET", "requests")
    entries = book["requests"] if isinstance(book, dict) else book
    placed = [e for e in entries if (e.get("route") or e.get("route_name")) == "placeOrder"]
    assert len(placed) == len(offsets)  # the broker saw each intent exactly once
