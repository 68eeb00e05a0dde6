"""Orders end to end against the sandbox's paper broker: lifecycle, pre-trade checks
(docs/scenarios.md#a6--pre-trade-checks-before-any-network-call), outcome classes
(docs/scenarios.md#a1--placeorder-answer-lost-after-the-broker-accepted-it,
docs/scenarios.md#a3--a-definite-refusal-is-not-resent-blindly), crashes at every step
(docs/scenarios.md#a4--crash-at-every-step-of-placement), one intent from ten processes
(docs/scenarios.md#a5--ten-runs-with-one-intent-id-at-once) and a rate budget shared by processes
(docs/scenarios.md#e1--one-rate-budget-across-processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import pytest

from angelctl.config import config_path, state_dir
from angelctl.orders.journal import Journal, tag_for
from angelctl.status import ExitStatus
from tests.conftest import (
    REPO,
    Result,
    admin,
    arm,
    requests_seen,
    run_cli_process,
    sandbox_orders,
)

SBIN = ("NSE", "3045")


def set_price(sandbox: Any, instrument: tuple[str, str], ltp: str) -> None:
    admin(sandbox, "POST", "market/price", exch_seg=instrument[0], token=instrument[1], ltp=ltp)


def order_calls(sandbox: Any) -> int:
    return sum(
        1
        for r in requests_seen(sandbox)
        if r["route"] in ("placeOrder", "modifyOrder", "cancelOrder")
    )


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    """A logged-in sandbox profile with a still market: SBIN at ₹800."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    set_price(sandbox, SBIN, "800")
    return sandbox


def place(cli: Any, *args: str) -> Result:
    result: Result = cli("order", "place", *args, "--yes", "--json")
    return result


# -------------------------------------------------------------------------- lifecycle


def test_limit_order_rests_is_modified_and_cancelled(cli: Any, market: Any) -> None:
    placed = place(cli, "BUY", "SBIN", "--qty", "2", "--price", "780")
    assert placed.code == 0, placed.both
    order_id = placed.json()["orders"][0]["order_id"]
    status = cli("order", "status", order_id, "--json")
    assert status.json()["status"] == "open" and status.json()["quantity"] == 2
    assert cli("order", "modify", order_id, "--price", "781", "--yes").code == 0
    assert cli("order", "status", order_id, "--json").json()["price"] in ("781", "781.0", "781.00")
    assert cli("order", "cancel", order_id, "--yes").code == 0
    assert cli("order", "status", order_id, "--json").json()["status"] == "cancelled"
    again = cli("order", "cancel", order_id, "--yes")
    assert again.code == 0 and "already cancelled" in again.err
    listed = cli("order", "list", "--json").json()["orders"]
    assert [o["order_id"] for o in listed] == [order_id]


def test_marketable_limit_fills_and_wait_reports_it(cli: Any, market: Any) -> None:
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "801", "--wait")
    assert placed.code == 0, placed.both
    assert placed.json()["orders"][0]["status"] == "complete"


def status_of(cli: Any, order_id: str) -> dict[str, Any]:
    result = cli("order", "status", order_id, "--json")
    assert result.code == 0, result.both
    doc: dict[str, Any] = result.json()
    return doc


def test_stop_loss_limit_waits_for_its_trigger_then_fills(cli: Any, market: Any) -> None:
    placed = place(
        cli,
        "SELL",
        "SBIN",
        "--qty",
        "2",
        "--type",
        "STOPLOSS_LIMIT",
        "--price",
        "794",
        "--trigger",
        "795",
        "--product",
        "INTRADAY",
        "--wait",
    )
    assert placed.code == 0, placed.both
    order_id = placed.json()["orders"][0]["order_id"]
    assert placed.json()["orders"][0]["status"] == "trigger pending"
    assert status_of(cli, order_id)["variety"] == "STOPLOSS"
    assert cli("order", "modify", order_id, "--trigger", "796", "--price", "795", "--yes").code == 0
    set_price(market, SBIN, "797")  # above the trigger: still waiting
    admin(market, "POST", "orders/step")
    assert status_of(cli, order_id)["status"] == "trigger pending"
    set_price(market, SBIN, "795.5")  # through the trigger, at or above the limit: fills
    admin(market, "POST", "orders/step")
    done = status_of(cli, order_id)
    assert done["status"] == "complete" and done["filled"] == 2
    assert Decimal(done["average_price"]) >= Decimal("795")


def test_stop_loss_market_is_refused_or_protected_by_policy(cli: Any, market: Any) -> None:
    args = ["BUY", "SBIN", "--qty", "1", "--type", "STOPLOSS_MARKET", "--trigger", "805"]
    refused = place(cli, *args)
    assert refused.code == ExitStatus.USAGE and "MARKET" in refused.err, refused.both
    assert order_calls(market) == 0
    path = config_path()
    path.write_text(path.read_text() + '\n[profiles.sandbox.risk]\nmarket_orders = "protect"\n')
    protected = place(cli, *args, "--wait")
    assert protected.code == 0, protected.both
    order = status_of(cli, protected.json()["orders"][0]["order_id"])
    assert order["order_type"] == "STOPLOSS_LIMIT" and order["status"] == "trigger pending"
    assert Decimal(order["price"]) > Decimal("805")  # a protected limit above the trigger
    assert cli("order", "cancel", order["order_id"], "--yes").code == 0
    assert status_of(cli, order["order_id"])["status"] == "cancelled"


def test_market_order_becomes_a_protected_limit_and_fills(cli: Any, market: Any) -> None:
    refused = place(cli, "BUY", "SBIN", "--qty", "1", "--type", "MARKET")
    assert refused.code == ExitStatus.USAGE, refused.both
    path = config_path()
    path.write_text(path.read_text() + '\n[profiles.sandbox.risk]\nmarket_orders = "protect"\n')
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--type", "MARKET", "--wait")
    assert placed.code == 0, placed.both
    order = status_of(cli, placed.json()["orders"][0]["order_id"])
    assert order["order_type"] == "LIMIT" and order["status"] == "complete"
    assert Decimal(order["price"]) == Decimal("816.00")  # LTP 800 + 2 %, on the tick
    assert Decimal(order["average_price"]) == Decimal("800")


def test_accepted_then_rejected_is_reported_by_wait(cli: Any, market: Any) -> None:
    placed = place(
        cli,
        "BUY",
        "SBIN",
        "--qty",
        "5000",
        "--price",
        "800",
        "--wait",
        "--allow-insufficient-funds",
    )
    assert placed.code == ExitStatus.REJECTED, placed.both
    assert "Insufficient Funds" in placed.err


def test_dry_run_sends_nothing(cli: Any, market: Any) -> None:
    dry = cli(
        "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "800", "--dry-run", "--json"
    )
    assert dry.code == 0 and dry.json()["dry_run"] is True
    assert dry.json()["requests"][0]["symboltoken"] == "3045"
    assert order_calls(market) == 0


def test_no_prompt_without_a_terminal_and_no_yes(cli: Any, market: Any) -> None:
    result = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "800")
    assert result.code == ExitStatus.USAGE and "--yes" in result.err
    assert order_calls(market) == 0


# -------------------------------------------------------------------------- A6


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (["--qty", "1", "--price", "800.03"], "tick"),
        (["--qty", "1", "--type", "MARKET"], "MARKET"),
        (["--qty", "1", "--price", "800", "--duration", "IOC"], "IOC"),
        (["--qty", "11", "--price", "800"], "max_quantity"),
        (["--qty", "9", "--price", "800"], "max_notional"),
        (["--qty", "1", "--price", "900"], "price 900 is"),  # collar / circuit band
    ],
)
def test_pre_trade_checks_refuse_before_any_order_call(
    cli: Any, market: Any, args: list[str], rule: str
) -> None:
    _set_risk({"max_quantity": 10, "max_notional": 7000})
    result = place(cli, "BUY", "SBIN", *args)
    assert result.code == ExitStatus.USAGE, result.both
    assert rule in result.err
    assert order_calls(market) == 0


def test_lot_multiple_and_freeze_limit(cli: Any, market: Any) -> None:
    lot = place(cli, "BUY", "NIFTY FUT", "--qty", "64", "--price", "1")
    assert lot.code == ExitStatus.USAGE and "multiple of the lot size" in lot.err
    freeze = place(cli, "BUY", "NIFTY FUT", "--lots", "40", "--price", "1")
    assert freeze.code == ExitStatus.USAGE and "--slice" in freeze.err
    assert order_calls(market) == 0


def _set_risk(values: dict[str, Any]) -> None:
    from angelctl.config import config_path
    from angelctl.config_edit import write_profile_values

    write_profile_values(config_path(), "sandbox", {"risk": values})


# -------------------------------------------------------------------------- outcomes


def test_lost_response_is_recovered_not_resent(cli: Any, market: Any) -> None:
    """A1: the sandbox records the order, the answer never arrives in time."""
    assert cli("config", "set", "read_timeout", "0.5").code == 0
    arm(market, name="hold", seconds=2.0, route="placeOrder", count=1)
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "a1")
    assert placed.code == ExitStatus.RECOVERED, placed.both
    doc = placed.json()["orders"][0]
    assert doc["recovered"] is True and doc["order_id"]
    tag = tag_for("sandbox", "a1")
    assert len(sandbox_orders(market, tag)) == 1
    assert [r["route"] for r in requests_seen(market)].count("placeOrder") == 1
    journal = Journal(state_dir() / "journal.sqlite3")
    intent = journal.get("a1")
    assert intent is not None and intent.state == "accepted" and intent.recovered


def test_connection_dropped_after_processing_is_recovered(cli: Any, market: Any) -> None:
    arm(market, name="drop", route="placeOrder", count=1)
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "drop")
    assert placed.code == ExitStatus.RECOVERED, placed.both
    assert len(sandbox_orders(market, tag_for("sandbox", "drop"))) == 1


def test_rate_limited_place_is_retried_and_placed_once(cli: Any, market: Any) -> None:
    """A3: the 403 text reply proves nothing was placed: retried after backoff."""
    arm(market, name="rate_limit", route="placeOrder", count=1)
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "rl")
    assert placed.code == 0, placed.both
    assert len(sandbox_orders(market, tag_for("sandbox", "rl"))) == 1


def test_expired_token_place_is_refreshed_and_placed_once(cli: Any, market: Any) -> None:
    arm(market, name="expire_tokens")
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "tok")
    assert placed.code == 0, placed.both
    assert len(sandbox_orders(market, tag_for("sandbox", "tok"))) == 1


def test_unregistered_ip_is_a_definite_rejection(cli: Any, market: Any) -> None:
    admin(market, "POST", "config", registered_ips=["203.0.113.10"])
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "ip")
    assert placed.code == ExitStatus.IP_NOT_REGISTERED, placed.both
    assert "AG7002" in placed.err
    assert sandbox_orders(market, tag_for("sandbox", "ip")) == []
    intent = Journal(state_dir() / "journal.sqlite3").get("ip")
    assert intent is not None and intent.state == "rejected"


def test_same_intent_id_twice_places_one_order(cli: Any, market: Any) -> None:
    first = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "twice")
    second = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "twice")
    assert first.code == second.code == 0
    assert second.json()["orders"][0]["reused"] is True
    assert first.json()["orders"][0]["order_id"] == second.json()["orders"][0]["order_id"]
    assert len(sandbox_orders(market, tag_for("sandbox", "twice"))) == 1


# -------------------------------------------------------------------------- A4, A5, E1


@pytest.mark.parametrize(
    "point", ["before_journal", "after_journal", "before_send", "after_response"]
)
def test_crash_at_each_step_then_reconcile(market: Any, point: str) -> None:
    """A4 (fast form): kill -9 at a step, then `reconcile` settles the intent; never twice."""
    crashed = run_cli_process(
        "order",
        "place",
        "BUY",
        "SBIN",
        "--qty",
        "1",
        "--price",
        "790",
        "--intent-id",
        f"crash-{point}",
        "--yes",
        "--json",
        env={"ANGELCTL_CRASH_AT": point},
    )
    assert crashed.code == -signal.SIGKILL
    settled = run_cli_process("reconcile", "--settle", "0", "--json")
    assert settled.code == 0, settled.both
    tag = tag_for("sandbox", f"crash-{point}")
    at_broker = sandbox_orders(market, tag)
    intent = Journal(state_dir() / "journal.sqlite3").get(f"crash-{point}")
    if point == "before_journal":
        assert intent is None and at_broker == []
        return
    assert intent is not None and not intent.is_open
    assert len(at_broker) == (1 if point == "after_response" else 0)
    assert intent.state == ("accepted" if at_broker else "not_placed")


def test_crash_between_send_and_answer_then_reconcile(market: Any) -> None:
    """A4: killed while the sandbox holds the answer; the order exists; reconcile adopts it."""
    arm(market, name="hold", seconds=5.0, route="placeOrder", count=1)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "angelctl",
            "order",
            "place",
            "BUY",
            "SBIN",
            "--qty",
            "1",
            "--price",
            "790",
            "--intent-id",
            "mid",
            "--yes",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while "placeOrder" not in [r["route"] for r in requests_seen(market)]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)  # polling the sandbox's log for the condition, not a timed wait
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    settled = run_cli_process("reconcile", "--settle", "0", "--json")
    assert settled.code == 0, settled.both
    intent = Journal(state_dir() / "journal.sqlite3").get("mid")
    assert intent is not None and intent.state == "accepted" and intent.recovered
    assert len(sandbox_orders(market, tag_for("sandbox", "mid"))) == 1


def test_ten_processes_one_intent_one_order(market: Any) -> None:
    """A5: ten cron runs with the same --intent-id start at once."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "angelctl",
                "order",
                "place",
                "BUY",
                "SBIN",
                "--qty",
                "1",
                "--price",
                "790",
                "--intent-id",
                "cron-x",
                "--yes",
                "--json",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    outputs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    results = [(code, out) for code, out, _ in outputs]
    codes = sorted(code for code, _ in results)
    assert set(codes) <= {0, int(ExitStatus.IN_PROGRESS)}, outputs  # with stderr, to diagnose
    assert len(sandbox_orders(market, tag_for("sandbox", "cron-x"))) == 1, outputs
    order_ids = {json.loads(out)["orders"][0]["order_id"] for code, out in results if code == 0}
    assert len(order_ids) == 1


def test_a_second_placer_never_settles_a_live_writers_fresh_intent(
    cli: Any, market: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A5's race, made deterministic: the first placer is held just after journalling the
    intent; a second placer with the same intent id must see it as in progress — not settle
    it as "not placed" from an order book that cannot hold it yet — and the first then sends."""
    import threading

    from angelctl.cli.common import open_session
    from angelctl.clock import IST
    from angelctl.config import load_config_file, resolve_profile
    from angelctl.instruments.index import InstrumentIndex
    from angelctl.instruments.resolve import Resolver
    from angelctl.instruments.store import index_path
    from angelctl.orders import outcome as outcomes
    from angelctl.orders import placer
    from angelctl.orders.entry import order_placer
    from angelctl.orders.journal_files import open_journal
    from angelctl.orders.model import OrderRequest

    journalled, release = threading.Event(), threading.Event()
    first_thread = threading.current_thread()

    def hold_after_journal(name: str) -> None:
        if name == "after_journal" and threading.current_thread() is not first_thread:
            journalled.set()
            assert release.wait(timeout=60)

    assert cli("instruments", "sync").code == 0
    monkeypatch.setattr(placer, "crash_point", hold_after_journal)
    monkeypatch.setattr(placer, "LOCK_WAIT_SECONDS", 0.2)
    settings = resolve_profile(load_config_file(), "sandbox")
    session = open_session(settings)
    index = InstrumentIndex(index_path())
    contract = Resolver(index, session.clock.now().astimezone(IST).date()).resolve("SBIN")
    request = OrderRequest.build(
        contract, side="BUY", quantity=1, lots=None, order_type="LIMIT", price="790",
        trigger=None, product="DELIVERY", variety=None, duration="DAY", disclosed=0, tag="",
    )  # fmt: skip
    outcome: dict[str, Any] = {}

    def first() -> None:  # its own session and journal, as another process would have
        own = open_session(settings)
        journal = open_journal()
        try:
            outcome["first"] = order_placer(own, journal).place(request, "race")
        except Exception as exc:  # reported below, so a failure names what happened
            outcome["first"] = exc
        finally:
            journal.close()
            own.rest.close()

    writer = threading.Thread(target=first)
    writer.start()
    try:
        assert journalled.wait(timeout=60)
        journal = open_journal()
        try:
            with pytest.raises(outcomes.IntentInProgress):
                order_placer(session, journal).place(request, "race")
        finally:
            journal.close()
    finally:
        release.set()
        writer.join(timeout=60)
        session.rest.close()
    placed = outcome["first"]
    assert isinstance(placed, outcomes.Placement), placed
    assert placed.intent.state == "accepted" and not placed.recovered
    assert len(sandbox_orders(market, tag_for("sandbox", "race"))) == 1


def test_an_ordertag_already_journalled_for_another_intent_is_refused_before_sending(
    cli: Any, market: Any
) -> None:
    """Tags are a hash of profile and intent id: should two ids ever collide, the second is
    refused with a clear message and nothing reaches the broker."""
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        journal.record("other", tag_for("sandbox", "x"), "sandbox", "SBX0001", {})
    finally:
        journal.close()
    result = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790", "--intent-id", "x")
    assert result.code == int(ExitStatus.ERROR), result.both
    assert "already journalled for another intent" in result.err
    assert "hint: use a different --intent-id" in result.err
    assert order_calls(market) == 0


def test_four_processes_share_the_order_rate_budget(market: Any) -> None:
    """E1: concurrent placers never exceed the order-route limit and get no rate rejects."""
    script = (
        "for i in 1 2 3 4 5; do "
        f"{sys.executable} -m angelctl order place BUY SBIN --qty 1 --price 790 "
        "--yes --json >/dev/null || exit 1; done"
    )
    procs = [subprocess.Popen(["sh", "-c", script], cwd=REPO) for _ in range(4)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    stats = admin(market, "GET", "stats")
    assert stats["rate_limited"] == 0
    assert len(sandbox_orders(market)) == 20
    assert stats["buckets"]["orders"]["peak_rolling_second"] <= 9


def test_cancel_all_cancels_only_working_orders(cli: Any, market: Any) -> None:
    for price in ("780", "781", "801"):  # the last one fills at once
        assert place(cli, "BUY", "SBIN", "--qty", "1", "--price", price).code == 0
    admin(market, "POST", "orders/step")
    result = cli("order", "cancel", "--all", "--yes", "--json")
    assert result.code == 0, result.both
    cancelled = [r for r in result.json()["results"] if r["cancelled"]]
    assert len(cancelled) == 2
    statuses = sorted(o["status"] for o in sandbox_orders(market))
    assert statuses == ["cancelled", "cancelled", "complete"]
    assert cli("order", "list", "--status", "open", "--json").json()["orders"] == []
    assert cli("order", "cancel", "--all", "--yes").code == 0  # nothing left: a notice, exit 0


def test_journal_shows_every_intent_and_its_events(cli: Any, market: Any) -> None:
    assert place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780", "--intent-id", "j1").code == 0
    listed = cli("journal", "--json").json()["intents"]
    assert [(i["intent_id"], i["state"]) for i in listed] == [("j1", "accepted")]
    events = cli("journal", "--intent", "j1", "--json").json()["events"]
    assert [e["kind"] for e in events] == ["journalled", "sending", "send", "accepted"]
    table = cli("journal")
    assert "accepted" in table.out and tag_for("sandbox", "j1") in table.out


def _prompted(answer: str) -> tuple[int, str]:
    from tests.conftest import Terminal

    with Terminal("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "790") as term:
        seen = term.read_until(b"Send it?")
        term.write(f"{answer}\n")
        seen += term.read_to_end()
        code = term.exit_code()
    return code, seen.decode(errors="replace")


def test_terminal_confirmation_shows_contract_lots_and_notional(market: Any) -> None:
    code, screen = _prompted("n")
    assert code == ExitStatus.DECLINED, screen
    assert screen.strip().splitlines()[-1].strip() == "error: declined: nothing was sent"
    assert "BUY 2 NSE:SBIN-EQ\r\n  LIMIT @ ₹790.00 · LTP ₹800.00" in screen
    assert "notional ₹1,580.00" in screen and "margin required ₹1,580.00" in screen
    assert sandbox_orders(market) == []
    code, screen = _prompted("y")
    assert code == 0, screen
    assert len(sandbox_orders(market)) == 1


# ----------------------------------------------------------------- bad input is a usage error


@pytest.mark.parametrize("symbol", ["NSE:", ":", "NSE: ", " : ", "::", "NSE::"])
def test_an_empty_or_bare_qualified_symbol_is_a_usage_error(
    cli: Any, market: Any, symbol: str
) -> None:
    result = place(cli, "BUY", symbol, "--qty", "1", "--price", "1")
    assert result.code == ExitStatus.USAGE, result.both
    assert "internal error" not in result.err
    assert result.err.startswith("error: ") and len(result.err.splitlines()) <= 2
    assert order_calls(market) == 0


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--price", "1e400", "not a price"),
        ("--price", "1E3", "not a price"),
        ("--price", "NaN", "not a price"),
        ("--price", "Infinity", "not a price"),
        ("--price", "-0", "must be above 0"),
        ("--price", "-780", "must be above 0"),
        ("--price", "0", "must be above 0"),
        ("--price", "0.000", "must be above 0"),
        ("--price", "１００", "not a price"),
        ("--price", "7_80", "not a price"),
        ("--price", "", "is empty"),
        ("--price", "1234567890", "at most 9 digits"),
        ("--price", "780.00001", "after the point"),
        ("--price", "9" * 5000, "not a price"),
        ("--trigger", "1e400", "not a price"),
        ("--trigger", "-0", "must be above 0"),
        ("--trigger", "٧٨٠", "not a price"),
        ("--qty", "１", "whole number"),
        ("--qty", "99999999999999999999", "whole number"),
        ("--qty", "-1", "whole number"),
        ("--qty", "1_0", "whole number"),
        ("--lots", "１", "whole number"),
        ("--disclosed", "٣", "whole number"),
    ],
)
def test_numbers_must_be_plain_ascii_finite_and_in_range(
    cli: Any, market: Any, flag: str, value: str, message: str
) -> None:
    values = {"--qty": "1", "--price": "780", "--type": "STOPLOSS_LIMIT", "--trigger": "781"}
    if flag == "--lots":
        del values["--qty"]
    values[flag] = value
    args = [part for pair in values.items() for part in pair]
    result = place(cli, "BUY", "SBIN", *args)
    assert result.code == ExitStatus.USAGE, result.both
    assert message in result.err and flag in result.err
    assert len(result.err.splitlines()) <= 2 and "Traceback" not in result.err
    assert order_calls(market) == 0


def test_plain_prices_with_a_point_still_work(cli: Any, market: Any) -> None:
    dry = cli(
        "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780.50", "--dry-run", "--json"
    )
    assert dry.code == 0, dry.both
    assert dry.json()["order"]["price"] == "780.50"


@pytest.mark.parametrize("limit", ["99999999999999999999", "0", "-5", "１０", "1e3"])
def test_journal_limit_is_range_checked(cli: Any, market: Any, limit: str) -> None:
    result = cli("journal", "-n", limit, "--json")
    assert result.code == ExitStatus.USAGE, result.both
    assert "-n" in result.err or "--limit" in result.err
    assert result.json()["error"]["exit_status"] == ExitStatus.USAGE


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--price", "1e400", "is not a price"),  # the sandbox answered HTTP 500 (exit 9)
        ("--price", "NaN", "not a price"),
        ("--price", "sNaN", "not a price"),
        ("--price", "-0", "must be above 0"),
        ("--price", "-5", "must be above 0"),
        ("--trigger", "Infinity", "not a price"),
        ("--qty", "0", "whole number"),
        ("--qty", "-5", "whole number"),
        ("--qty", "99999999999999999999", "whole number"),
        ("--type", "\x1b[2J", "--type must be one of"),
    ],
)
def test_modify_refuses_bad_values_before_any_order_call(
    cli: Any, market: Any, flag: str, value: str, message: str
) -> None:
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780")
    order_id = placed.json()["orders"][0]["order_id"]
    before = order_calls(market)
    result = cli("order", "modify", order_id, flag, value, "--yes", "--json")
    assert result.code == ExitStatus.USAGE, result.both
    assert message in result.err and result.json()["error"]["exit_status"] == ExitStatus.USAGE
    assert order_calls(market) == before


def test_modify_accepts_the_order_type_aliases(cli: Any, market: Any) -> None:
    placed = place(cli, "SELL", "SBIN", "--qty", "1", "--price", "820")
    order_id = placed.json()["orders"][0]["order_id"]
    result = cli("order", "modify", order_id, "--type", "sl", "--trigger", "821", "--yes")
    assert result.code == 0, result.both
    assert status_of(cli, order_id)["order_type"] == "STOPLOSS_LIMIT"


def test_text_the_operator_typed_is_shown_as_text_not_rich_markup(cli: Any, market: Any) -> None:
    """An --intent-id, --tag or kill-switch reason like '[/b]' made journal and killswitch
    status fail with rich's MarkupError (exit 1)."""
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780", "--intent-id", "[/b]x")
    assert placed.code == 0, placed.both
    listed = cli("journal")
    assert listed.code == 0, listed.both
    assert "[/b]x" in listed.out
    shown = cli("journal", "--intent", "[/b]x")
    assert shown.code == 0 and "Intent [/b]x" in shown.out, shown.both
    kill = cli("killswitch", "--yes", "--cancel-only", "--reason", "[/bold] x [red")
    assert kill.code == 0, kill.both
    status = cli("killswitch", "status", "--offline")
    assert status.code == 0, status.both
    assert "[/bold] x [red" in status.out


def test_the_cli_quantity_bound_is_the_parsers() -> None:
    from angelctl import numbers
    from angelctl.cli import common

    assert common.MAX_UNITS == numbers.MAX_UNITS  # common keeps a copy to stay import-light
