# ruff: noqa: F811  (the imported ``broker`` fixture is requested by name)
"""Account-state risk limits in the order layer (open orders, daily loss, tripping the latch)
and the ``angelctl guard`` watcher, against the sandbox's paper broker."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from angelctl.config import config_path, state_dir
from angelctl.risk.latch import Latch, latch_for
from angelctl.status import ExitStatus
from tests.conftest import REPO, admin, requests_seen
from tests.risk.test_killswitch import SBIN, broker, cli, exposure, place  # noqa: F401


def set_risk(text: str) -> None:
    path = config_path()
    path.write_text(path.read_text() + "\n[profiles.sandbox.risk]\n" + text + "\n")


def latch() -> Latch:
    from angelctl.config import load_config_file, resolve_profile

    settings = resolve_profile(load_config_file(), "sandbox")
    return latch_for(state_dir(), settings.client_code, settings.name)


def test_max_open_orders_refuses_then_trips_the_latch(cli: Any, sandbox: Any, broker: Any) -> None:
    set_risk('max_open_orders = 2\ntrip_latch = ["max_open_orders"]')
    for price in ("790", "791"):
        ok = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", price, "--yes")
        assert ok.code == 0, ok.both
    before = len(requests_seen(sandbox))
    third = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "792", "--yes")
    assert third.code == ExitStatus.USAGE, third.both
    assert "2 orders are working" in third.err and "latch is now engaged" in third.err
    assert "placeOrder" not in [r["route"] for r in requests_seen(sandbox)[before:]]
    state = latch().read()
    assert state is not None and state.source == "guard"
    again = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "792", "--yes")
    assert again.code == ExitStatus.KILL_SWITCH


def test_daily_loss_limit_refuses_without_tripping(cli: Any, sandbox: Any, broker: Any) -> None:
    set_risk("max_daily_loss = 500")
    place(broker, SBIN, "BUY", 10, "801")  # long 10 @ 800
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="700")  # -1000
    refused = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "699", "--yes")
    assert refused.code == ExitStatus.USAGE, refused.both
    assert "loss limit" in refused.err
    assert latch().read() is None  # not in trip_latch: refuse only


def test_guard_once_without_breach_exits_0(cli: Any, sandbox: Any, broker: Any) -> None:
    set_risk("max_daily_loss = 5000")
    place(broker, SBIN, "BUY", 10, "801")
    result = cli("guard", "--once", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["breach"] is None and doc["checks"] == 1
    assert Decimal(doc["last"]["pnl"]) == 0 and doc["last"]["working_orders"] == 0
    assert latch().read() is None


def test_guard_latches_on_a_daily_loss_breach(cli: Any, sandbox: Any, broker: Any) -> None:
    set_risk("max_daily_loss = 500")
    place(broker, SBIN, "BUY", 10, "801")
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="700")
    result = cli("guard", "--action", "latch", "--json")
    assert result.code == ExitStatus.KILL_SWITCH, result.both
    assert result.json()["breach"]["breach"] == "daily_loss"
    state = latch().read()
    assert state is not None and state.source == "guard" and "loss limit" in state.reason
    net, _ = exposure(sandbox)
    assert net == {"SBIN-EQ": 10}  # latch only: nothing flattened


def test_guard_kill_action_flattens(cli: Any, sandbox: Any, broker: Any) -> None:
    set_risk("max_daily_loss = 500")
    place(broker, SBIN, "BUY", 10, "801")
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="700")
    result = cli("guard", "--json")
    assert result.code == ExitStatus.KILL_SWITCH, result.both
    assert result.json()["action"]["verified_flat"] is True
    net, working = exposure(sandbox)
    assert net == {"SBIN-EQ": 0} and working == []


def test_guard_needs_a_limit(cli: Any, sandbox_login: Any) -> None:
    result = cli("guard", "--once")
    assert result.code == ExitStatus.USAGE and "nothing to guard" in result.err


def test_bad_trip_latch_value_names_the_key(cli: Any, sandbox_login: Any) -> None:
    set_risk('trip_latch = ["sometimes"]')
    result = cli("whoami")
    assert result.code == ExitStatus.CONFIG and "trip_latch" in result.err


# ----------------------------------------------------------------------- market hours


def make_today_a_holiday() -> None:
    """A user holiday file (the documented override) that closes NSE cash all of today, IST."""
    import json
    from datetime import datetime

    from angelctl.clock import IST
    from angelctl.config import holiday_file

    shipped = json.loads(
        (REPO / "angelctl" / "exchange" / "data" / "holidays.json").read_text(encoding="utf-8")
    )
    today = datetime.now(IST).date()
    shipped["holidays"]["CM"].append({"date": today.isoformat(), "description": "Drill day"})
    shipped["years"] = sorted({*shipped["years"], today.year})
    holiday_file().write_text(json.dumps(shipped), encoding="utf-8")


def test_live_style_policy_refuses_outside_hours_before_any_send(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    path = config_path()
    path.write_text(path.read_text() + '\n[profiles.sandbox.market_hours]\npolicy = "refuse"\n')
    make_today_a_holiday()
    before = len(requests_seen(sandbox))
    refused = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "799", "--yes")
    assert refused.code == ExitStatus.USAGE, refused.both
    assert "Drill day" in refused.err and "next open" in refused.err
    assert "placeOrder" not in [r["route"] for r in requests_seen(sandbox)[before:]]


def test_sandbox_profiles_allow_orders_at_any_hour_by_default(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    make_today_a_holiday()
    placed = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "799", "--yes")
    assert placed.code == 0, placed.both
