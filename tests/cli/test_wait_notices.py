"""A wait longer than two seconds says on stderr, once, what it waits for and for how long."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from angelctl.broker.api import SmartApi, build_session
from angelctl.broker.client import RetryPolicy
from angelctl.broker.ratelimit import RateLimiter
from angelctl.clock import announce_waits, pause
from angelctl.secrets import Secret
from angelctl.tokens import TOTP_STEP_SECONDS, TotpLedger
from tests.broker.test_login_session import settings_for
from tests.conftest import ShiftedClock, arm

SEED = Secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


@pytest.fixture(autouse=True)
def notices_on() -> Iterator[None]:
    announce_waits(True)
    yield
    announce_waits(True)


def test_a_long_wait_is_announced_once_and_a_short_one_is_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = ShiftedClock()
    pause(clock, 1.9, "something short")
    pause(clock, 3.21, "the thing")
    pause(clock, 18.4, "the other thing")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["waiting 3.2 s for the thing", "waiting 18 s for the other thing"]
    assert clock.slept == [1.9, 3.21, 18.4]


def test_quiet_silences_the_notice_but_not_the_wait(capsys: pytest.CaptureFixture[str]) -> None:
    clock = ShiftedClock()
    announce_waits(False)
    pause(clock, 5.0, "the thing")
    assert capsys.readouterr().err == "" and clock.slept == [5.0]


class _Ceiling:
    """A jitter source that always draws the cap."""

    def uniform(self, low: float, high: float) -> float:
        return high


def test_a_retry_backoff_over_two_seconds_is_announced(
    sandbox: Any, sandbox_clock: ShiftedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    api = SmartApi(build_session(settings_for(sandbox), clock=sandbox_clock))
    api.session.login()
    api.session.rest.retry = RetryPolicy(base_delay=3.0, max_delay=3.0)
    api.session.rest.rng = _Ceiling()  # type: ignore[assignment]
    capsys.readouterr()
    arm(sandbox, name="http_5xx", route="getProfile", count=1)
    assert api.profile().client_code
    assert capsys.readouterr().err == (
        "waiting 3.0 s for retry 1 of getProfile after a server error\n"
    )


def test_the_rate_limiter_names_the_limit_it_waits_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ShiftedClock()
    limits = {"placeOrder": ((9, 1.0), (500, 60.0)), "orders": ((1, 3.0),)}
    limiter = RateLimiter(tmp_path / "rl.sqlite3", limits, clock)
    assert limiter.acquire("C", ("placeOrder", "orders")) == 0
    waited = limiter.acquire("C", ("placeOrder", "orders"))
    assert 3.0 < waited < 3.1
    assert capsys.readouterr().err == (
        "waiting 3.1 s for the orders rate limit (1 per 3 s shared by all angelctl processes)\n"
    )
    clock.advance(10)
    for _ in range(9):
        limiter.acquire("C", ("placeOrder",))
    limiter.acquire("C", ("placeOrder",))  # a tenth within the second: about a second
    assert capsys.readouterr().err == ""


def test_json_output_stays_clean_while_stderr_says_why_it_waits(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    """A real three-second wait in the real CLI: the notice on stderr, stdout one document."""
    assert cli("config", "set", "profiles.sandbox.rate_limits.getRMS", "1/3s").code == 0
    assert cli("funds", "--json").code == 0
    waited = cli("funds", "--json")
    assert waited.code == 0, waited.both
    assert waited.json()["funds"]  # stdout is exactly one JSON document
    # up to three seconds: whatever of them the first call's own time has not used up
    assert re.search(r"waiting [123]\.\d s for", waited.err), waited.err
    assert "for the getRMS rate limit (1 per 3 s shared by all angelctl processes)" in waited.err
    quiet = cli("-q", "funds", "--json")
    assert quiet.code == 0 and quiet.err == ""


def test_the_totp_ledger_says_it_waits_for_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ShiftedClock()
    into_step = clock.now().timestamp() % TOTP_STEP_SECONDS
    clock.advance(TOTP_STEP_SECONDS - into_step + 1.0)  # one second into a step
    ledger = TotpLedger(tmp_path, clock)
    assert ledger.next_code("p", SEED)[1] == 0
    _, waited = ledger.next_code("p", SEED)
    assert 28 < waited < 29.1
    assert capsys.readouterr().err.splitlines() == ["waiting 29 s for the next TOTP step"]
