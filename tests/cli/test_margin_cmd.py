"""``angelctl margin`` against the sandbox: one order, a basket file (a vertical spread earns a
hedge benefit, unrelated legs none), basket errors naming their line, the 50-order limit, the
charges, and that nothing is placed or journalled."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from angelctl.config import state_dir
from angelctl.status import ExitStatus
from tests.conftest import admin, requests_seen, sandbox_admin


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    return sandbox


def calls(sandbox: Any) -> list[str]:
    return [r["route"] for r in requests_seen(sandbox)]


def two_calls(sandbox: Any) -> tuple[str, str]:
    """Two NIFTY calls of the nearest expiry, 500 apart: (lower strike, higher strike)."""
    rows = sandbox_admin(
        sandbox, "GET", "instruments",
        params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "OPTIDX"},
    )["rows"]  # fmt: skip
    ces = [r for r in rows if r["symbol"].endswith("CE")]
    expiry = min(ces, key=lambda r: r["symbol"])["expiry"]
    by_strike = {Decimal(r["strike"]) / 100: r["symbol"] for r in ces if r["expiry"] == expiry}
    low = min(k for k in by_strike if k + 500 in by_strike)
    return by_strike[low], by_strike[low + 500]


def basket(tmp_path: Path, text: str) -> str:
    path = tmp_path / "basket.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_one_order_is_priced_and_nothing_is_placed(cli: Any, market: Any) -> None:
    result = cli("margin", "BUY", "SBIN", "--qty", "10", "--json")

    assert result.code == 0, result.both
    doc = json.loads(result.out)
    assert doc["schema"] == "margin/1"
    assert doc["basket"]["total"] == doc["sum_of_legs"] == "8000.00"  # delivery: the full value
    assert doc["hedge_benefit"] == "0.00" and doc["fits"] is True
    assert doc["available_funds"] == "250000.00" and doc["charges"] is None
    (leg,) = doc["legs"]
    assert (leg["line"], leg["order"]["symbol"], leg["order"]["quantity"]) == (0, "SBIN-EQ", 10)
    routes = calls(market)
    assert "marginBatch" in routes and "placeOrder" not in routes
    assert not (state_dir() / "journal.sqlite3").exists()


def test_a_vertical_spread_earns_a_hedge_benefit(cli: Any, market: Any, tmp_path: Path) -> None:
    low, high = two_calls(market)
    path = basket(
        tmp_path,
        f"# a bear call spread\nSELL {low} --lots 2 --type LIMIT --price 300\n\n"
        f"BUY {high} --lots 2 --type LIMIT --price 100   # the hedge\n",
    )

    result = cli("margin", "--basket", path, "--json")

    assert result.code == 0, result.both
    doc = json.loads(result.out)
    assert [leg["line"] for leg in doc["legs"]] == [2, 4]
    total, alone = Decimal(doc["basket"]["total"]), Decimal(doc["sum_of_legs"])
    assert alone == sum(Decimal(leg["margin"]["total"]) for leg in doc["legs"])
    assert Decimal(doc["hedge_benefit"]) == alone - total > 0
    assert Decimal(doc["basket"]["benefit"]) > 0
    assert sum(r == "marginBatch" for r in calls(market)) == 3  # the basket, then each leg


def test_unrelated_legs_earn_nothing(cli: Any, market: Any, tmp_path: Path) -> None:
    low, _ = two_calls(market)
    path = basket(tmp_path, f"BUY SBIN --qty 10\nBUY {low} --lots 1 --price 100 --type LIMIT\n")

    result = cli("margin", "--basket", path, "--json", "--charges")

    assert result.code == 0, result.both
    doc = json.loads(result.out)
    assert doc["hedge_benefit"] == "0.00"
    assert doc["basket"]["total"] == doc["sum_of_legs"]
    assert Decimal(doc["charges"]["total"]) > 0
    assert "estimateCharges" in calls(market)


def test_the_screen_shows_legs_benefit_and_funds(cli: Any, market: Any, tmp_path: Path) -> None:
    low, high = two_calls(market)
    path = basket(tmp_path, f"SELL {low} --lots 1 --price 300 --type LIMIT\nBUY {high} --lots 1\n")

    result = cli("margin", "--basket", path)

    assert result.code == 0, result.both
    lines = result.out.splitlines()
    assert lines[0] == "Margin required"
    assert any(low in line and "1 lot of" in line for line in lines)
    fields = {line[:17].strip(): line[17:].strip() for line in lines if line[:1] != " "}
    assert fields["legs alone"].startswith("₹")
    assert fields["hedge benefit"].startswith("₹") and fields["hedge benefit"] != "₹0.00"
    assert fields["available funds"] == "₹2,50,000.00"
    assert fields["fits"] in ("yes",) or fields["fits"].startswith("no: ₹")
    assert lines[-1] == "Nothing was placed."


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("BUY SBIN --qty 1\n# fine\nBUY NOSUCHSYMBOLX --qty 1\n", 3, "NOSUCHSYMBOLX"),
        ("BUY SBIN --qty 1\nBUY SBIN --qty 1 --bogus\n", 2, "--bogus"),
        ("BUY SBIN --qty 1\nBUY SBIN --qty 1 --lots 2\n", 2, "exactly one"),
        ("BUY SBIN --qty 1\nBUY 'SBIN --qty 1\n", 2, "quotation"),
        ("  # only a comment\n\n", 0, "no orders"),
        ("SELL NIFTY 24500 CE --lots 1 --price 100\n", 1, "unexpected extra argument"),
    ],
)
def test_basket_errors_name_the_line(
    cli: Any, market: Any, tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = basket(tmp_path, text)

    result = cli("margin", "--basket", path)

    assert result.code == ExitStatus.USAGE, result.both
    first = next(line for line in result.err.splitlines() if line.startswith("error: "))
    assert says in first
    if line:
        assert f"line {line}:" in first
    if "unexpected" in says:  # a symbol with spaces, unquoted: the hint says what to write
        assert "hint: write each line as on the command line; quote a symbol" in result.err
    assert "marginBatch" not in calls(market)


def test_more_than_fifty_orders_is_a_usage_error(cli: Any, market: Any, tmp_path: Path) -> None:
    path = basket(tmp_path, "BUY SBIN --qty 1\n" * 51)

    result = cli("margin", "--basket", path)

    assert result.code == ExitStatus.USAGE
    assert "51 orders" in result.err and "at most 50" in result.err
    assert "marginBatch" not in calls(market)


def test_an_order_and_a_basket_together_is_a_usage_error(
    cli: Any, market: Any, tmp_path: Path
) -> None:
    path = basket(tmp_path, "BUY SBIN --qty 1\n")

    both = cli("margin", "BUY", "SBIN", "--qty", "1", "--basket", path)
    neither = cli("margin")

    assert (both.code, neither.code) == (ExitStatus.USAGE, ExitStatus.USAGE)
    assert "not both" in both.err and "--basket FILE" in neither.err


def test_without_type_a_price_makes_a_limit_and_none_a_market(cli: Any, market: Any) -> None:
    priced = cli("margin", "BUY", "SBIN", "--qty", "1", "--price", "790", "--json")
    bare = cli("margin", "BUY", "SBIN", "--qty", "1", "--json")

    assert (priced.code, bare.code) == (0, 0), priced.both + bare.both
    assert priced.json()["legs"][0]["order"]["order_type"] == "LIMIT"
    assert priced.json()["basket"]["total"] == "790.00"
    assert bare.json()["legs"][0]["order"]["order_type"] == "MARKET"
    assert bare.json()["basket"]["total"] == "800.00"  # valued at the LTP
