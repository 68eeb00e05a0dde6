"""``order modify`` against the sandbox's paper broker: every local check refuses before any
modifyOrder call (exit 2), the change is shown old → new (dry run, JSON, the terminal
confirmation), a valid change lands in the sandbox's book, ``--lots``, the kill-switch latch,
and broker refusals of modifyOrder exit like placeOrder's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from angelctl.config import state_dir
from angelctl.risk.latch import Latch, latch_folder
from angelctl.status import ExitStatus
from tests.conftest import Result, admin, arm, requests_seen, sandbox_orders
from tests.orders.test_orders import _set_risk, market, place  # noqa: F401

LATCHED_AT = "2026-11-25T10:00:00+00:00"


def modify_calls(sandbox: Any) -> int:
    return sum(1 for r in requests_seen(sandbox) if r["route"] == "modifyOrder")


def modify(cli: Any, order_id: str, *args: str) -> Result:
    result: Result = cli("order", "modify", order_id, *args, "--yes", "--json")
    return result


def book_row(sandbox: Any, order_id: str) -> dict[str, Any]:
    (row,) = [o for o in sandbox_orders(sandbox) if o["orderid"] == order_id]
    return row


def resting_sbin(cli: Any, *args: str) -> str:
    """A working SBIN BUY order (LTP 800): 2 @ 780 unless ``args`` say otherwise."""
    placed = place(cli, "BUY", "SBIN", *(args or ("--qty", "2", "--price", "780")))
    assert placed.code == 0, placed.both
    order_id: str = placed.json()["orders"][0]["order_id"]
    return order_id


@pytest.fixture
def nifty_future(cli: Any, market: Any) -> tuple[str, int]:  # noqa: F811
    """A working NIFTY FUT BUY order of two lots, seeded 3 % under the LTP: (order id, lot)."""
    shown = cli("instruments", "show", "NIFTY FUT", "--json")
    assert shown.code == 0, shown.both
    contract = shown.json()
    seeded = admin(
        market,
        "POST",
        "seed",
        opening_cash="50000000",
        orders=[{"exch_seg": "NFO", "token": contract["token"], "side": "BUY", "lots": 2}],
    )
    (order,) = seeded["orders"]
    assert order["status"] != "rejected", order
    return str(order["orderid"]), int(contract["lot_size"])


# ----------------------------------------------------------------------- a valid change


def test_a_valid_modify_changes_the_order_in_the_book(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    result = modify(cli, order_id, "--price", "781", "--qty", "3")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["changes"] == {
        "price": {"from": "780.00", "to": "781.00"},
        "quantity": {"from": 2, "to": 3},
    }
    assert doc["request"]["price"] == "781" and doc["request"]["quantity"] == "3"
    row = book_row(market, order_id)
    assert (Decimal(str(row["price"])), int(row["quantity"])) == (Decimal(781), 3)
    assert modify_calls(market) == 1


def test_the_text_report_names_each_change(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    result = cli("order", "modify", order_id, "--price", "779.5", "--yes")
    assert result.code == 0, result.both
    assert f"Modify sent for order {order_id}: price 780.00 → 779.50." in result.out


def test_stop_loss_trigger_and_price_move_together(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli, "--qty", "1", "--type", "SL", "--price", "806", "--trigger", "805")
    result = modify(cli, order_id, "--trigger", "807", "--price", "808")
    assert result.code == 0, result.both
    assert result.json()["changes"] == {
        "price": {"from": "806.00", "to": "808.00"},
        "trigger": {"from": "805.00", "to": "807.00"},
    }
    row = book_row(market, order_id)
    assert (Decimal(str(row["triggerprice"])), row["status"]) == (Decimal(807), "trigger pending")


# -------------------------------------------------------------------------- the dry run


def test_dry_run_shows_old_to_new_and_sends_nothing(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    text = cli("order", "modify", order_id, "--price", "781", "--qty", "1", "--dry-run")
    assert text.code == 0, text.both
    assert "Dry run — nothing sent." in text.out
    assert "price 780.00 → 781.00, quantity 2 → 1" in text.out
    assert f"modifyOrder variety=NORMAL orderid={order_id} ordertype=LIMIT" in text.out
    as_json = cli("order", "modify", order_id, "--price", "781", "--dry-run", "--json")
    assert as_json.code == 0, as_json.both
    doc = as_json.json()
    assert doc["dry_run"] is True and doc["ok"] is True
    assert doc["changes"] == {"price": {"from": "780.00", "to": "781.00"}}
    assert doc["request"]["orderid"] == order_id and doc["request"]["price"] == "781"
    assert modify_calls(market) == 0
    row = book_row(market, order_id)
    assert (Decimal(str(row["price"])), int(row["quantity"])) == (Decimal(780), 2)


# ---------------------------------------------------------------------- local refusals


@pytest.mark.parametrize(
    ("args", "risk", "message"),
    [
        (["--price", "780.03"], {}, "not on the tick size"),
        (["--price", "900"], {}, "price 900 is"),  # the collar / circuit band
        (["--qty", "11"], {"max_quantity": 10}, "max_quantity 10"),
        (["--qty", "9"], {"max_notional": 7000}, "max_notional"),
        (["--type", "MARKET"], {}, "MARKET orders are refused"),
        (["--validity", "IOC"], {}, "IOC orders are refused"),
        (["--type", "SL", "--trigger", "785"], {}, "trigger at or below its limit"),
        (["--type", "SL"], {}, "needs --trigger"),
        (["--price", "780.001"], {}, "not on the tick size"),
        (["--price", "780"], {}, "nothing to change"),
        (["--qty", "2", "--price", "780.00"], {}, "nothing to change"),
        (["--qty", "0"], {}, "whole number from 1"),
        (["--qty", "1", "--lots", "1"], {}, "not both"),
        (["--price", "abc"], {}, "is not a price"),
        (["--validity", "GTC"], {}, "--validity must be one of DAY, IOC"),
    ],
)
def test_each_local_check_refuses_before_any_modify_call(
    cli: Any,
    market: Any,  # noqa: F811
    args: list[str],
    risk: dict[str, Any],
    message: str,
) -> None:
    order_id = resting_sbin(cli)
    if risk:
        _set_risk(risk)
    result = modify(cli, order_id, *args)
    assert result.code == ExitStatus.USAGE, result.both
    assert message in result.err, result.err
    assert len(result.err.strip().splitlines()) <= 2
    assert result.json()["ok"] is False
    assert modify_calls(market) == 0


def test_no_change_at_all_is_refused_before_any_network_call(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    before = len(requests_seen(market))
    result = modify(cli, order_id)
    assert result.code == ExitStatus.USAGE and "nothing to change" in result.err, result.both
    assert len(requests_seen(market)) == before


def test_lot_multiple_and_freeze_limit_come_from_the_contract(
    cli: Any,
    market: Any,  # noqa: F811
    nifty_future: tuple[str, int],
) -> None:
    order_id, lot = nifty_future
    odd = modify(cli, order_id, "--qty", str(lot + 1))
    assert odd.code == ExitStatus.USAGE and "multiple of the lot size" in odd.err, odd.both
    frozen = modify(cli, order_id, "--lots", "40")
    assert frozen.code == ExitStatus.USAGE, frozen.both
    assert "freeze limit" in frozen.err and "a modification cannot be sliced" in frozen.err
    assert modify_calls(market) == 0


def test_lots_sets_the_quantity_in_lots(
    cli: Any,
    market: Any,  # noqa: F811
    nifty_future: tuple[str, int],
) -> None:
    order_id, lot = nifty_future
    dry = cli("order", "modify", order_id, "--lots", "1", "--dry-run")
    assert dry.code == 0, dry.both
    assert f"quantity {2 * lot} → {lot} (1 lot)" in dry.out
    done = modify(cli, order_id, "--lots", "1")
    assert done.code == 0, done.both
    assert done.json()["changes"] == {"quantity": {"from": 2 * lot, "to": lot}}
    assert int(book_row(market, order_id)["quantity"]) == lot


def test_a_terminal_order_cannot_be_modified(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli, "--qty", "1", "--price", "801")  # marketable: fills at once
    admin(market, "POST", "orders/step")
    result = modify(cli, order_id, "--price", "802")
    assert result.code == ExitStatus.USAGE and "is complete" in result.err, result.both
    assert modify_calls(market) == 0


def test_the_new_quantity_must_stay_above_what_filled(cli: Any, market: Any) -> None:  # noqa: F811
    admin(market, "POST", "config", fill_lots_per_step=2)
    order_id = resting_sbin(cli, "--qty", "5", "--price", "801")  # 2 fill now, 3 rest
    assert int(book_row(market, order_id)["filledshares"]) == 2
    result = modify(cli, order_id, "--qty", "2")
    assert result.code == ExitStatus.USAGE, result.both
    assert "quantity 2 is not above the 2 already filled" in result.err
    assert modify_calls(market) == 0


# --------------------------------------------------------------------- the kill switch


def test_an_engaged_latch_refuses_a_price_change_but_allows_a_quantity_cut(
    cli: Any,
    market: Any,  # noqa: F811
) -> None:
    order_id = resting_sbin(cli, "--qty", "5", "--price", "780")
    Latch(latch_folder(state_dir()), "sandbox").engage("test", at=LATCHED_AT)
    before = len(requests_seen(market))
    price = modify(cli, order_id, "--price", "781")
    assert price.code == ExitStatus.KILL_SWITCH, price.both
    assert len(requests_seen(market)) == before  # refused before any network call
    more = modify(cli, order_id, "--qty", "6")
    assert more.code == ExitStatus.KILL_SWITCH, more.both
    assert modify_calls(market) == 0
    cut = modify(cli, order_id, "--qty", "4")
    assert cut.code == 0, cut.both
    assert cut.json()["changes"] == {"quantity": {"from": 5, "to": 4}}
    assert int(book_row(market, order_id)["quantity"]) == 4


def test_a_quantity_cut_is_not_held_up_by_a_moved_market(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli, "--qty", "5", "--price", "780")
    admin(market, "POST", "market/price", exch_seg="NSE", token="3045", ltp="830")
    raised = modify(cli, order_id, "--qty", "6")
    assert raised.code == ExitStatus.USAGE and "from the LTP" in raised.err, raised.both
    cut = modify(cli, order_id, "--qty", "4")
    assert cut.code == 0, cut.both


# --------------------------------------------------------------------- broker refusals


def test_a_broker_refusal_exits_like_a_refused_place(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    arm(market, name="fill_before_cancel", route="modifyOrder", count=1)
    filled = modify(cli, order_id, "--price", "781")
    assert filled.code == ExitStatus.REJECTED, filled.both
    assert "already filled" in filled.err.lower() or "complete" in filled.err.lower()


def test_an_unregistered_ip_exits_like_a_refused_place(cli: Any, market: Any) -> None:  # noqa: F811
    order_id = resting_sbin(cli)
    admin(market, "POST", "config", registered_ips=["203.0.113.10"])
    refused = modify(cli, order_id, "--price", "781")
    assert refused.code == ExitStatus.IP_NOT_REGISTERED, refused.both
    assert "AG7002" in refused.err
    placed = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "780")
    assert placed.code == refused.code


# ---------------------------------------------------------------- terminal confirmation


def test_the_terminal_confirmation_shows_the_change(cli: Any, market: Any) -> None:  # noqa: F811
    from tests.conftest import Terminal

    order_id = resting_sbin(cli)
    with Terminal("order", "modify", order_id, "--price", "781", "--qty", "1") as term:
        screen = term.read_until(b"Send it?").decode(errors="replace")
        term.write("n\n")
        code = term.exit_code()
    assert f"Modify order {order_id} (NSE:SBIN-EQ BUY LIMIT): " in screen
    assert "price 780.00 → 781.00, quantity 2 → 1" in screen
    assert code != 0
    assert modify_calls(market) == 0
