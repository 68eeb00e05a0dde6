"""Real processes under libfaketime: after one command ran with the clock hours off, every later
command still finishes promptly with its normal exit code (the outside tester's report: the
shared rate-limit store held slots 14,213 s in the future and every later command hung).

libfaketime shifts wall time by FAKETIME and, unless ``FAKETIME_DONT_FAKE_MONOTONIC=1``, also
CLOCK_MONOTONIC (for a relative offset its monotonic clock reads the faked wall time, decades
ahead of the real one), so the faked run leaves impossible times in every ledger it touches.

CI sets ANGELCTL_REQUIRE_FAKETIME_TEST=1 so that a missing libfaketime fails the run instead of
skipping this test.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from angelctl.clock import IST
from angelctl.status import ExitStatus
from tests.conftest import Result, admin, run_cli_process
from tests.orders.test_orders import SBIN, set_price

LIBFAKETIME = next(
    iter(
        sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
        + sorted(glob.glob("/usr/local/lib/faketime/libfaketime.so.1"))
    ),
    None,
)
if LIBFAKETIME is None and os.environ.get("ANGELCTL_REQUIRE_FAKETIME_TEST") == "1":
    raise RuntimeError("ANGELCTL_REQUIRE_FAKETIME_TEST=1 but libfaketime is not installed")

pytestmark = pytest.mark.skipif(
    LIBFAKETIME is None, reason="needs libfaketime (Debian package faketime)"
)

PROMPT = 12.0  # seconds: interpreter start, a login check and a few calls on a busy machine
HOURS = {"+4h": 4, "-4h": -4}


def faked(shift: str) -> dict[str, str]:
    assert LIBFAKETIME is not None
    return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": shift, "FAKETIME_DONT_FAKE_MONOTONIC": "0"}


def run_prompt(*args: str, env: dict[str, str] | None = None) -> Result:
    started = time.monotonic()
    try:
        result = run_cli_process(*args, env=env, timeout=PROMPT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`angelctl {' '.join(args)}` hung for {PROMPT} s (env {env})")
    assert time.monotonic() - started < PROMPT
    return result


def clock_seen_under(shift: str) -> tuple[float, float]:
    """(wall, monotonic) offsets of a faked process against ours: proof the step is real."""
    import sys

    probe = "import json, time; print(json.dumps([time.time(), time.monotonic()]))"
    before = (time.time(), time.monotonic())
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **faked(shift)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    wall, mono = json.loads(out)
    return wall - before[0], mono - before[1]


def session_usable_under(shift: str, issued: datetime) -> bool:
    """The cache rule (``SessionTokens.valid_at``): not past the IST day it was issued on."""
    moment = datetime.now(UTC) + timedelta(hours=HOURS[shift])
    return moment.astimezone(IST).date() <= issued.astimezone(IST).date()


def latest_reservation() -> float:
    from angelctl.config import state_dir

    with contextlib.closing(sqlite3.connect(state_dir() / "ratelimit.sqlite3")) as db:
        (made,) = db.execute("SELECT max(made) FROM reservations").fetchone()
    return float(made)


@pytest.mark.parametrize(
    "shifts", [("+4h",), ("-4h",), ("+4h", "-4h")], ids=lambda shifts: "_then_".join(shifts)
)
def test_every_command_stays_prompt_after_runs_under_a_stepped_clock(
    sandbox: Any, sandbox_login: Any, shifts: tuple[str, ...]
) -> None:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    set_price(sandbox, SBIN, "800")
    issued = datetime.now(UTC)
    for shift in shifts:
        wall, mono = clock_seen_under(shift)
        assert abs(wall - HOURS[shift] * 3600) < 60  # the wall clock is hours off ...
        assert abs(mono) > 3600  # ... and so is CLOCK_MONOTONIC
        stepped = run_prompt("quote", "SBIN", "--json", env=faked(shift))
        if session_usable_under(shift, issued):
            assert stepped.code == 0, stepped.both
        else:
            # Its clock is past the session's IST day, so it logs in with a TOTP code hours off
            # (refused: 4); to its monotonic clock our login a second ago looks hours old, so
            # the broker's own limit may refuse it first (7): the one window it may cost.
            assert stepped.code in (ExitStatus.AUTH, ExitStatus.RATE_LIMITED), stepped.both
    assert latest_reservation() - time.monotonic() > 3600  # it left slots hours "ahead"
    quote = run_prompt("quote", "SBIN", "--json")
    assert quote.code == 0, quote.both
    assert quote.json()["quotes"][0]["ltp"]
    dry = run_prompt(
        "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "800", "--dry-run", "--json"
    )
    assert dry.code == 0 and dry.json()["dry_run"] is True, dry.both
    status = run_prompt("killswitch", "status", "--json")
    assert status.code == 0 and status.json()["engaged"] is False, status.both
    kill = run_prompt("killswitch", "--yes", "--budget", "5", "--json")
    assert kill.code == 0, kill.both
    assert kill.json()["verified_flat"] is True
    for result in (quote, dry, status, kill):
        assert "waiting" not in result.err  # nothing left to wait for
