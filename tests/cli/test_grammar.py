"""One grammar (issue 15 item 6), through the real CLI against the sandbox: SIDE SYMBOL for
every order-like thing, `show` for one object, the same confirmation for every write, --quiet
leaving a write's ids only, size errors naming options that exist, ids accepted as shown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from angelctl.status import ExitStatus
from tests.conftest import Result, admin, requests_seen

GTT = ("--qty", "5", "--trigger", "840", "--price", "839")


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    """A logged-in sandbox profile with a still market: SBIN at ₹800."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    return sandbox


def _resting(cli: Any, *extra: str) -> str:
    placed = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780", "--yes",
                 "--json", *extra)  # fmt: skip
    assert placed.code == 0, placed.both
    order_id: str = placed.json()["orders"][0]["order_id"]
    return order_id


def _calls(sandbox: Any, route: str) -> int:
    return sum(1 for r in requests_seen(sandbox) if r["route"] == route)


def test_gtt_create_takes_side_then_symbol_like_order_place(cli: Any, market: Any) -> None:
    shown = cli("gtt", "create", "SELL", "SBIN", *GTT, "--dry-run", "--json")
    assert shown.code == 0, shown.both
    doc = shown.json()
    assert doc["order"]["side"] == "SELL" and doc["order"]["symbol"].startswith("SBIN")
    created = cli("gtt", "create", "SELL", "SBIN", *GTT, "--yes", "--json")
    assert created.code == 0, created.both
    assert created.json()["order"]["side"] == "SELL"


def test_the_older_side_option_still_works_with_a_notice_quiet_silences(
    cli: Any, market: Any
) -> None:
    old = cli("gtt", "create", "SBIN", "--side", "SELL", *GTT, "--dry-run", "--json")
    assert old.code == 0, old.both
    assert old.json()["order"]["side"] == "SELL"
    assert "--side is deprecated: write `angelctl gtt create SELL SBIN …`" in old.err
    quiet = cli("-q", "gtt", "create", "SBIN", "--side", "SELL", *GTT, "--dry-run", "--json")
    assert quiet.code == 0 and quiet.err == ""
    twice = cli("gtt", "create", "SELL", "SBIN", "--side", "SELL", *GTT, "--dry-run")
    assert twice.code == ExitStatus.USAGE and "given twice" in twice.err
    assert "--side" not in cli("gtt", "create", "-h").out  # hidden


def test_order_show_is_one_order_and_status_stays_an_alias(cli: Any, market: Any) -> None:
    order_id = _resting(cli)
    shown = cli("order", "show", order_id, "--json")
    assert shown.code == 0, shown.both
    assert shown.json()["order_id"] == order_id and shown.json()["status"] == "open"
    alias = cli("order", "status", order_id, "--json")
    assert alias.code == 0 and alias.json()["order_id"] == order_id
    listed = cli("order", "-h").out
    assert re.search(r"^\s+show\s", listed, re.M) and not re.search(r"^\s+status\s", listed, re.M)


def test_order_cancel_asks_like_every_write(cli: Any, market: Any) -> None:
    order_id = _resting(cli)
    refused = cli("order", "cancel", order_id)
    assert refused.code == ExitStatus.USAGE, refused.both
    assert refused.err.splitlines() == [
        "error: refusing to act on orders without confirmation",
        "hint: pass --yes in scripts (nothing was sent)",
    ]
    assert _calls(market, "cancelOrder") == 0
    assert cli("order", "show", order_id, "--json").json()["status"] == "open"
    assert cli("order", "cancel", order_id, "--yes").code == 0
    assert _calls(market, "cancelOrder") == 1
    again = cli("order", "cancel", order_id)  # nothing to send: nothing to confirm
    assert again.code == 0 and "already cancelled" in again.err


def test_declining_an_order_cancel_on_a_terminal_exits_18(market: Any) -> None:
    from tests.cli.test_cli_process import _decline
    from tests.conftest import run_cli

    order_id = _resting(run_cli)
    code, screen = _decline("order", "cancel", order_id, question=b"Send it?")
    assert code == ExitStatus.DECLINED, screen
    assert f"Cancel order {order_id}: BUY 1 NSE:SBIN-EQ LIMIT @ 780" in screen
    assert _calls(market, "cancelOrder") == 0


def test_quiet_leaves_only_the_ids_a_write_made(cli: Any, market: Any) -> None:
    placed = cli("-q", "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780", "--yes")
    assert placed.code == 0 and placed.err == "", placed.both
    order_id = placed.out.strip()
    assert re.fullmatch(r"\d+", order_id), placed.out
    loud = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "781", "--yes")
    assert loud.out.startswith("Order ") and " placed, tag " in loud.out
    modified = cli("-q", "order", "modify", order_id, "--price", "782", "--yes")
    assert (modified.code, modified.out, modified.err) == (0, order_id + "\n", "")
    cancelled = cli("order", "cancel", order_id, "--yes", "-q")
    assert (cancelled.code, cancelled.out, cancelled.err) == (0, order_id + "\n", "")
    rule = cli("-q", "gtt", "create", "SELL", "SBIN", *GTT, "--yes")
    assert rule.code == 0 and rule.err == "" and re.fullmatch(r"\S+\n", rule.out), rule.both
    rule_id = rule.out.strip()
    assert cli("-q", "gtt", "cancel", rule_id, "--yes").out == rule_id + "\n"


def _options_of(*path: str) -> set[str]:
    import typer.main

    from angelctl.cli.app import full_app

    command: Any = typer.main.get_command(full_app())
    for word in path:
        command = command.commands[word]
    return {name for param in command.params for name in getattr(param, "opts", [])}


@pytest.mark.parametrize(
    ("path", "args"),
    [
        (("order", "place"), ["BUY", "SBIN", "--price", "780", "--yes"]),
        (("order", "place"), ["BUY", "SBIN", "--qty", "1", "--lots", "1", "--price", "780"]),
        (("gtt", "create"), ["SELL", "SBIN", "--trigger", "840", "--price", "839", "--yes"]),
        (("order", "modify"), ["@ORDER", "--qty", "2", "--lots", "1", "--yes"]),
    ],
)
def test_size_errors_name_only_options_that_exist(
    cli: Any, market: Any, path: tuple[str, ...], args: list[str]
) -> None:
    if "@ORDER" in args:
        args = [_resting(cli) if a == "@ORDER" else a for a in args]
    result: Result = cli(*path, *args)
    assert result.code == ExitStatus.USAGE, result.both
    named = set(re.findall(r"--[a-z][a-z-]*", result.err))
    assert named and named <= _options_of(*path), (named, result.err)


def test_ids_are_accepted_as_shown(cli: Any, market: Any, monkeypatch: Any) -> None:
    first, second = _resting(cli), _resting(cli)
    monkeypatch.setenv("COLUMNS", "200")
    table = cli("journal").out
    intent = cli("journal", "--json").json()["intents"][0]["intent_id"]
    assert intent[:12] in table  # what the journal prints …
    events = cli("journal", "--intent", intent[:12], "--json")  # … works when typed back
    assert events.code == 0, events.both
    assert events.json()["intent"]["intent_id"] == intent
    common = len(re.match(r"\d*", "".join(a for a, b in zip(first, second, strict=True)
                                          if a == b)).group())  # fmt: skip
    prefix = first[: common + 1]  # unique: one more digit than the ids share
    shown = cli("order", "show", prefix, "--json")
    assert shown.code == 0 and shown.json()["order_id"] == first, shown.both
    ambiguous = cli("order", "show", first[:common])
    assert ambiguous.code == ExitStatus.USAGE
    assert f"order id '{first[:common]}' is ambiguous: 2 match" in ambiguous.err
    assert first in ambiguous.err and second in ambiguous.err
    missing = cli("journal", "--intent", "zz-not-an-intent")
    assert missing.code == ExitStatus.USAGE and "no intent" in missing.err
