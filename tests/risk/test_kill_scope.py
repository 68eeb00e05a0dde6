"""A kill switch that cannot lie about its scope (issue 13): scope resolved before anything is
sent, "VERIFIED FLAT" only for the whole account, cancel-only never claims flat. The sandbox's
books (read through a second session) are the judge."""

from __future__ import annotations

from typing import Any

import pytest

from angelctl.status import ExitStatus
from tests.conftest import requests_seen
from tests.risk.test_killswitch import broker, cli, exposure, setup_exposure

__all__ = ["broker", "cli"]


@pytest.mark.parametrize("symbol", ["SBIN", "SBIN-EQ", "NSE:3045", "nse:sbin-eq", "sbin nse"])
def test_every_symbol_form_scopes_the_kill(
    cli: Any, sandbox: Any, broker: Any, symbol: str
) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes", "--symbol", symbol, "--json")
    assert result.code == 0, result.both
    net, working = exposure(sandbox)
    assert net == {"SBIN-EQ": 0, "INFY-EQ": -4, "TCS-EQ": 3}
    assert sorted(o["symbol"] for o in working) == ["INFY-EQ", "TCS-EQ"]
    doc = result.json()
    assert doc["verified_flat"] is False and doc["scope_flat"] is True
    assert doc["scope"]["symbols"] == ["NSE:SBIN-EQ"]
    outside = {row["symbol"] for row in doc["outside_scope"]}
    assert {"INFY-EQ", "TCS-EQ"} <= outside


def test_a_scoped_kill_says_flat_in_scope_never_verified_flat(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes", "--symbol", "SBIN")
    assert result.code == 0, result.both
    assert "FLAT IN SCOPE" in result.out and "VERIFIED FLAT" not in result.out
    assert "outside the scope" in result.out


def test_a_symbol_that_names_no_instrument_sends_nothing(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    before = [r["route"] for r in requests_seen(sandbox)]
    result = cli("killswitch", "--yes", "--symbol", "NOSUCHSYMBOLX")
    assert result.code == ExitStatus.USAGE, result.both
    assert "nothing was cancelled or sent" in result.err
    after = [r["route"] for r in requests_seen(sandbox)][len(before) :]
    assert not {"cancelOrder", "placeOrder", "gttCancelRule"} & set(after)


def test_an_unknown_segment_is_refused_with_a_suggestion_before_the_latch(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    result = cli("killswitch", "--yes", "--segment", "NSEFO")
    assert result.code == ExitStatus.USAGE, result.both
    assert "NFO" in result.err
    status = cli("killswitch", "status", "--offline", "--json")
    assert status.json()["latch"] is None


def test_cancel_only_never_claims_flat_and_lists_what_it_left_open(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes", "--cancel-only", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["verified_flat"] is False and doc["nothing_working"] is True
    left = {row["symbol"]: row["net_qty"] for row in doc["positions_left_open"]}
    assert left == {"SBIN-EQ": 10, "INFY-EQ": -4, "TCS-EQ": 3}
    text = cli("killswitch", "--yes", "--cancel-only")
    assert "CANCELLED" in text.out and "3 position(s) left open" in text.out
    assert "VERIFIED FLAT" not in text.out
    net, working = exposure(sandbox)
    assert working == [] and net == {"SBIN-EQ": 10, "INFY-EQ": -4, "TCS-EQ": 3}


def test_a_full_kill_still_says_verified_flat(cli: Any, sandbox: Any, broker: Any) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes")
    assert result.code == 0, result.both
    assert "VERIFIED FLAT" in result.out
    net, working = exposure(sandbox)
    assert all(q == 0 for q in net.values()) and working == []


def test_order_cancel_all_and_order_list_take_every_symbol_form(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    listed = cli("order", "list", "--symbol", "sbin", "--status", "open", "--json")
    assert listed.code == 0, listed.both
    assert {o["symbol"] for o in listed.json()["orders"]} == {"SBIN-EQ"}
    assert cli("order", "list", "--status", "opne").code == ExitStatus.USAGE
    assert cli("order", "list", "--symbol", "NOSUCHSYMBOLX").code == ExitStatus.USAGE
    cancelled = cli("order", "cancel", "--all", "--symbol", "NSE:3045", "--yes", "--json")
    assert cancelled.code == 0, cancelled.both
    _, working = exposure(sandbox)
    assert sorted(o["symbol"] for o in working) == ["INFY-EQ", "TCS-EQ"]


@pytest.mark.parametrize("damage", ["overwritten", "truncated", "directory"])
def test_a_damaged_journal_does_not_stop_the_kill(
    cli: Any, sandbox: Any, broker: Any, damage: str
) -> None:
    from angelctl.config import state_dir

    setup_exposure(broker)
    assert cli("order", "list").code == 0  # the journal exists and is good
    path = state_dir() / "journal.sqlite3"
    cli("journal")  # make sure it is created
    if damage == "overwritten":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3] or b"SQLite format 3\x00")
    else:
        path.unlink()
        path.mkdir()
    for suffix in ("-wal", "-shm"):
        extra = state_dir() / f"journal.sqlite3{suffix}"
        if extra.exists() and damage != "directory":
            extra.unlink()
    result = cli("killswitch", "--yes", "--json")
    assert result.code == 0, result.both
    assert "journal" in result.err and "unusable" in result.err
    net, working = exposure(sandbox)
    assert all(q == 0 for q in net.values()) and working == []
    kept = [p.name for p in state_dir().iterdir() if ".damaged-" in p.name]
    assert kept, "the damaged journal is kept for inspection"
    status = cli("killswitch", "status", "--json")
    assert status.code == 0, status.both
    assert status.json()["latch"] is not None


def test_other_commands_name_a_damaged_journal(cli: Any, sandbox: Any, broker: Any) -> None:
    from angelctl.config import state_dir

    cli("journal")
    path = state_dir() / "journal.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    for name in ("-wal", "-shm"):
        (state_dir() / f"journal.sqlite3{name}").unlink(missing_ok=True)
    result = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes")
    assert result.code == ExitStatus.LOCAL_STATE, result.both
    assert str(path) in result.err and "killswitch" in result.err
    assert "Traceback" not in result.err


def test_with_the_broker_down_the_kill_says_exposure_unknown_within_its_budget(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    import time

    from tests.conftest import arm

    arm(sandbox, name="http_5xx", status=503)  # every request, until cleared
    started = time.monotonic()
    result = cli("killswitch", "--yes", "--budget", "6", "--json")
    elapsed = time.monotonic() - started
    assert result.code == ExitStatus.NOT_FLAT, result.both
    doc = result.json()
    assert doc["exposure_unknown"] is True and doc["verified_flat"] is False
    assert "exposure UNKNOWN" in doc["unverified_reason"]
    assert elapsed < 6 + 4, elapsed  # the budget bounds every request and every retry
    lines = [line for line in result.err.splitlines() if "503" in line]
    assert len(lines) <= 4, result.err  # one line per retry window, not one per attempt


def test_sigterm_ends_the_kill_with_its_summary(sandbox: Any, broker: Any) -> None:
    import json
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO, arm
    from tests.risk.test_latch_first import latch_file

    setup_exposure(broker)
    arm(sandbox, name="http_5xx", status=503)  # keeps the kill busy retrying
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "killswitch", "--yes", "--json", "--budget", "60"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not latch_file().exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitStatus.NOT_FLAT, out + err
    doc = json.loads(out)
    assert "SIGTERM" in doc["unverified_reason"]
    assert "SIGTERM" in err


def test_the_summary_counts_every_call_place_order_included(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes", "--json")
    assert result.code == 0, result.both
    calls = result.json()["calls"]
    assert calls["placeOrder"] >= 3 and calls["cancelOrder"] >= 3
    assert calls["getOrderBook"] >= 1 and calls["getPosition"] >= 1


def _short_timeouts(sandbox: Any, *, gateway: float, settle_after: float) -> None:
    from angelctl.config import config_path
    from angelctl.config_edit import write_profile_values
    from tests.conftest import admin

    admin(sandbox, "POST", "config", gateway_timeout_seconds=gateway)
    write_profile_values(
        config_path(),
        "sandbox",
        {"read_timeout": 0.5, "settle_after": settle_after, "follow_unknown": 0.3},
    )


def _own_exits(sandbox: Any) -> list[dict[str, Any]]:
    from tests.conftest import sandbox_orders

    return [r for r in sandbox_orders(sandbox) if r["ordertag"].startswith("KS")]


def test_a_lost_exit_answer_is_pending_never_replaced(cli: Any, sandbox: Any, broker: Any) -> None:
    """The first exit's answer is lost and the order lands later: no second exit is sent for
    that quantity, the position ends flat, never flipped."""
    from tests.conftest import admin, arm

    admin(sandbox, "POST", "seed", positions=[{"exch_seg": "NSE", "token": "3045", "netqty": 10}])
    _short_timeouts(sandbox, gateway=4.0, settle_after=5.0)
    arm(sandbox, name="latency", ms=2500, route="placeOrder", count=1)
    result = cli("killswitch", "--yes", "--json", "--budget", "30")
    assert result.code == 0, result.both
    net, working = exposure(sandbox)
    assert net.get("SBIN-EQ") == 0 and working == []
    assert [(r["transactiontype"], int(r["quantity"])) for r in _own_exits(sandbox)] == [
        ("SELL", 10)
    ]


def test_an_exit_still_unknown_at_the_budget_is_named_and_not_flat(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    from tests.conftest import admin, arm

    admin(sandbox, "POST", "seed", positions=[{"exch_seg": "NSE", "token": "3045", "netqty": 10}])
    _short_timeouts(sandbox, gateway=8.0, settle_after=10.0)
    arm(sandbox, name="latency", ms=6000, route="placeOrder", count=1)
    result = cli("killswitch", "--yes", "--json", "--budget", "2")
    assert result.code == ExitStatus.NOT_FLAT, result.both
    doc = result.json()
    assert doc["unknown_exits"] and doc["unknown_exits"][0]["side"] == "SELL"
    assert "may still land" in doc["unverified_reason"]
    assert len(_own_exits(sandbox)) <= 1  # the one that may land; never a replacement


def test_the_prompt_counts_what_the_kill_will_touch(sandbox: Any, broker: Any) -> None:
    from tests.conftest import Terminal

    setup_exposure(broker)
    with Terminal("killswitch") as term:
        seen = term.read_until(b"Engage it now?")
        term.write("n\n")
        seen += term.read_to_end()
        code = term.exit_code()
    screen = " ".join(seen.decode(errors="replace").split())  # the terminal wraps lines
    assert "3 working order(s)" in screen and "3 open position(s)" in screen, screen
    assert code == ExitStatus.DECLINED
    _, working = exposure(sandbox)
    assert len(working) == 3  # declined: nothing latched, nothing cancelled


def test_the_summary_gives_exit_prices_and_realised_pnl(
    cli: Any, sandbox: Any, broker: Any
) -> None:
    setup_exposure(broker)
    result = cli("killswitch", "--yes", "--json")
    assert result.code == 0, result.both
    exits = {e["symbol"]: e for e in result.json()["exits"]}
    assert set(exits) == {"SBIN-EQ", "INFY-EQ", "TCS-EQ"}
    for e in exits.values():
        assert e["filled"] == abs(e["start_qty"]) and e["exit_price"] is not None
        assert e["realised"] is not None
    text = cli("killswitch", "--yes")  # a second run: nothing left, the summary still renders
    assert text.code == 0, text.both


def test_the_live_view_shows_the_quantity_still_open_per_position() -> None:
    from rich.console import Console

    from angelctl.render.killswitch import KillProgressModel, render_progress

    model = KillProgressModel()
    assert model.apply("remaining", {"NSE:SBIN-EQ": 10, "NFO:NIFTY26DECFUT": -65}) == ""
    model.apply("exit_sent", {"side": "SELL", "quantity": 10, "symbol": "SBIN-EQ"})
    console = Console(record=True, width=80)
    console.print(render_progress(model))
    screen = console.export_text()
    assert "NSE:SBIN-EQ" in screen and "10" in screen and "-65" in screen
    assert "still open" in screen and "exit orders sent" in screen
    model.apply("remaining", {})
    console = Console(record=True, width=80)
    console.print(render_progress(model))
    assert "still open" not in console.export_text()
