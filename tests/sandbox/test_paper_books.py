"""The books behind the fills: trade book, positions and P&L, funds (RMS) and margin, holdings,
position conversion — their exact row shapes, and ``data: null`` when a book is empty."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import REALDATA as ALL_REALDATA

from .conftest import (
    ALL_HOLDING,
    CONVERT_POSITION,
    HOLDING,
    ORDER_BOOK,
    PLACE_ORDER,
    POSITIONS,
    RMS,
    SBIN,
    SECOND,
    TRADE_BOOK,
    Broker,
    order_body,
)

REALDATA = ALL_REALDATA / "responses"
EMPTY = '{"status":true,"message":"SUCCESS","errorcode":"","data":null}'


def rms(broker: Broker, jwt: str, api_key: str = "sandbox-api-key") -> dict[str, str]:
    broker.clock.advance(1)
    data: dict[str, str] = broker.get(RMS, jwt, api_key=api_key).json()["data"]
    return data


def position(broker: Broker, jwt: str) -> dict[str, str]:
    (row,) = broker.read(POSITIONS, jwt)["data"]
    assert isinstance(row, dict)
    return row


def test_empty_books_are_data_null(broker: Broker) -> None:
    jwt = broker.tokens(SECOND).jwt
    key = SECOND.api_key

    texts = []
    for path in (ORDER_BOOK, TRADE_BOOK, POSITIONS, HOLDING):
        broker.clock.advance(1)
        texts.append(broker.get(path, jwt, api_key=key).text)
    broker.clock.advance(1)
    everything = broker.get(ALL_HOLDING, jwt, api_key=key).json()["data"]

    assert texts == [EMPTY] * 4
    assert everything == {
        "holdings": None,
        "totalholding": {
            "totalholdingvalue": 0.0,
            "totalinvvalue": 0.0,
            "totalprofitandloss": 0.0,
            "totalpnlpercentage": 0.0,
        },
    }


def test_books_belong_to_their_client(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801")
    theirs = broker.tokens(SECOND).jwt

    assert broker.get(ORDER_BOOK, theirs, api_key=SECOND.api_key).text == EMPTY
    assert len(broker.read(ORDER_BOOK, jwt)["data"]) == 1


def test_trade_rows_follow_the_live_shape(broker: Broker, jwt: str) -> None:
    """The documented keys and string quantities; fillprice, tradevalue and strikeprice are JSON
    numbers, as the live broker sends them."""
    orderid = broker.place_id(jwt, price="801", quantity="10", producttype="DELIVERY")

    (trade,) = broker.read(TRADE_BOOK, jwt)["data"]

    assert trade == {
        "exchange": "NSE",
        "producttype": "DELIVERY",
        "tradingsymbol": "SBIN-EQ",
        "instrumenttype": "",
        "symbolgroup": "EQ",
        "strikeprice": -1.0,
        "optiontype": "",
        "expirydate": "",
        "marketlot": "1",
        "precision": "2",
        "multiplier": "-1",
        "tradevalue": 8000.0,
        "transactiontype": "BUY",
        "fillprice": 800.0,
        "fillsize": "10",
        "orderid": orderid,
        "fillid": broker.order(orderid)["fillid"],
        "filltime": "10:00:30",
    }


def test_partial_fills_are_separate_trades(broker: Broker, jwt: str) -> None:
    broker.configure(fill_lots_per_step=2)
    orderid = broker.place_id(jwt, price="801", quantity="3")
    broker.step()

    trades = broker.read(TRADE_BOOK, jwt)["data"]

    assert [(t["fillsize"], t["fillprice"]) for t in trades] == [("2", 800.0), ("1", 801.0)]
    assert len({t["fillid"] for t in trades}) == 2 and {t["orderid"] for t in trades} == {orderid}
    assert broker.order(orderid)["averageprice"] == 800.33


def test_positions_show_day_and_net_quantities_and_pnl_as_strings(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801", quantity="10")
    broker.set_price("NSE", SBIN[1], "810")
    broker.place_id(jwt, transactiontype="SELL", price="809", quantity="4")
    broker.set_price("NSE", SBIN[1], "805")

    row = position(broker, jwt)

    assert all(isinstance(value, str) for value in row.values())
    assert {k: row[k] for k in ("buyqty", "sellqty", "netqty", "cfbuyqty", "cfsellqty")} == {
        "buyqty": "10",
        "sellqty": "4",
        "netqty": "6",
        "cfbuyqty": "0",
        "cfsellqty": "0",
    }
    assert (row["buyavgprice"], row["sellavgprice"], row["netprice"]) == (
        "800.00",
        "810.00",
        "800.00",
    )
    assert (row["buyamount"], row["sellamount"], row["netvalue"]) == (
        "8000.00",
        "3240.00",
        "-4760.00",
    )
    assert (row["realised"], row["unrealised"], row["pnl"]) == ("40.00", "30.00", "70.00")
    assert (row["ltp"], row["close"], row["symbolname"], row["producttype"]) == (
        "805.00",
        "800.00",
        "SBIN",
        "INTRADAY",
    )


def test_position_rows_carry_every_reference_field(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801")

    row = position(broker, jwt)

    assert list(row) == [
        "exchange", "symboltoken", "producttype", "tradingsymbol", "symbolname",
        "instrumenttype", "priceden", "pricenum", "genden", "gennum", "precision", "multiplier",
        "boardlotsize", "buyqty", "sellqty", "buyamount", "sellamount", "symbolgroup",
        "strikeprice", "optiontype", "expirydate", "lotsize", "cfbuyqty", "cfsellqty",
        "cfbuyamount", "cfsellamount", "buyavgprice", "sellavgprice", "avgnetprice", "netvalue",
        "netqty", "totalbuyvalue", "totalsellvalue", "cfbuyavgprice", "cfsellavgprice",
        "totalbuyavgprice", "totalsellavgprice", "netprice", "pnl", "realised", "unrealised",
        "ltp", "close",
    ]  # fmt: skip


def test_a_short_position_and_a_flat_one_stay_listed(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, transactiontype="SELL", price="799", quantity="5")
    broker.set_price("NSE", SBIN[1], "790")
    short = position(broker, jwt)
    broker.place_id(jwt, price="791", quantity="5")

    flat = position(broker, jwt)

    assert (short["netqty"], short["netprice"], short["unrealised"]) == ("-5", "800.00", "50.00")
    assert (flat["netqty"], flat["realised"], flat["unrealised"], flat["pnl"]) == (
        "0",
        "50.00",
        "0.00",
        "50.00",
    )


def test_funds_move_with_fills_and_with_margin_blocked_by_open_orders(
    broker: Broker, jwt: str
) -> None:
    start = rms(broker, jwt)
    resting = broker.place_id(jwt, price="790", quantity="100")  # 790 x 100 x 20 % blocked
    blocked = rms(broker, jwt)
    broker.place_id(jwt, price="801", quantity="50")  # 800 x 50 x 20 % in a position
    broker.set_price("NSE", SBIN[1], "804")
    filled = rms(broker, jwt)
    broker.post(
        "/rest/secure/angelbroking/order/v1/cancelOrder",
        {"variety": "NORMAL", "orderid": resting},
        jwt,
    )
    broker.place_id(jwt, transactiontype="SELL", price="804", quantity="50")  # closes it
    closed = rms(broker, jwt)

    assert (start["net"], start["availablecash"], start["utiliseddebits"]) == (
        "250000.00",
        "250000.00",
        "0.00",
    )
    assert (blocked["net"], blocked["utiliseddebits"]) == ("234200.00", "15800.00")
    assert (filled["utiliseddebits"], filled["m2munrealized"], filled["net"]) == (
        "23800.00",
        "200.00",
        "226400.00",
    )
    assert (closed["availablecash"], closed["m2mrealized"], closed["utiliseddebits"]) == (
        "250200.00",
        "200.00",
        "0.00",
    )
    assert closed["net"] == "250200.00"
    assert all(isinstance(value, str) for value in closed.values())


def test_an_exit_needs_no_margin_even_when_funds_are_short(broker: Broker) -> None:
    jwt = broker.tokens(SECOND).jwt  # 1000.50 of cash
    broker.freeze()
    broker.set_price("NSE", SBIN[1], "800")

    def place(**fields: str) -> str:
        reply = broker.post(PLACE_ORDER, order_body(**fields), jwt, api_key=SECOND.api_key)
        return str(reply.json()["data"]["orderid"])

    entry = place(price="801", quantity="6")  # 6 x 800 x 20 % = 960 of margin
    broker.set_price("NSE", SBIN[1], "700")  # a loss of 600: net funds are now negative
    exit_order = place(transactiontype="SELL", price="700", quantity="6")
    more = place(price="700", quantity="3")  # 420 of margin; 400.50 left after the loss

    assert broker.order(entry)["status"] == broker.order(exit_order)["status"] == "complete"
    assert broker.order(more)["text"] == (
        "Your order has been rejected due to Insufficient Funds. Available funds - Rs. 400.50 . "
        "You require Rs. 420.00 funds to execute this order."
    )


def test_a_delivery_sell_covered_by_holdings_blocks_no_margin(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, transactiontype="SELL", producttype="DELIVERY", price="810", quantity="20")
    covered = rms(broker, jwt)
    broker.place_id(jwt, transactiontype="SELL", producttype="DELIVERY", price="810", quantity="1")

    assert covered["utiliseddebits"] == "0.00"
    assert rms(broker, jwt)["utiliseddebits"] == "810.00"  # the 21st share is a short sale


def test_option_premium_and_futures_margin_are_reported_apart(broker: Broker, jwt: str) -> None:
    rows = broker.admin_get("/instruments", params={"name": "NIFTY", "instrumenttype": "OPTIDX"})[
        "rows"
    ]
    option = rows[0]
    future = broker.admin_get(
        "/instruments", params={"name": "BANKEX", "instrumenttype": "FUTIDX"}
    )["rows"][0]
    broker.set_price("NFO", option["token"], "10")
    broker.set_price("BFO", future["token"], "60000")

    for row, price in ((option, "10.5"), (future, "60000")):
        broker.place_id(
            jwt,
            exchange=row["exch_seg"],
            symboltoken=row["token"],
            tradingsymbol=row["symbol"],
            quantity=row["lotsize"],
            price=price,
            producttype="CARRYFORWARD",
        )
    funds = rms(broker, jwt)

    assert funds["utilisedoptionpremium"] == "650.00"  # 65 x 10
    assert funds["utilisedspan"] == "216000.00"  # 30 x 60000 x 12 %


# ------------------------------------------------------------------------------ holdings


def test_holdings_rows_follow_the_live_shape(broker: Broker, jwt: str) -> None:
    captures = json.loads((REALDATA / "forum_and_issue_captures_smartapi.json").read_text())
    truncated = next(i["text"] for i in captures["items"] if i["endpoint"].startswith("getHolding"))
    real_keys = [line.split('"')[1] for line in truncated.splitlines() if line.count('"') >= 2]

    rows = broker.read(HOLDING, jwt)["data"]

    sbin = rows[0]
    assert list(sbin)[: len(real_keys)] == real_keys
    assert sbin == {
        "tradingsymbol": "SBIN-EQ",
        "exchange": "NSE",
        "isin": "INE062A01020",
        "t1quantity": 0,
        "realisedquantity": 20,
        "quantity": 20,
        "authorisedquantity": 0,
        "product": "DELIVERY",
        "collateralquantity": None,
        "collateraltype": None,
        "haircut": 0.0,
        "averageprice": 980.5,
        "ltp": 800.0,
        "symboltoken": SBIN[1],
        "close": 800.0,
        "profitandloss": -3610.0,
        "pnlpercentage": -18.41,
    }
    assert [r["tradingsymbol"] for r in rows] == ["SBIN-EQ", "INFY-EQ", "ITC-EQ"]


def test_all_holdings_add_up(broker: Broker, jwt: str) -> None:
    data = broker.read(ALL_HOLDING, jwt)["data"]

    totals = data["totalholding"]
    value = sum(Decimal(str(h["ltp"])) * h["quantity"] for h in data["holdings"])
    invested = sum(Decimal(str(h["averageprice"])) * h["quantity"] for h in data["holdings"])
    assert Decimal(str(totals["totalholdingvalue"])) == value
    assert Decimal(str(totals["totalinvvalue"])) == invested
    assert Decimal(str(totals["totalprofitandloss"])) == value - invested


# ---------------------------------------------------------------------- convertPosition


def test_convert_position_moves_quantity_between_products(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801", quantity="10")
    body = {
        "exchange": "NSE",
        "symboltoken": SBIN[1],
        "tradingsymbol": "SBIN-EQ",
        "oldproducttype": "INTRADAY",
        "newproducttype": "DELIVERY",
        "transactiontype": "BUY",
        "quantity": 4,
        "type": "DAY",
    }

    reply = broker.post(CONVERT_POSITION, body, jwt).json()
    too_many = broker.post(CONVERT_POSITION, {**body, "quantity": 7}, jwt).json()
    none_there = broker.post(CONVERT_POSITION, {**body, "oldproducttype": "MARGIN"}, jwt).json()

    assert reply == {"status": True, "message": "SUCCESS", "errorcode": "", "data": None}
    rows = {r["producttype"]: r["netqty"] for r in broker.read(POSITIONS, jwt)["data"]}
    assert rows == {"INTRADAY": "6", "DELIVERY": "4"}
    assert (too_many["errorcode"], too_many["message"]) == ("AB1017", "Position conversion failed")
    assert (none_there["errorcode"], none_there["message"]) == ("AB1016", "Position not found")
