"""Trades, positions and holdings: parsers on the documented and captured row shapes, the views,
and ``angelctl trades|positions|holdings`` against fills made in the sandbox.

The truncated getHolding row is Angel's own forum example (forum_and_issue_captures_smartapi.json,
smartapi.angelbroking.com topic 4006; attribution in tests/realdata/SOURCES.md).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from rich.console import Console

from angelctl.broker.envelope import RawResponse, parse_envelope
from angelctl.broker.portfolio import (
    Holdings,
    HoldingTotals,
    parse_holdings,
    parse_positions,
    position_totals,
)
from angelctl.broker.trades import parse_trades
from angelctl.errors import UnparseableResponse
from angelctl.render.portfolio import holdings_table, positions_table, trades_table
from tests.conftest import REALDATA, admin

# The documented position row (docs/protocol.md#row-shapes): every value a string, netvalue
# "- 2235.80".
DOCS_POSITION = {
    "exchange": "NSE",
    "symboltoken": "2885",
    "producttype": "DELIVERY",
    "tradingsymbol": "RELIANCE-EQ",
    "symbolname": "RELIANCE",
    "instrumenttype": "",
    "priceden": "1",
    "pricenum": "1",
    "genden": "1",
    "gennum": "1",
    "precision": "2",
    "multiplier": "-1",
    "boardlotsize": "1",
    "buyqty": "1",
    "sellqty": "0",
    "buyamount": "2235.80",
    "sellamount": "0",
    "symbolgroup": "EQ",
    "strikeprice": "-1",
    "optiontype": "",
    "expirydate": "",
    "lotsize": "1",
    "cfbuyqty": "0",
    "cfsellqty": "0",
    "cfbuyamount": "0",
    "cfsellamount": "0",
    "buyavgprice": "2235.80",
    "sellavgprice": "0",
    "avgnetprice": "2235.80",
    "netvalue": "- 2235.80",
    "netqty": "1",
    "totalbuyvalue": "2235.80",
    "totalsellvalue": "0",
    "cfbuyavgprice": "0",
    "cfsellavgprice": "0",
    "totalbuyavgprice": "2235.80",
    "totalsellavgprice": "0",
    "netprice": "2235.80",
}

FLAT_POSITION = {
    **DOCS_POSITION,
    "tradingsymbol": "SBIN-EQ",
    "symboltoken": "3045",
    "producttype": "INTRADAY",
    "buyqty": "10",
    "sellqty": "10",
    "netqty": "0",
    "buyavgprice": "800.00",
    "sellavgprice": "801.50",
    "realised": "15.00",
    "unrealised": "0.00",
    "pnl": "15.00",
    "ltp": "802.10",
    "close": "795.00",
}


def render(renderable: Any) -> str:
    console = Console(file=StringIO(), width=100, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def envelope_data(route: str, document: dict[str, Any]) -> Any:
    return parse_envelope(route, RawResponse(200, {}, json.dumps(document).encode()))


# ------------------------------------------------------------------------------- parsers


def test_documented_position_row_parses_with_spaced_signs() -> None:
    (p,) = parse_positions([{**DOCS_POSITION, "pnl": "- 13.75", "unrealised": "- 13.75"}])
    assert (p.exchange, p.token, p.symbol, p.product) == ("NSE", "2885", "RELIANCE-EQ", "DELIVERY")
    assert (p.net_qty, p.buy_qty, p.sell_qty, p.day_net_qty) == (1, 1, 0, 1)
    assert p.buy_avg == Decimal("2235.80") and p.net_price == Decimal("2235.80")
    assert p.pnl == Decimal("-13.75") and p.unrealised == Decimal("-13.75")
    assert p.realised == 0 and p.is_open


def test_a_row_without_pnl_totals_realised_and_unrealised() -> None:
    (p,) = parse_positions([{**DOCS_POSITION, "realised": "10", "unrealised": "- 4.5"}])
    assert p.pnl == Decimal("5.5")


def test_empty_books_are_null_on_the_wire() -> None:
    document = {"status": True, "message": "SUCCESS", "errorcode": "", "data": None}
    assert parse_positions(envelope_data("getPosition", document)) == []
    assert parse_trades(envelope_data("getTradeBook", document), date(2026, 12, 7)) == []
    empty = parse_holdings(envelope_data("getAllHolding", document))
    assert empty.rows == [] and empty.totals.pnl == 0
    assert parse_holdings({"holdings": None, "totalholding": None}).rows == []


def test_a_book_that_is_not_a_list_is_a_broker_error() -> None:
    with pytest.raises(UnparseableResponse):
        parse_positions({"netqty": "1"})


def test_trade_rows_parse_string_quantities() -> None:
    (t,) = parse_trades(
        [
            {
                "exchange": "NSE",
                "producttype": "DELIVERY",
                "tradingsymbol": "ITC-EQ",
                "instrumenttype": "",
                "symbolgroup": "EQ",
                "strikeprice": "-1",
                "optiontype": "",
                "expirydate": "",
                "marketlot": "1",
                "precision": "2",
                "multiplier": "-1",
                "tradevalue": "175.00",
                "transactiontype": "BUY",
                "fillprice": "175.00",
                "fillsize": "1",
                "orderid": "201020000000095",
                "fillid": "50005750",
                "filltime": "13:27:53",
            }
        ],
        date(2026, 12, 7),
    )
    assert (t.side, t.quantity, t.price, t.value) == ("BUY", 1, Decimal("175.00"), Decimal("175"))
    assert (t.order_id, t.fill_id, t.fill_time_text) == ("201020000000095", "50005750", "13:27:53")
    # the broker sends the time of day only: the fill is on the day the book was read, in IST
    assert t.fill_time is not None and t.fill_time.isoformat() == "2026-12-07T13:27:53+05:30"


def test_a_fill_time_that_is_not_a_time_is_kept_as_text_and_has_no_moment() -> None:
    (t,) = parse_trades([{"fillsize": "1", "fillprice": "1", "filltime": "soon"}], date(2026, 1, 2))
    assert (t.fill_time, t.fill_time_text) == (None, "soon")
    (dated,) = parse_trades(
        [{"fillsize": "1", "fillprice": "1", "filltime": "07-Dec-2026 09:15:02"}], date(2026, 1, 2)
    )
    assert dated.fill_time is not None
    assert dated.fill_time.isoformat() == "2026-12-07T09:15:02+05:30"


def test_angels_holding_example_parses_with_null_collateral() -> None:
    items = json.loads(
        (REALDATA / "responses" / "forum_and_issue_captures_smartapi.json").read_text()
    )
    text = next(i["text"] for i in items["items"] if i["endpoint"].startswith("getHolding"))
    # The stored excerpt stops after "haircut"; close the object where it was cut.
    row = json.loads(text.rstrip().rstrip(",") + "}")
    holdings = parse_holdings([row])
    (h,) = holdings.rows
    assert (h.symbol, h.exchange, h.isin, h.product) == (
        "TATASTEEL-EQ",
        "NSE",
        "INE081A01020",
        "DELIVERY",
    )
    assert (h.quantity, h.realised_quantity, h.t1_quantity, h.collateral_quantity) == (2, 2, 0, 0)


def test_all_holding_totals_come_from_the_broker() -> None:
    data = {
        "holdings": [
            {
                "tradingsymbol": "TATASTEEL-EQ",
                "exchange": "NSE",
                "isin": "INE081A01020",
                "t1quantity": 0,
                "realisedquantity": 2,
                "quantity": 2,
                "authorisedquantity": 0,
                "product": "DELIVERY",
                "collateralquantity": None,
                "collateraltype": None,
                "haircut": 0,
                "averageprice": 111.87,
                "ltp": 130.15,
                "symboltoken": "3499",
                "close": 129.6,
                "profitandloss": 37,
                "pnlpercentage": 16.34,
            }
        ],
        "totalholding": {
            "totalholdingvalue": 5294,
            "totalinvvalue": 5116,
            "totalprofitandloss": 178.14,
            "totalpnlpercentage": 3.48,
        },
    }
    holdings = parse_holdings(data)
    assert holdings.rows[0].average_price == Decimal("111.87")
    assert holdings.rows[0].value == Decimal("260.30")
    assert holdings.totals == HoldingTotals(
        Decimal("5294"), Decimal("5116"), Decimal("178.14"), Decimal("3.48")
    )


# ----------------------------------------------------------------------------------- views


def test_positions_view_hides_flat_rows_but_totals_cover_them() -> None:
    positions = parse_positions([{**DOCS_POSITION, "unrealised": "- 13.75"}, FLAT_POSITION])
    totals = position_totals(positions)
    assert (totals.realised, totals.unrealised, totals.pnl) == (
        Decimal("15.00"),
        Decimal("-13.75"),
        Decimal("1.25"),
    )
    text = render(positions_table(positions, totals, width=100))
    assert "RELIANCE-EQ" in text and "SBIN-EQ" not in text
    assert "total (all 2)" in text and "+1.25" in text and "-13.75" in text
    assert "1 flat hidden (--all shows them)" in text
    everything = render(positions_table(positions, totals, show_flat=True, width=100))
    # both averages, each in its own column: bought at 800.00, sold at 801.50
    assert "SBIN-EQ" in everything and "800.00" in everything and "801.50" in everything


def test_empty_views_say_so() -> None:
    assert render(positions_table([], position_totals([]))).strip() == "No positions."
    assert render(trades_table([])).strip() == "No trades today."
    empty = Holdings([], HoldingTotals.from_rows([]))
    assert render(holdings_table(empty)).strip() == "No holdings."


def test_narrow_terminals_hide_columns_instead_of_cutting_numbers() -> None:
    positions = parse_positions([{**FLAT_POSITION, "netqty": "5", "buyqty": "15"}])
    text = render(positions_table(positions, position_totals(positions), width=60))
    assert "…" not in text and "hidden to fit the terminal" in text
    assert "+15.00" in text


# --------------------------------------------------------------------- against the sandbox


def place(
    session: Any,
    side: str,
    qty: int,
    price: str,
    symbol: str = "SBIN-EQ",
    token: str = "3045",
    product: str = "INTRADAY",
) -> str:
    data = session.call(
        "placeOrder",
        {
            "variety": "NORMAL",
            "tradingsymbol": symbol,
            "symboltoken": token,
            "transactiontype": side,
            "exchange": "NSE",
            "ordertype": "LIMIT",
            "producttype": product,
            "duration": "DAY",
            "price": price,
            "quantity": str(qty),
        },
    )
    return str(data["orderid"])


@pytest.fixture
def broker(sandbox: Any, sandbox_login: Any) -> Any:
    """The CLI profile's own session (its cached tokens: no second login, no TOTP reuse)."""
    from angelctl.broker.api import build_session
    from angelctl.config import load_config_file, resolve_profile

    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    session = build_session(resolve_profile(load_config_file(), "sandbox"))
    yield session
    session.rest.close()


def assert_complete(sandbox: Any, count: int) -> None:
    """The paper engine fills a marketable order inside the placeOrder call (no OMS latency)."""
    orders = admin(sandbox, "GET", "orders")
    rows = orders["orders"] if isinstance(orders, dict) else orders
    assert [o["status"] for o in rows] == ["complete"] * count, rows


def test_empty_books_render_as_none_and_exit_0(cli: Any, broker: Any) -> None:
    positions = cli("positions")
    assert positions.code == 0, positions.both
    assert positions.out.strip() == "No positions."
    assert cli("trades").out.strip() == "No trades today."
    as_json = cli("positions", "--json")
    assert as_json.code == 0 and as_json.json()["positions"] == []
    assert as_json.json()["totals"]["pnl"] == "0"


def test_fills_show_up_in_trades_and_positions(cli: Any, sandbox: Any, broker: Any) -> None:
    place(broker, "BUY", 10, "801")  # fills at the LTP, 800
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="810")
    place(broker, "SELL", 4, "809")  # fills at the LTP, 810
    assert_complete(sandbox, 2)
    trades = cli("trades", "--json")
    assert trades.code == 0, trades.both
    rows = trades.json()["trades"]
    assert [(t["side"], t["quantity"], Decimal(t["price"])) for t in rows] == [
        ("BUY", 10, 800),
        ("SELL", 4, 810),
    ]
    assert all(t["symbol"] == "SBIN-EQ" and t["order_id"] for t in rows)

    positions = cli("positions", "--json")
    assert positions.code == 0, positions.both
    doc = positions.json()
    (p,) = doc["positions"]
    assert (p["symbol"], p["net_qty"], p["day_buy_qty"], p["day_sell_qty"]) == ("SBIN-EQ", 6, 10, 4)
    assert Decimal(p["buy_avg"]) == 800 and Decimal(p["sell_avg"]) == 810
    assert (Decimal(p["realised"]), Decimal(p["unrealised"]), Decimal(p["pnl"])) == (40, 60, 100)
    assert Decimal(doc["totals"]["pnl"]) == 100 and doc["totals"]["open"] == 1
    table = cli("positions")
    assert "NSE:SBIN-EQ" in table.out and "+6" in table.out and "+100.00" in table.out
    (row,) = [line.split() for line in table.out.splitlines() if "SBIN-EQ" in line]
    assert row[3:7] == ["10", "800.00", "4", "810.00"]  # bought 10 at 800, sold 4 at 810
    trades_table = cli("trades")
    assert "2 fills" in trades_table.out and "BUY" in trades_table.out


def test_closed_positions_need_all(cli: Any, sandbox: Any, broker: Any) -> None:
    place(broker, "BUY", 5, "801")
    place(broker, "SELL", 5, "799")
    assert_complete(sandbox, 2)
    default = cli("positions", "--json").json()
    assert default["positions"] == [] and default["totals"]["flat"] == 1
    everything = cli("positions", "--all", "--json").json()
    assert [p["net_qty"] for p in everything["positions"]] == [0]
    assert Decimal(everything["totals"]["realised"]) == Decimal(
        everything["positions"][0]["realised"]
    )
    shown = cli("positions")
    assert "1 flat hidden" in shown.out


def test_holdings_with_totals(cli: Any, sandbox: Any, broker: Any) -> None:
    result = cli("holdings", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert set(doc) == {"ok", "schema", "profile", "holdings", "totals"}
    assert doc["schema"] == "holdings/1"
    assert set(doc["totals"]) == {"value", "invested", "pnl", "pnl_percent"}
    for h in doc["holdings"]:
        assert h["quantity"] >= 0 and Decimal(h["average_price"]) >= 0
    wire = broker.call("getAllHolding")["totalholding"]
    assert Decimal(doc["totals"]["invested"]) == Decimal(str(wire["totalinvvalue"]))
    assert {h["symbol"] for h in doc["holdings"]} == {
        r["tradingsymbol"] for r in broker.call("getAllHolding")["holdings"]
    }
    table = cli("holdings")
    assert table.code == 0
    assert ("total" in table.out) if doc["holdings"] else table.out.strip() == "No holdings."
