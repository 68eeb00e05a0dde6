"""Latch first, always (issue 13): the kill-switch latch is written at once whatever senders are
doing, it belongs to the account, and every order-entry request checks it as it leaves."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from angelctl.config import config_path, load_config_file, resolve_profile, state_dir
from angelctl.risk.latch import latch_folder, latch_for
from angelctl.status import ExitStatus
from tests.conftest import REPO, arm, requests_seen, run_cli_process, sandbox_orders
from tests.orders.test_orders import market

__all__ = ["market"]

PLACE = ("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes", "--json")


def latch_file() -> Any:
    settings = resolve_profile(load_config_file(), "sandbox")
    return latch_folder(state_dir()) / f"latch-{settings.account}.json"


def add_profile_on_the_same_account(name: str) -> None:
    settings = resolve_profile(load_config_file(), "sandbox")
    with config_path().open("a") as handle:
        handle.write(
            f'\n[profiles.{name}]\nclient_code = "{settings.client_code}"\n'
            f'environment = "sandbox"\napi_url = "{settings.api_url}"\n'
        )


def test_the_latch_belongs_to_the_account_not_the_profile(cli: Any, market: Any) -> None:
    add_profile_on_the_same_account("sb2")
    assert cli("killswitch", "--yes", "--cancel-only", "--json").code == 0
    assert latch_file().exists()
    refused = cli("-p", "sb2", "order", "place", *PLACE[2:])
    assert refused.code == ExitStatus.KILL_SWITCH, refused.both
    assert "account" in refused.err
    status = cli("-p", "sb2", "killswitch", "status", "--offline", "--json")
    assert status.json()["latch"] is not None
    # The reset of either profile clears the account's latch for both.
    assert cli("-p", "sb2", "killswitch", "reset", "--yes", "--reason", "checked").code == 0
    assert cli("order", "place", *PLACE[2:]).code == 0


def test_the_latch_is_written_at_once_while_senders_are_on_the_wire(market: Any) -> None:
    """Four placers are held on the wire (their orders processed, answers held back): the
    kill's latch does not wait for them, and the kill cancels what they created."""
    arm(market, name="hold", seconds=3.0, route="placeOrder", count=4)
    placers = [
        subprocess.Popen(
            [sys.executable, "-m", "angelctl", *PLACE, "--intent-id", f"held-{n}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    deadline = time.monotonic() + 30
    while sum(r["route"] == "placeOrder" for r in requests_seen(market)) < 4:
        assert time.monotonic() < deadline, "the placers never reached the sandbox"
        time.sleep(0.02)
    started = time.monotonic()
    kill = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "killswitch", "--yes", "--cancel-only", "--json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not latch_file().exists():
        assert kill.poll() is None or latch_file().exists(), kill.communicate()
        time.sleep(0.005)
    latched_after = time.monotonic() - started
    # The held answers have not come back yet: the old latch waited for them (3 s and more).
    assert all(p.poll() is None for p in placers)
    assert latched_after < 2.5, latched_after
    out, err = kill.communicate(timeout=60)
    assert kill.returncode == 0, out + err
    for p in placers:
        p.communicate(timeout=30)
    rows = sandbox_orders(market)
    assert len(rows) == 4 and all(r["status"] == "cancelled" for r in rows), rows
    # What the latch says is the time of its write, not of some later moment.
    state = json.loads(latch_file().read_text())
    assert state["at"]


def test_a_request_checks_the_latch_as_it_leaves(cli: Any, market: Any, monkeypatch: Any) -> None:
    """A placer that passed the early check finds the latch written by the time its request
    would leave: nothing is sent, and the journal settles the intent as not placed."""
    from angelctl.orders import placer
    from angelctl.orders.journal import Journal

    def latch_meanwhile(name: str) -> None:
        if name == "before_send":
            latch_for(state_dir(), "SBX0001", "sandbox").engage("test", at="2026-12-07T09:00Z")

    monkeypatch.setattr(placer, "crash_point", latch_meanwhile)
    placed = cli(*PLACE, "--intent-id", "late")
    assert placed.code == ExitStatus.KILL_SWITCH, placed.both
    assert [r["route"] for r in requests_seen(market)].count("placeOrder") == 0
    intent = Journal(state_dir() / "journal.sqlite3").get("late")
    assert intent is not None and intent.state == "not_placed"


def test_an_order_tagged_like_a_kill_exit_is_cancelled_like_any_other(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    """Another app's working BUY tagged ``KSCALPER`` on a long position: the kill knows its own
    exits by its journal, so it cancels that BUY, sells the position once, and ends flat."""
    from tests.conftest import admin as ks_admin
    from tests.risk.test_killswitch import exposure

    ks_admin(sandbox, "POST", "market/freeze", frozen=True)
    ks_admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    ks_admin(
        sandbox,
        "POST",
        "seed",
        positions=[{"exch_seg": "NSE", "token": "3045", "netqty": 10}],
        orders=[
            {"exch_seg": "NSE", "token": "3045", "side": "BUY", "quantity": 5, "tag": "KSCALPER"}
        ],
    )
    result = cli("killswitch", "--yes", "--json", "--budget", "30")
    assert result.code == 0, result.both
    net, working = exposure(sandbox)
    assert net.get("SBIN-EQ", 0) == 0 and working == [], (net, working)
    book = sandbox_orders(sandbox)
    calper = [r for r in book if r["ordertag"] == "KSCALPER"]
    assert [r["status"] for r in calper] == ["cancelled"]
    assert [r["price"] for r in calper] == [calper[0]["price"]]  # never re-priced by the kill


def test_the_entry_point_latches_before_the_cli_loads(market: Any) -> None:
    """`angelctl killswitch --yes` as a process: the latch comes from the fast path (written
    within milliseconds of the process start), the kill then runs as usual."""
    result = run_cli_process("-p", "sandbox", "killswitch", "--cancel-only", "--yes", "--json")
    assert result.code == 0, result.both
    doc = json.loads(result.out)
    assert doc["newly_latched"] is True and latch_file().exists()
    assert doc["latch_ms_after_process_start"] is not None
    # A bad segment is refused before any latch, on the fast path too.
    assert run_cli_process("killswitch", "reset", "--yes", "--reason", "t").code == 0
    bad = run_cli_process("killswitch", "--yes", "--segment", "NSEFO")
    assert bad.code == ExitStatus.USAGE and not latch_file().exists(), bad.both
    # Help and dry runs never latch.
    assert run_cli_process("kill", "--yes", "--dry-run").code == 0
    assert not latch_file().exists()
