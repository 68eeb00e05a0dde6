"""GTT rules end to end: the CLI against the sandbox over loopback — create, list, show, modify,
cancel, a trigger turning into an order — and the kill-switch gate (B2: a cron job's GTT create
while the latch is engaged is refused with exit 14 and reaches no broker route)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from angelctl.config import state_dir
from angelctl.risk.latch import Latch, latch_folder
from angelctl.status import ExitStatus
from tests.conftest import Result, admin, requests_seen

SBIN = ("NSE", "3045")
GTT_ROUTES = ("createRule", "modifyRule", "cancelRule", "ruleDetails", "ruleList")


def set_price(sandbox: Any, ltp: str) -> None:
    admin(sandbox, "POST", "market/price", exch_seg=SBIN[0], token=SBIN[1], ltp=ltp)


def sandbox_rules(sandbox: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = admin(sandbox, "GET", "gtt")["rules"]
    return rules


def gtt_calls(sandbox: Any) -> list[str]:
    return [r["route"] for r in requests_seen(sandbox) if r["route"] in GTT_ROUTES]


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    """A logged-in sandbox profile with a still market: SBIN at ₹800."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    set_price(sandbox, "800")
    return sandbox


def create(cli: Any, *args: str) -> Result:
    result: Result = cli("gtt", "create", *args, "--yes", "--json")
    return result


def sell_rule(cli: Any, *extra: str) -> str:
    """SELL 5 SBIN when it rises to 840, limit 839; the new rule's id."""
    result = create(cli, "SELL", "SBIN", "--qty", "5", "--trigger", "840",
                    "--price", "839", *extra)  # fmt: skip
    assert result.code == 0, result.both
    rule_id: str = result.json()["id"]
    return rule_id


def engage_latch() -> None:
    Latch(latch_folder(state_dir()), "sandbox").engage("test", at="2026-03-10T04:30:00Z")


# ----------------------------------------------------------------------------- lifecycle


def test_create_sends_one_rule_with_the_documented_fields(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)

    (rule,) = sandbox_rules(market)
    assert str(rule["id"]) == rule_id
    assert (rule["tradingsymbol"], rule["transactiontype"], rule["producttype"]) == (
        "SBIN-EQ",
        "SELL",
        "DELIVERY",
    )
    assert (rule["qty"], rule["triggerprice"], rule["price"], rule["status"]) == (
        5,
        840.0,
        839.0,
        "NEW",
    )
    assert gtt_calls(market) == ["createRule"]


def test_show_and_list_read_the_rule_back(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)

    shown = cli("gtt", "show", rule_id, "--json")
    listed = cli("gtt", "list", "--json")
    table = cli("gtt", "list")

    assert shown.code == 0, shown.both
    assert shown.json()["id"] == rule_id and Decimal(shown.json()["trigger"]) == 840
    assert shown.json()["quantity"] == 5 and shown.json()["status"] == "NEW"
    assert [r["id"] for r in listed.json()["rules"]] == [rule_id]
    assert rule_id in table.out and "SBIN-EQ" in table.out


def test_modify_changes_price_trigger_and_quantity(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)

    result = cli("gtt", "modify", rule_id, "--price", "844", "--trigger", "845", "--qty", "7",
                 "--yes", "--json")  # fmt: skip

    assert result.code == 0, result.both
    (rule,) = sandbox_rules(market)
    assert (rule["price"], rule["triggerprice"], rule["qty"]) == (844.0, 845.0, 7)
    assert rule["expirydate"][:10] == rule["createddate"][:10].replace("2026", "2027", 1)


def test_cancel_then_cancel_again_exits_0_with_a_notice(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)

    first = cli("gtt", "cancel", rule_id, "--yes", "--json")
    again = cli("gtt", "cancel", rule_id, "--yes")

    assert first.code == 0 and first.json()["cancelled"] is True
    assert again.code == 0 and "already CANCELLED" in again.err
    assert sandbox_rules(market)[0]["status"] == "CANCELLED"
    assert gtt_calls(market).count("cancelRule") == 1
    assert cli("gtt", "list", "--json").json()["rules"] == []
    cancelled = cli("gtt", "list", "--status", "cancelled", "--json").json()["rules"]
    assert [r["id"] for r in cancelled] == [rule_id]


def test_a_reached_trigger_shows_as_triggered_with_its_order(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)

    set_price(market, "841")

    triggered = cli("gtt", "list", "--status", "triggered", "--json").json()["rules"]
    assert [(r["id"], r["status"]) for r in triggered] == [(rule_id, "SENTTOEXCHANGE")]
    orderid = sandbox_rules(market)[0]["orderid"]
    order = cli("order", "status", orderid, "--json")
    assert order.code == 0 and order.json()["side"] == "SELL" and order.json()["quantity"] == 5


def test_dry_run_sends_nothing(cli: Any, market: Any) -> None:
    result = cli("gtt", "create", "BUY", "SBIN", "--qty", "2", "--trigger", "780",
                 "--price", "781", "--dry-run", "--json")  # fmt: skip

    assert result.code == 0, result.both
    doc = result.json()
    assert doc["dry_run"] is True and doc["request"]["triggerprice"] == "780"
    assert doc["request"]["qty"] == "2" and doc["request"]["symboltoken"] == "3045"
    assert gtt_calls(market) == []


def test_no_prompt_without_a_terminal_and_no_yes(cli: Any, market: Any) -> None:
    result = cli("gtt", "create", "BUY", "SBIN", "--qty", "1", "--trigger", "780",
                 "--price", "781")  # fmt: skip

    assert result.code == ExitStatus.USAGE and "--yes" in result.err
    assert gtt_calls(market) == []


# ------------------------------------------------------------------------ pre-trade checks


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["SBIN", "--qty", "1", "--trigger", "780.03", "--price", "781"], "tick"),
        (["SBIN", "--qty", "1", "--trigger", "780", "--price", "781.07"], "tick"),
        (["NIFTY FUT", "--qty", "64", "--trigger", "1", "--price", "1"], "multiple of the lot"),
        (["NIFTY FUT", "--lots", "40", "--trigger", "1", "--price", "1"], "cannot be sliced"),
        (["SBIN", "--qty", "11", "--trigger", "780", "--price", "781"], "max_quantity"),
        (["SBIN", "--qty", "1", "--trigger", "780", "--price", "781", "--days", "400"], "--days"),
    ],
)
def test_static_checks_refuse_before_any_gtt_call(
    cli: Any, market: Any, args: list[str], expected: str
) -> None:
    from angelctl.config import config_path
    from angelctl.config_edit import write_profile_values

    if expected == "max_quantity":
        write_profile_values(config_path(), "sandbox", {"risk": {"max_quantity": 10}})

    result = create(cli, "BUY", *args)

    assert result.code == ExitStatus.USAGE, result.both
    assert expected in result.err
    assert gtt_calls(market) == []


# ---------------------------------------------------------------------- kill-switch gate


def test_create_is_refused_with_14_and_nothing_reaches_the_sandbox(cli: Any, market: Any) -> None:
    before = len(requests_seen(market))
    engage_latch()

    result = cli("gtt", "create", "BUY", "SBIN", "--qty", "1", "--trigger", "780",
                 "--price", "781", "--yes", "--json")  # fmt: skip

    assert result.code == ExitStatus.KILL_SWITCH, result.both
    assert result.json()["error"]["exit_status"] == 14
    assert "kill switch is engaged" in result.err
    assert len(requests_seen(market)) == before
    assert sandbox_rules(market) == []


def test_a_latched_modify_may_lower_the_quantity_but_not_raise_it(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)
    engage_latch()

    raised = cli("gtt", "modify", rule_id, "--qty", "9", "--yes")
    repriced = cli("gtt", "modify", rule_id, "--price", "845", "--yes")
    lowered = cli("gtt", "modify", rule_id, "--qty", "3", "--yes")

    assert raised.code == ExitStatus.KILL_SWITCH, raised.both
    assert repriced.code == ExitStatus.KILL_SWITCH, repriced.both
    assert lowered.code == 0, lowered.both
    assert gtt_calls(market).count("modifyRule") == 1
    assert sandbox_rules(market)[0]["qty"] == 3


def test_a_latched_cancel_still_goes_through(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)
    engage_latch()

    result = cli("gtt", "cancel", rule_id, "--yes")

    assert result.code == 0, result.both
    assert sandbox_rules(market)[0]["status"] == "CANCELLED"


def test_the_kill_switch_core_finds_and_cancels_working_rules(cli: Any, market: Any) -> None:
    """What ``risk.killswitch`` relies on: ``list_rules`` then ``cancel_rule`` per rule."""
    from angelctl.broker import gtt
    from angelctl.cli.common import open_session
    from angelctl.config import load_config_file, resolve_profile

    first, second = sell_rule(cli), sell_rule(cli, "--days", "30")
    session = open_session(resolve_profile(load_config_file(), "sandbox"))
    try:
        working = gtt.list_rules(session)
        for rule in working:
            gtt.cancel_rule(session, rule)
        left = gtt.list_rules(session)
        thirty = gtt.rule_details(session, second)
    finally:
        session.rest.close()

    assert [r.rule_id for r in working] == [second, first]
    assert left == []
    assert thirty.status == "CANCELLED" and thirty.time_period == 30


# ------------------------------------------------------------- bad numbers are usage errors


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--price", "1e400", "not a price"),
        ("--price", "-0", "must be above 0"),
        ("--price", "８３９", "not a price"),
        ("--trigger", "1e400", "not a price"),
        ("--trigger", "-0", "must be above 0"),
        ("--trigger", "", "is empty"),
        ("--trigger", "NaN", "not a price"),
        ("--qty", "５", "whole number"),
        ("--qty", "99999999999999999999", "whole number"),
        ("--days", "99999999999999999999", "whole number"),
        ("--days", "３０", "whole number"),
        ("--disclosed", "-1", "whole number"),
    ],
)
def test_create_refuses_numbers_that_are_not_plain_finite_and_in_range(
    cli: Any, market: Any, flag: str, value: str, message: str
) -> None:
    values = {"--qty": "5", "--trigger": "840", "--price": "839"}
    values[flag] = value
    result = create(cli, "SELL", "SBIN", *[part for pair in values.items() for part in pair])
    assert result.code == ExitStatus.USAGE, result.both
    assert message in result.err and flag in result.err
    assert result.json()["error"]["exit_status"] == ExitStatus.USAGE
    assert gtt_calls(market) == []


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--price", "1e400"), ("--trigger", "-0"), ("--qty", "５"), ("--days", "1" * 30)],
)
def test_modify_refuses_bad_numbers_before_any_gtt_call(
    cli: Any, market: Any, flag: str, value: str
) -> None:
    rule_id = sell_rule(cli)
    before = gtt_calls(market)
    result = cli("gtt", "modify", rule_id, flag, value, "--yes", "--json")
    assert result.code == ExitStatus.USAGE, result.both
    assert flag in result.err
    assert gtt_calls(market) == before
