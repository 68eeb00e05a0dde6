"""``positions convert`` against the sandbox: the position moves between products (read from
the sandbox's own books), quantity conserved; refusals before anything is sent (the latch, no
position, too much, a product the segment does not carry, no terminal without --yes); the
journal's steps, committed before the send (a SIGKILL between the two sends nothing); a lost
answer settled by reading positions, never by resending; the confirmation at 80 columns; and
``positions`` itself unchanged."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from typing import Any

import pyte
import pytest

from angelctl.config import state_dir
from angelctl.orders.journal import Journal
from angelctl.status import ExitStatus
from tests.conftest import Terminal, admin, arm, requests_seen, run_cli_process, sandbox_admin
from tests.orders.test_gtt import engage_latch


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    return sandbox


def books(sandbox: Any) -> dict[str, int]:
    """The sandbox's own position rows of SBIN: net quantity by product."""
    rows = admin(sandbox, "GET", "positions")["positions"]
    return {r["producttype"]: int(r["netqty"]) for r in rows if r["symboltoken"] == "3045"}


def intraday(cli: Any, qty: int = 10) -> None:
    placed = cli("order", "place", "BUY", "SBIN", "--qty", str(qty), "--price", "801",
                 "--product", "INTRADAY", "--yes")  # fmt: skip
    assert placed.code == 0, placed.both


def convert_calls(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in requests_seen(sandbox) if r["route"] == "convertPosition"]


def steps() -> list[str]:
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        rows = journal.db.execute("SELECT kind FROM conversion_events ORDER BY seq").fetchall()
    finally:
        journal.close()
    return [str(r[0]) for r in rows]


def killed_converting(point: str, qty: int = 5, *args: str) -> None:
    """An INTRADAY position of ``qty`` SBIN, then a conversion to DELIVERY (``args``: its size)
    killed with SIGKILL at the crash point ``point``."""
    placed = run_cli_process("order", "place", "BUY", "SBIN", "--qty", str(qty), "--price",
                             "801", "--product", "INTRADAY", "--yes")  # fmt: skip
    assert placed.code == 0, placed.both
    crashed = run_cli_process(
        "positions", "convert", "SBIN", "--from", "INTRADAY", "--to", "DELIVERY", *args, "--yes",
        env={"ANGELCTL_CRASH_AT": point},
    )  # fmt: skip
    assert crashed.code == -signal.SIGKILL


def convert(cli: Any, *args: str) -> Any:
    return cli("positions", "convert", "SBIN", "--from", "INTRADAY", "--to", "DELIVERY", *args)


def test_convert_moves_the_position_and_journals_each_step(cli: Any, market: Any) -> None:
    intraday(cli)

    result = convert(cli, "--qty", "4", "--yes", "--json")

    assert result.code == 0, result.both
    doc = result.json()
    assert (doc["outcome"], doc["quantity"], doc["from"], doc["to"]) == (
        "accepted", 4, "INTRADAY", "DELIVERY",
    )  # fmt: skip
    assert (doc["margin_before"], doc["margin_after"]) == ("640.00", "3200.00")
    assert books(market) == {"INTRADAY": 6, "DELIVERY": 4}  # 10 units, conserved
    (sent,) = convert_calls(market)
    body = json.loads(sent["body"])
    assert (body["oldproducttype"], body["newproducttype"], body["quantity"]) == (
        "INTRADAY", "DELIVERY", 4,
    )  # fmt: skip
    assert {"symbolname", "boardlotsize", "buyqty", "buyamount", "type"} <= set(body)
    assert steps() == ["journalled", "sending", "accepted"]


def test_by_default_the_whole_open_quantity_converts(cli: Any, market: Any) -> None:
    intraday(cli, 3)

    result = cli("positions", "convert", "SBIN", "--from", "MIS", "--to", "CNC", "--yes")

    assert result.code == 0, result.both
    assert result.out.strip() == "Converted 3 NSE:SBIN-EQ from INTRADAY to DELIVERY."
    assert books(market) == {"INTRADAY": 0, "DELIVERY": 3}


def test_positions_still_lists(cli: Any, market: Any) -> None:
    intraday(cli, 2)

    listed = cli("positions", "--json")
    table = cli("positions")

    assert listed.code == table.code == 0
    assert listed.json()["schema"] == "positions/1"
    assert [p["product"] for p in listed.json()["positions"]] == ["INTRADAY"]
    assert table.out.startswith("Positions")


def test_a_set_latch_refuses_before_any_call(cli: Any, market: Any) -> None:
    intraday(cli)
    engage_latch()
    seen = len(requests_seen(market))

    result = convert(cli, "--yes")

    assert result.code == ExitStatus.KILL_SWITCH, result.both
    assert "kill switch" in result.err.lower()
    assert len(requests_seen(market)) == seen  # not even a positions read
    assert books(market) == {"INTRADAY": 10}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--qty", "11"), "more than the open INTRADAY quantity 10"),
        (("--to", "CARRYFORWARD"), "converts only between DELIVERY, INTRADAY, MARGIN"),
        (("--to", "NRMLX"), "--to must be one of"),
        (("--to", "INTRADAY"), "nothing to convert"),
        (("--from", "MARGIN"), "no open MARGIN position"),
        (("--qty", "1", "--lots", "1"), "not both"),
    ],
)
def test_local_refusals_send_nothing(
    cli: Any, market: Any, args: tuple[str, ...], says: str
) -> None:
    intraday(cli)
    base = ["--from", "INTRADAY", "--to", "DELIVERY"]
    for flag in ("--from", "--to"):
        if flag in args:
            at = base.index(flag)
            base[at + 1] = args[args.index(flag) + 1]
    extra = [a for n, a in enumerate(args) if a not in ("--from", "--to")
             and (n == 0 or args[n - 1] not in ("--from", "--to"))]  # fmt: skip

    result = cli("positions", "convert", "SBIN", *base, *extra, "--yes")

    assert result.code == ExitStatus.USAGE, result.both
    assert says in result.err
    assert convert_calls(market) == []
    assert books(market) == {"INTRADAY": 10}


def test_no_terminal_without_yes_is_refused(cli: Any, market: Any) -> None:
    intraday(cli)

    result = convert(cli)

    assert result.code == ExitStatus.USAGE
    assert "refusing to convert a position without confirmation" in result.err
    assert convert_calls(market) == [] and books(market) == {"INTRADAY": 10}


def test_a_broker_refusal_is_journalled_and_reported(cli: Any, market: Any) -> None:
    intraday(cli, 600)  # 20 % margin of ₹4.8 L fits in ₹2.5 L; the full value does not

    result = convert(cli, "--yes")

    assert result.code == ExitStatus.REJECTED, result.both
    assert "AB1017" in result.err
    assert steps() == ["journalled", "sending", "rejected"]
    assert books(market) == {"INTRADAY": 600}


@pytest.mark.parametrize("point", ["conversion_after_journal", "conversion_before_send"])
def test_killed_between_journal_and_send_sends_nothing(market: Any, point: str) -> None:
    killed_converting(point)

    assert steps() == (["journalled"] if point.endswith("journal") else ["journalled", "sending"])
    assert convert_calls(market) == []
    assert books(market) == {"INTRADAY": 5}
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        assert len(journal.unsettled_conversions("sandbox", datetime(2000, 1, 1, tzinfo=UTC))) == 1
    finally:
        journal.close()


def test_a_lost_answer_is_settled_by_reading_positions(cli: Any, market: Any) -> None:
    intraday(cli)
    arm(market, name="drop", route="convertPosition", count=1)  # processed, then no answer

    result = convert(cli, "--qty", "4", "--yes", "--json")

    assert result.code == ExitStatus.RECOVERED, result.both
    assert result.json()["outcome"] == "converted"
    assert len(convert_calls(market)) == 1  # never resent
    assert steps() == ["journalled", "sending", "unknown", "converted"]
    assert books(market) == {"INTRADAY": 6, "DELIVERY": 4}


def test_a_timeout_is_settled_by_reading_positions_never_resent(cli: Any, market: Any) -> None:
    intraday(cli)
    assert cli("config", "set", "read_timeout", "0.5").code == 0
    arm(market, name="hold", seconds=2.0, route="convertPosition", count=1)  # processed, late

    result = convert(cli, "--qty", "3", "--yes")

    assert result.code == ExitStatus.RECOVERED, result.both
    assert "its answer was lost; positions show it moved" in result.out
    assert len(convert_calls(market)) == 1
    assert steps() == ["journalled", "sending", "unknown", "converted"]
    assert books(market) == {"INTRADAY": 7, "DELIVERY": 3}


def test_a_5xx_that_moved_nothing_is_settled_as_not_converted(cli: Any, market: Any) -> None:
    intraday(cli)
    arm(market, name="http_5xx", route="convertPosition", count=1)  # NOT processed

    result = convert(cli, "--yes")

    assert result.code == ExitStatus.BROKER_ERROR, result.both
    assert "nothing moved" in result.err
    assert len(convert_calls(market)) == 1
    assert steps() == ["journalled", "sending", "unknown", "not_converted"]
    assert books(market) == {"INTRADAY": 10}


def test_the_confirmation_at_80_columns(market: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    placed = run_cli_process("order", "place", "BUY", "SBIN", "--qty", "10", "--price", "801",
                             "--product", "INTRADAY", "--yes")  # fmt: skip
    assert placed.code == 0, placed.both
    screen = pyte.Screen(80, 30)
    stream = pyte.ByteStream(screen)
    with Terminal("positions", "convert", "SBIN", "--from", "MIS", "--to", "CNC",
                  "--qty", "4") as term:  # fmt: skip
        stream.feed(term.read_until(b"Convert it?"))
        term.write("n\n")
        code = term.exit_code()

    lines = [line.rstrip() for line in screen.display if line.strip()]
    start = next(n for n, line in enumerate(lines) if line.startswith("Convert NSE:"))
    assert code == ExitStatus.DECLINED
    assert lines[start : start + 4] == [
        "Convert NSE:SBIN-EQ: 4, long",
        "  INTRADAY → DELIVERY · open INTRADAY quantity 10",
        "  margin ₹640.00 → ₹3,200.00 (+₹2,560.00)",
        "  available funds ₹2,48,400.00",
    ]
    assert all(len(line) <= 80 for line in lines)
    assert books(market) == {"INTRADAY": 10} and convert_calls(market) == []


def _future(sandbox: Any) -> dict[str, str]:
    found: dict[str, str] = sandbox_admin(
        sandbox, "GET", "instruments",
        params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "FUTIDX"},
    )["rows"][0]  # fmt: skip
    return found


def test_a_short_future_converts_by_lots(cli: Any, market: Any) -> None:
    fut = _future(market)
    lot = int(fut["lotsize"])
    sandbox_admin(market, "POST", "seed", {
        "opening_cash": "50000000",
        "positions": [{"exch_seg": "NFO", "symbol": fut["symbol"], "lots": -3,
                       "product": "INTRADAY"}],
    })  # fmt: skip
    symbol = fut["symbol"]

    odd = cli("positions", "convert", symbol, "--from", "MIS", "--to", "NRML", "--qty",
              str(lot + 1), "--yes")  # fmt: skip
    delivery = cli("positions", "convert", symbol, "--from", "MIS", "--to", "CNC", "--yes")
    done = cli("positions", "convert", symbol, "--from", "MIS", "--to", "NRML", "--lots", "2",
               "--yes", "--json")  # fmt: skip

    assert (odd.code, delivery.code) == (ExitStatus.USAGE, ExitStatus.USAGE)
    assert f"not a multiple of the lot size {lot}" in odd.err
    assert "converts only between CARRYFORWARD, INTRADAY" in delivery.err
    assert done.code == 0, done.both
    doc = done.json()
    assert (doc["side"], doc["quantity"], doc["lots"], doc["lot_size"]) == (
        "SELL", 2 * lot, "2", lot,
    )  # fmt: skip
    rows = admin(market, "GET", "positions")["positions"]
    nets = {r["producttype"]: int(r["netqty"]) for r in rows if r["tradingsymbol"] == symbol}
    assert nets == {"INTRADAY": -lot, "CARRYFORWARD": -2 * lot}


def _conversion_states(result: Any) -> list[str]:
    return [c["state"] for c in result.json()["conversions"]]


@pytest.mark.parametrize("point", ["conversion_after_journal", "conversion_before_send"])
def test_reconcile_settles_a_conversion_killed_before_it_left_as_not_converted(
    market: Any, point: str
) -> None:
    killed_converting(point)

    early = run_cli_process("reconcile", "--json")  # within settle_after: maybe still running
    settled = run_cli_process("reconcile", "--settle-after", "0", "--json")
    again = run_cli_process("reconcile", "--settle-after", "0", "--json")

    assert early.code == ExitStatus.OUTCOME_UNKNOWN and _conversion_states(early) == ["in progress"]
    assert settled.code == ExitStatus.OK, settled.both
    assert _conversion_states(settled) == ["not_converted"]
    assert steps()[-1] == "not_converted" and _conversion_states(again) == []
    assert convert_calls(market) == [] and books(market) == {"INTRADAY": 5}  # the sandbox agrees


def _converted_then_killed(market: Any, qty: int = 10) -> None:
    """A conversion of 4 the sandbox made, whose process died before journalling the answer."""
    killed_converting("conversion_after_send", qty, "--qty", "4")
    assert steps() == ["journalled", "sending"] and len(convert_calls(market)) == 1


def test_reconcile_settles_a_conversion_whose_answer_was_lost_from_the_positions(
    market: Any,
) -> None:
    _converted_then_killed(market)

    settled = run_cli_process("reconcile", "--settle-after", "0", "--json")

    assert settled.code == ExitStatus.OK, settled.both
    assert _conversion_states(settled) == ["converted"]
    assert steps() == ["journalled", "sending", "converted"]
    assert len(convert_calls(market)) == 1  # never resent
    assert books(market) == {"INTRADAY": 6, "DELIVERY": 4}  # what the sandbox's books hold


def test_reconcile_leaves_a_conversion_unknown_when_positions_moved_otherwise(
    market: Any,
) -> None:
    _converted_then_killed(market)
    more = run_cli_process("order", "place", "BUY", "SBIN", "--qty", "3", "--price", "801",
                           "--product", "INTRADAY", "--yes")  # fmt: skip
    assert more.code == 0, more.both  # another trade of the same instrument since

    result = run_cli_process("reconcile", "--settle-after", "0")

    assert result.code == ExitStatus.OUTCOME_UNKNOWN, result.both
    assert "INTRADAY → DELIVERY: unknown" in result.out
    assert "do not resend blindly" in result.out
    assert steps() == ["journalled", "sending"] and len(convert_calls(market)) == 1


def test_reconcile_leaves_a_conversion_another_process_holds_alone(market: Any) -> None:
    """A conversion still running elsewhere holds its lock: even with --settle-after 0
    reconcile reports it in progress and writes nothing; once the lock is free it settles."""
    import fcntl
    import os

    from angelctl.fsutil import open_private
    from angelctl.orders.convert import conversion_lock

    _converted_then_killed(market)
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        [cid] = journal.unsettled_conversions("sandbox", datetime(2000, 1, 1, tzinfo=UTC))
    finally:
        journal.close()
    fd = open_private(state_dir() / "locks" / f"{conversion_lock(cid)}.lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the running conversion would
        held = run_cli_process("reconcile", "--settle-after", "0", "--json")
    finally:
        os.close(fd)
    free = run_cli_process("reconcile", "--settle-after", "0", "--json")

    assert held.code == ExitStatus.OUTCOME_UNKNOWN and _conversion_states(held) == ["in progress"]
    assert free.code == ExitStatus.OK and _conversion_states(free) == ["converted"]
    assert steps() == ["journalled", "sending", "converted"] and len(convert_calls(market)) == 1
