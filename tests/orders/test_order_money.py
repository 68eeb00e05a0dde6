"""``order place`` shows and checks the money (margin, funds, charges, LTP), refuses a script's
unfunded order, follows a new order to its first definite state, and the client parses the
margin and charges replies — all against the sandbox over loopback."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pyte
import pytest

from angelctl.status import ExitStatus
from tests.conftest import Result, Terminal, admin, arm, requests_seen, routes_seen, sandbox_orders

SBIN = ("NSE", "3045")


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    """A logged-in sandbox profile with a still market: SBIN at ₹800."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    return sandbox


def place(cli: Any, *args: str) -> Result:
    result: Result = cli("order", "place", *args, "--yes", "--json")
    return result


def test_a_script_never_sends_an_order_the_funds_cannot_cover(cli: Any, market: Any) -> None:
    refused = place(cli, "BUY", "SBIN", "--qty", "5000", "--price", "800")

    assert refused.code == ExitStatus.USAGE, refused.both
    assert "margin required ₹40,00,000.00 exceeds the available funds ₹2,50,000.00" in refused.err
    assert "--allow-insufficient-funds" in refused.err
    assert "placeOrder" not in routes_seen(market)


def test_allowed_it_is_sent_followed_and_the_rejection_exits_8(cli: Any, market: Any) -> None:
    placed = place(
        cli, "BUY", "SBIN", "--qty", "5000", "--price", "800", "--allow-insufficient-funds"
    )

    assert placed.code == ExitStatus.REJECTED, placed.both
    assert "Insufficient Funds" in placed.err  # the broker's reason, without --wait
    (order,) = sandbox_orders(market)
    assert order["status"] == "rejected"


def test_no_wait_reports_at_once(cli: Any, market: Any) -> None:
    placed = place(
        cli, "BUY", "SBIN", "--qty", "5000", "--price", "800", "--allow-insufficient-funds",
        "--no-wait",
    )  # fmt: skip

    assert placed.code == 0, placed.both
    (doc,) = placed.json()["orders"]
    assert doc["status"] is None and doc["filled_quantity"] is None
    assert "orderDetails" not in routes_seen(market)


def test_yes_in_text_mode_says_the_money_nobody_was_asked_about(cli: Any, market: Any) -> None:
    placed = cli("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "790", "--yes")
    quiet = cli("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "790", "--yes", "-q")

    assert placed.code == quiet.code == 0, placed.both + quiet.both
    assert placed.out.startswith("Order ") and "margin" not in placed.out  # stdout: the order
    (line,) = [x for x in placed.err.splitlines() if x.startswith("margin ")]
    assert line.startswith("margin ₹1,580.00 of ₹2,50,000.00 available · charges ≈ ₹")
    assert line.endswith("· LTP ₹800.00")
    assert "margin" not in quiet.err and quiet.out.strip().isdigit()  # -q: the id only


def test_yes_follows_within_the_configured_budget(cli: Any, market: Any) -> None:
    assert cli("config", "set", "order_follow_seconds", "2").code == 0
    shown = cli("config", "show", "--json").json()
    assert "2" in str(shown).split("order_follow_seconds")[1][:8]

    placed = place(cli, "BUY", "SBIN", "--qty", "2", "--price", "780")

    assert placed.code == 0, placed.both
    (doc,) = placed.json()["orders"]
    assert doc["status"] == "open" and doc["filled_quantity"] == 0


def test_wait_json_carries_filled_quantity_average_price_and_money(cli: Any, market: Any) -> None:
    placed = place(cli, "BUY", "SBIN", "--qty", "3", "--price", "801", "--wait")

    assert placed.code == 0, placed.both
    doc = placed.json()
    (order,) = doc["orders"]
    assert order["status"] == "complete"
    assert order["filled_quantity"] == 3 and Decimal(order["average_price"]) == Decimal(800)
    money = doc["money"]
    assert Decimal(money["ltp"]) == 800
    assert Decimal(money["margin_required"]) == Decimal("2403")  # delivery: the full value
    assert Decimal(money["available_funds"]) == Decimal("250000")
    assert Decimal(money["estimated_charges"]) > 0 and money["unavailable"] == []


def test_the_money_calls_are_one_each(cli: Any, market: Any) -> None:
    place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780", "--no-wait")

    routes = [r["route"] for r in requests_seen(market)]
    assert [routes.count(r) for r in ("marginBatch", "getRMS", "estimateCharges")] == [1, 1, 1]
    assert routes.count("marketQuote") == 1  # the collar's quote gives the LTP too


def test_a_failing_money_call_never_stops_the_order(cli: Any, market: Any) -> None:
    arm(market, name="http_5xx", route="marginBatch", count=20)
    arm(market, name="http_5xx", route="estimateCharges", count=20)

    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780", "--no-wait")

    assert placed.code == 0, placed.both
    money = placed.json()["money"]
    assert money["margin_required"] is None and money["estimated_charges"] is None
    assert money["unavailable"] == ["charges", "margin"]
    assert len(sandbox_orders(market)) == 1


def test_validity_and_the_deprecated_duration_alias(cli: Any, market: Any) -> None:
    new = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780", "--validity",
              "DAY", "--dry-run", "--json")  # fmt: skip
    old = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780", "--duration",
              "DAY", "--dry-run", "--json")  # fmt: skip
    helped = cli("order", "place", "--help")

    assert new.code == old.code == 0, old.both
    assert new.json()["order"] == old.json()["order"]
    assert "deprecated" in old.err and "--validity" in old.err
    assert "--validity" in helped.out and "--duration" not in helped.out


def test_lots_are_whole_numbers(cli: Any, market: Any) -> None:
    future = cli("instruments", "show", "NIFTY FUT", "--json").json()
    admin(market, "POST", "market/price", exch_seg="NFO", token=future["token"], ltp="25000")
    lot = future["lot_size"]
    shown = [
        cli("order", "place", "BUY", "NIFTY FUT", "--lots", str(n), "--price", "25000",
            "--dry-run", "--allow-insufficient-funds", "--slice").both
        for n in (10, 20, 40, 100)
    ]  # fmt: skip
    single = cli("order", "place", "BUY", "SBIN", "--lots", "10", "--price", "800", "--dry-run")

    assert lot > 1
    for n, text in zip((10, 20, 40, 100), shown, strict=True):
        assert f"({n} lots of {lot})" in text, text
        assert "E+" not in text
    assert "BUY 10 NSE:SBIN-EQ" in single.out and "lots of 1" not in single.out


def _screen(*args: str, answer: str = "n") -> tuple[int, list[str]]:
    """Run ``order place`` on an 80-column terminal, answer the prompt, return the screen."""
    screen = pyte.Screen(80, 30)
    stream = pyte.ByteStream(screen)
    with Terminal("order", "place", *args) as term:
        stream.feed(term.read_until(b"Send it?"))
        term.write(f"{answer}\n")
        code = term.exit_code()
    return code, [line.rstrip() for line in screen.display if line.strip()]


def test_the_confirmation_at_80_columns(market: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, lines = _screen("BUY", "SBIN", "--qty", "2", "--price", "790")

    assert code == ExitStatus.DECLINED
    assert lines[:5] == [
        "BUY 2 NSE:SBIN-EQ",
        "  LIMIT @ ₹790.00 · LTP ₹800.00 (₹10.00 below, 1.25 %)",
        "  DELIVERY · DAY · notional ₹1,580.00",
        "  margin required ₹1,580.00 · available funds ₹2,50,000.00",
        lines[4],
    ]
    assert lines[4].startswith("  estimated charges ₹") and "unavailable" not in lines[4]
    assert all(len(line) <= 80 for line in lines)
    assert sandbox_orders(market) == []


def test_the_confirmation_warns_of_insufficient_funds_in_red(
    market: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    screen = pyte.Screen(80, 30)
    stream = pyte.ByteStream(screen)
    with Terminal("order", "place", "BUY", "SBIN", "--qty", "500", "--price", "800") as term:
        stream.feed(term.read_until(b"Send it?"))
        term.write("n\n")
        term.exit_code()

    (row,) = [n for n, line in enumerate(screen.display) if "INSUFFICIENT FUNDS" in line]
    assert "INSUFFICIENT FUNDS: ₹1,50,000.00 short" in screen.display[row]
    assert len(screen.display[row].rstrip()) <= 80
    start = screen.display[row].index("INSUFFICIENT")
    assert screen.buffer[row][start].fg == "red" and screen.buffer[row][start].bold
    assert os.environ["COLUMNS"] == "80"


def test_modify_shows_old_to_new_for_every_changed_field(cli: Any, market: Any) -> None:
    placed = place(cli, "BUY", "SBIN", "--qty", "2", "--price", "780")
    order_id = placed.json()["orders"][0]["order_id"]

    dry = cli(
        "order", "modify", order_id, "--type", "SL", "--trigger", "779", "--qty", "1",
        "--dry-run",
    )  # fmt: skip

    assert dry.code == 0, dry.both
    assert f"Modify order {order_id} (NSE:SBIN-EQ BUY LIMIT): " in dry.out
    for change in ("trigger none → 779.00", "quantity 2 → 1", "order type LIMIT → STOPLOSS_LIMIT"):
        assert change in dry.out, dry.out
    assert "price" not in dry.out.split(":", 1)[1].split("\n")[0]  # unchanged: not shown
