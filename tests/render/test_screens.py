"""The operator's screen: every table-producing command, on a real pseudo-terminal at 80 and
120 columns, read back through a VT100 screen model (pyte), against a sandbox holding real
data (open, triggered and filled orders, a short and a long position, a GTT rule).

What a person sees is asserted: no price, quantity, order id or symbol is ever cut to ``…``
(every order id and symbol appears in full), one row per order, Indian digit grouping and no
Western grouping, and ``IST`` on every screen that shows a time. The count of tables walked is
asserted too, so a command that stops drawing a table fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pyte
import pytest

from angelctl.config import state_dir
from angelctl.risk.latch import Latch, latch_folder
from tests.conftest import Terminal, admin

WESTERN = re.compile(r"\d,\d{3},\d{3}")  # 250,000 style: three-digit groups above a lakh
INDIAN = re.compile(r"\d{1,2},\d{2},\d{3}\.\d{2}")  # ₹2,50,000.00


def screen_of(args: tuple[str, ...], columns: int) -> list[str]:
    screen = pyte.Screen(columns, 400)
    stream = pyte.ByteStream(screen)
    with Terminal(*args) as term:
        stream.feed(term.read_to_end())
        assert term.exit_code() == 0, "\n".join(screen.display)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


OPTION = "SBIN29DEC261000CE"  # a long F&O symbol beside the short equity one


@pytest.fixture
def book(sandbox: Any, sandbox_login: Any, cli: Any) -> dict[str, Any]:
    """A day's trading: fills making a long and a short, an open limit, a stop waiting for its
    trigger, a GTT rule, and the kill switch's latch engaged (so its time is on screen)."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    assert cli("instruments", "sync").code == 0
    option = cli("quote", OPTION, "--json").json()["quotes"][0]
    for args in (
        ("BUY", "SBIN", "--qty", "100", "--price", "805"),  # fills at 800: a long
        ("SELL", "SBIN", "--qty", "250", "--price", "795", "--product", "INTRADAY"),  # a short
        ("BUY", "SBIN", "--qty", "2", "--price", "760.10"),  # open: below the market
        ("SELL", "SBIN", "--qty", "3", "--type", "STOPLOSS_LIMIT", "--price", "769",
         "--trigger", "770"),  # trigger pending
        ("BUY", OPTION, "--lots", "2", "--price", option["ltp"]),
    ):  # fmt: skip
        result = cli("order", "place", *args, "--yes", "--json")
        assert result.code == 0, result.both
    rule = cli("gtt", "create", "SBIN", "--side", "SELL", "--qty", "5", "--trigger", "840",
               "--price", "839", "--yes", "--json")  # fmt: skip
    assert rule.code == 0, rule.both
    orders = cli("order", "list", "--json").json()["orders"]
    Latch(latch_folder(state_dir()), "sandbox").engage("screen test", at="2026-12-07T04:30:00Z")
    return {"orders": orders, "rule": rule.json()["id"]}


def commands(data: dict[str, Any]) -> list[tuple[str, ...]]:
    order_id = data["orders"][0]["order_id"]
    return [
        ("order", "list"),
        ("order", "status", order_id),
        ("positions",),
        ("positions", "--all"),
        ("holdings",),
        ("funds",),
        ("trades",),
        ("journal",),
        ("gtt", "list"),
        ("gtt", "show", str(data["rule"])),
        ("instruments", "search", "SBIN"),
        ("instruments", "show", OPTION),
        ("instruments", "info"),
        ("calendar", "status"),
        ("calendar", "holidays"),
        ("killswitch", "status"),
        ("config", "show"),
        ("whoami",),
        ("doctor",),
        ("quote", "SBIN", OPTION, "--mode", "FULL"),
    ]


CLOCK = re.compile(r"\b\d\d:\d\d\b")  # a time of day on screen
FREE_TEXT = {("doctor",)}  # the doctor's detail is prose: the one column that may be cut to fit


@pytest.mark.parametrize("columns", [80, 120])
def test_every_table_fits_without_cutting_data(
    book: dict[str, Any], columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    screens = {args: screen_of(args, columns) for args in commands(book)}
    for args, lines in screens.items():
        print(f"\n$ angelctl {' '.join(args)}  ({columns} columns)\n" + "\n".join(lines))
    elided = [(a, line) for a, lines in screens.items() for line in lines if "…" in line]
    assert [(a, line) for a, line in elided if a not in FREE_TEXT] == []
    western = [(a, line) for a, lines in screens.items() for line in lines if WESTERN.search(line)]
    assert western == []
    for args, lines in screens.items():
        assert all(len(line) <= columns for line in lines), args
        assert lines, args
        if any(CLOCK.search(line) for line in lines):  # a time on screen says it is IST
            assert any("IST" in line for line in lines), args
    # one row per order, every id and symbol in full, the status in words
    listed = screens[("order", "list")]
    for order in book["orders"]:
        (row,) = [line for line in listed if order["order_id"] in line.split()]
        assert order["symbol"] in row.split()
    assert any("trig pend" in line for line in listed)
    assert any(INDIAN.search(line) for line in screens[("funds",)])
    assert any(OPTION in line for line in screens[("positions",)])
    assert any("IST" in line and "ENGAGED" in line for line in screens[("killswitch", "status")])
    tables = sum(1 for lines in screens.values() for line in lines if set(line) == {"─"})
    print(f"tables walked at {columns} columns: {len(screens)} commands, {tables} tables")
    assert len(screens) == 20 and tables >= 15
