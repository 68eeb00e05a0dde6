"""Orders at the paper broker: every order type's life, partial fills, stop-loss triggers,
modify and cancel (including the "already filled" race), the API's refusals and the OMS's
rejections with their real texts, and the order-update event list."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from angelctl.sandbox.clock import IST

from .conftest import (
    CANCEL_ORDER,
    MODIFY_ORDER,
    ORDER_BOOK,
    ORDER_DETAILS,
    PLACE_ORDER,
    SBIN,
    SECOND,
    Broker,
    order_body,
)

CIRCUIT_TEXT = (
    "Your order price exceeds the circuit limit. Please adjust your order within the circuit "
    "limit or place a market order."
)
MARKET_TEXT = (
    "Market orders and IOC orders are strictly prohibited for algorithmic trading. "
    "Please place a LIMIT order with DAY validity."
)


def statuses(broker: Broker, orderid: str) -> list[tuple[str | None, str]]:
    return [(e["order_status"], e["status"]) for e in broker.events(orderid=orderid)]


def instrument(broker: Broker, **filters: str) -> dict[str, str]:
    row: dict[str, str] = broker.admin_get("/instruments", params=filters)["rows"][0]
    return row


def nifty_future(broker: Broker) -> dict[str, str]:
    return instrument(broker, exch_seg="NFO", name="NIFTY", instrumenttype="FUTIDX")


def on(row: dict[str, str]) -> dict[str, str]:
    """order_body overrides for a master row."""
    return {
        "exchange": row["exch_seg"],
        "symboltoken": row["token"],
        "tradingsymbol": row["symbol"],
    }


def cancel(broker: Broker, jwt: str, orderid: str) -> dict[str, Any]:
    reply: dict[str, Any] = broker.post(
        CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt
    ).json()
    return reply


def modify(broker: Broker, jwt: str, orderid: str, **fields: str) -> dict[str, Any]:
    body = {"variety": "NORMAL", "orderid": orderid, **fields}
    reply: dict[str, Any] = broker.post(MODIFY_ORDER, body, jwt).json()
    return reply


# ---------------------------------------------------------------------------- lifecycle


def test_a_marketable_buy_limit_completes_at_the_better_ltp(broker: Broker, jwt: str) -> None:
    reply = broker.place(jwt, price="801", quantity="3", ordertag="buy-now")
    orderid = reply["data"]["orderid"]

    row = broker.order(orderid)
    assert reply == {
        "status": True,
        "message": "SUCCESS",
        "errorcode": "",
        "data": {"script": "SBIN-EQ", "orderid": orderid, "uniqueorderid": row["uniqueorderid"]},
    }
    assert (row["status"], row["orderstatus"], row["averageprice"]) == ("complete",) * 2 + (800.0,)
    assert (row["filledshares"], row["unfilledshares"], row["ordertag"]) == ("3", "0", "buy-now")
    assert statuses(broker, orderid) == [
        ("AB09", "open pending"),
        ("AB01", "open"),
        ("AB05", "complete"),
    ]


def test_a_resting_buy_limit_fills_at_its_limit_when_the_ltp_falls_through(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(jwt, price="790", quantity="2")
    assert broker.order(orderid)["status"] == "open"

    broker.set_price("NSE", SBIN[1], "795")
    assert broker.order(orderid)["status"] == "open"
    broker.set_price("NSE", SBIN[1], "780")

    row = broker.order(orderid)
    assert (row["status"], row["averageprice"], row["filledshares"]) == ("complete", 790.0, "2")
    assert row["exchtime"] and row["exchangeorderid"] and row["fillid"]


def test_a_sell_limit_fills_when_the_ltp_rises_to_it(broker: Broker, jwt: str) -> None:
    at_once = broker.place_id(jwt, transactiontype="SELL", price="799")
    resting = broker.place_id(jwt, transactiontype="SELL", price="805", ordertag="later")
    assert (broker.order(at_once)["averageprice"], broker.order(resting)["status"]) == (
        800.0,
        "open",
    )

    broker.set_price("NSE", SBIN[1], "806")

    assert (broker.order(resting)["status"], broker.order(resting)["averageprice"]) == (
        "complete",
        805.0,
    )


def test_partial_fills_show_open_with_growing_filled_shares(broker: Broker, jwt: str) -> None:
    broker.configure(fill_lots_per_step=2)
    orderid = broker.place_id(jwt, price="801", quantity="5")
    assert (broker.order(orderid)["status"], broker.order(orderid)["filledshares"]) == ("open", "2")

    broker.step()
    middle = broker.order(orderid)
    broker.set_price("NSE", SBIN[1], "799")  # a price step is a matching pass too

    assert (middle["status"], middle["filledshares"], middle["unfilledshares"]) == (
        "open",
        "4",
        "1",
    )
    assert broker.order(orderid)["status"] == "complete"
    assert [e["row"]["filledshares"] for e in broker.events(orderid=orderid)] == [
        "0",
        "0",
        "2",
        "4",
        "5",
    ]


def test_a_frozen_market_does_not_fill_more_without_a_step(broker: Broker, jwt: str) -> None:
    broker.configure(fill_lots_per_step=1)
    orderid = broker.place_id(jwt, price="801", quantity="3")
    for _ in range(3):
        broker.read(ORDER_BOOK, jwt)

    assert broker.order(orderid)["filledshares"] == "1"


def test_stop_loss_limit_waits_for_its_trigger_then_works_as_a_limit(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(
        jwt, variety="STOPLOSS", ordertype="STOPLOSS_LIMIT", triggerprice="810", price="812"
    )
    assert broker.order(orderid)["status"] == "trigger pending"

    broker.set_price("NSE", SBIN[1], "809.9")
    assert broker.order(orderid)["status"] == "trigger pending"
    broker.set_price("NSE", SBIN[1], "813")  # triggered, but above the limit
    assert broker.order(orderid)["status"] == "open"
    broker.set_price("NSE", SBIN[1], "811")

    row = broker.order(orderid)
    assert (row["status"], row["averageprice"], row["triggerprice"]) == ("complete", 812.0, 810.0)
    assert statuses(broker, orderid) == [
        ("AB09", "open pending"),
        ("AB10", "trigger pending"),
        ("AB01", "open"),
        ("AB05", "complete"),
    ]


def test_a_sell_stop_loss_triggers_on_a_fall(broker: Broker, jwt: str) -> None:
    orderid = broker.place_id(
        jwt,
        variety="STOPLOSS",
        ordertype="STOPLOSS_LIMIT",
        transactiontype="SELL",
        triggerprice="790",
        price="785",
    )
    broker.set_price("NSE", SBIN[1], "789")

    assert (broker.order(orderid)["status"], broker.order(orderid)["averageprice"]) == (
        "complete",
        789.0,
    )


def test_stop_loss_market_fills_at_the_ltp_once_triggered_when_allowed(
    broker: Broker, jwt: str
) -> None:
    broker.configure(market_orders="allow")
    orderid = broker.place_id(
        jwt, variety="STOPLOSS", ordertype="STOPLOSS_MARKET", triggerprice="810", price="0"
    )
    broker.set_price("NSE", SBIN[1], "815")

    row = broker.order(orderid)
    assert (row["status"], row["averageprice"], row["price"]) == ("complete", 815.0, 0.0)


# ------------------------------------------------------------- MARKET and IOC [CONFLICT]


@pytest.mark.parametrize(
    "fields",
    [
        {"ordertype": "MARKET", "price": "0"},
        {"duration": "IOC", "price": "801"},
        {"variety": "STOPLOSS", "ordertype": "STOPLOSS_MARKET", "triggerprice": "810"},
    ],
)
def test_market_ioc_and_sl_market_are_accepted_then_rejected_by_default(
    broker: Broker, jwt: str, fields: dict[str, str]
) -> None:
    reply = broker.place(jwt, **fields)

    assert reply["status"] is True
    row = broker.order(reply["data"]["orderid"])
    assert (row["status"], row["text"]) == ("rejected", MARKET_TEXT)


def test_convert_to_limit_turns_a_market_order_into_a_protected_limit(
    broker: Broker, jwt: str
) -> None:
    broker.configure(market_orders="convert_to_limit", market_protection_percent=2)
    buy = broker.place_id(jwt, ordertype="MARKET", price="0")
    sell = broker.place_id(jwt, ordertype="MARKET", price="0", transactiontype="SELL")

    assert [(broker.order(o)["ordertype"], broker.order(o)["price"]) for o in (buy, sell)] == [
        ("LIMIT", 816.0),
        ("LIMIT", 784.0),
    ]
    assert {broker.order(o)["averageprice"] for o in (buy, sell)} == {800.0}


def test_allowed_market_and_ioc_orders_execute_or_cancel_at_once(broker: Broker, jwt: str) -> None:
    broker.configure(market_orders="allow")
    market = broker.place_id(jwt, ordertype="MARKET", price="0", quantity="4")
    ioc_miss = broker.place_id(jwt, duration="IOC", price="790", ordertag="miss")
    ioc_hit = broker.place_id(jwt, duration="IOC", price="805", ordertag="hit")

    assert broker.order(market)["status"] == "complete"
    assert (broker.order(ioc_miss)["status"], broker.order(ioc_miss)["cancelsize"]) == (
        "cancelled",
        "1",
    )
    assert broker.order(ioc_hit)["status"] == "complete"


# ----------------------------------------------------------------------- modify, cancel


def test_modify_reprices_a_resting_order_and_a_marketable_price_fills_it(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(jwt, price="780", quantity="2")

    first = modify(broker, jwt, orderid, ordertype="LIMIT", price="781", quantity="3")
    assert broker.order(orderid)["price"] == 781.0
    second = modify(broker, jwt, orderid, price="802")

    assert first["data"] == {
        "orderid": orderid,
        "uniqueorderid": broker.order(orderid)["uniqueorderid"],
    }
    assert second["status"] is True
    row = broker.order(orderid)
    assert (row["status"], row["quantity"], row["averageprice"]) == ("complete", "3", 800.0)
    assert [code for code, _ in statuses(broker, orderid)] == [
        "AB09",
        "AB01",
        "AB04",
        "AB04",
        "AB05",
    ]


def test_modify_below_the_filled_quantity_or_into_the_circuit_is_refused(
    broker: Broker, jwt: str
) -> None:
    broker.configure(fill_lots_per_step=2)
    orderid = broker.place_id(jwt, price="801", quantity="5")

    too_small = modify(broker, jwt, orderid, quantity="2")
    outside = modify(broker, jwt, orderid, price="990")

    assert too_small["message"] == "Quantity cannot be less than or equal to the filled quantity 2"
    assert (outside["errorcode"], outside["message"], outside["data"]) == (
        "AB1007",
        CIRCUIT_TEXT,
        {"orderid": orderid},
    )
    assert (broker.order(orderid)["quantity"], broker.order(orderid)["price"]) == ("5", 801.0)


def test_cancel_ends_a_working_order_and_a_second_cancel_is_refused(
    broker: Broker, jwt: str
) -> None:
    broker.configure(fill_lots_per_step=1)
    orderid = broker.place_id(jwt, price="801", quantity="3")

    reply = cancel(broker, jwt, orderid)
    again = cancel(broker, jwt, orderid)

    row = broker.order(orderid)
    assert reply["data"] == {"orderid": orderid, "uniqueorderid": row["uniqueorderid"]}
    assert (row["status"], row["filledshares"], row["cancelsize"]) == ("cancelled", "1", "2")
    assert statuses(broker, orderid)[-1] == ("AB02", "cancelled")
    assert again == {
        "message": "Cancel Order Response : Order is already cancelled",
        "errorcode": "AB1007",
        "status": False,
        "data": {"orderid": orderid},
    }


def test_cancelling_a_filled_order_says_already_filled(broker: Broker, jwt: str) -> None:
    """The kill switch's race: the exit filled before the cancel arrived."""
    orderid = broker.place_id(jwt, price="801")

    response = broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt)
    modified = modify(broker, jwt, orderid, price="802")

    assert response.text == (
        '{"message":"Cancel Order Response : Order is already filled","errorcode":"AB1007",'
        f'"status":false,"data":{{"orderid":"{orderid}"}}}}'
    )
    assert modified["message"] == "Modify Order Response : Order is already filled"


def test_cancelling_a_rejected_order_says_already_rejected(broker: Broker, jwt: str) -> None:
    orderid = broker.place_id(jwt, price="900")  # outside the circuit: rejected

    assert cancel(broker, jwt, orderid)["message"] == (
        "Cancel Order Response : Order is already rejected"
    )


def test_cancel_of_unknown_missing_or_foreign_orders(broker: Broker, jwt: str) -> None:
    theirs = broker.tokens(SECOND).jwt
    foreign = broker.place_id(jwt, price="790")

    unknown = cancel(broker, jwt, "260310999999999")
    missing = broker.post(CANCEL_ORDER, {"variety": "NORMAL"}, jwt).json()
    not_mine = broker.post(
        CANCEL_ORDER, {"variety": "NORMAL", "orderid": foreign}, theirs, api_key=SECOND.api_key
    ).json()

    assert (unknown["errorcode"], unknown["message"], unknown["data"]) == (
        "AB1007",
        "Order not found",
        None,
    )
    assert missing == {
        "message": "Cancel Order Response : Bad Input",
        "errorcode": "AB1007",
        "status": False,
        "data": {"orderid": ""},
    }
    assert not_mine["message"] == "Order not found"
    assert broker.order(foreign)["status"] == "open"


# ---------------------------------------------------------------------- OMS latency


def test_with_oms_latency_an_accepted_order_is_rejected_a_moment_later(
    broker: Broker, jwt: str
) -> None:
    broker.configure(oms_latency_seconds=0.5)
    reply = broker.place(jwt, quantity="5000", ordertag="too-big")
    orderid = reply["data"]["orderid"]

    assert reply["status"] is True
    assert broker.order(orderid)["status"] == "open pending"
    broker.clock.advance(0.5)
    row = broker.order(orderid)
    assert row["status"] == "rejected"
    assert row["text"].startswith("Your order has been rejected due to Insufficient Funds.")


def test_with_oms_latency_modify_and_cancel_pass_through_pending_states(
    broker: Broker, jwt: str
) -> None:
    broker.configure(oms_latency_seconds=0.2)
    orderid = broker.place_id(jwt, price="780")
    broker.clock.advance(0.2)
    assert broker.order(orderid)["status"] == "open"

    modify(broker, jwt, orderid, price="781")
    pending = broker.order(orderid)
    broker.clock.advance(0.2)
    applied = broker.order(orderid)
    cancel(broker, jwt, orderid)
    refused = modify(broker, jwt, orderid, price="782")
    cancelling = broker.order(orderid)["status"]
    broker.clock.advance(0.2)

    assert (pending["status"], pending["price"]) == ("modify pending", 780.0)
    assert (applied["status"], applied["price"]) == ("open", 781.0)
    assert refused["message"] == "Modify Order Response : Previous request is still pending"
    assert cancelling == "cancel pending"
    assert broker.order(orderid)["status"] == "cancelled"
    assert statuses(broker, orderid) == [
        ("AB09", "open pending"),
        ("AB01", "open"),
        ("AB11", "modify pending"),
        ("AB04", "open"),
        (None, "cancel pending"),
        ("AB02", "cancelled"),
    ]


# ------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"variety": "AMO"},
            "AB1007",
            "Invalid Order Variety. Value should be NORMAL, STOPLOSS, ROBO",
        ),
        (
            {"variety": None},
            "AB1007",
            "Invalid Order Variety. Value should be NORMAL, STOPLOSS, ROBO",
        ),
        ({"variety": "ROBO"}, "AB2002", "ROBO order is block"),
        ({"ordertag": "x" * 20}, "AB4008", "ordertag length should be less than 20 characters"),
        ({"symboltoken": "424242"}, "AB4006", "Invalid symboltoken"),
        ({"symboltoken": ""}, "AB4006", "Invalid symboltoken"),
        ({"symboltoken": "99926000", "tradingsymbol": "Nifty 50"}, "AB4006", "Invalid symboltoken"),
        ({"tradingsymbol": "SBIN"}, "AB1009", "Symbol Not Found"),
        ({"producttype": "CNC"}, "AB1012", "Invalid Product Type"),
        ({"producttype": "BO"}, "AB1012", "Invalid Product Type"),
        ({"exchange": "NCDEX"}, "AB1007", "Invalid Exchange"),
        ({"transactiontype": "buy"}, "AB1007", "Invalid Transaction Type"),
        ({"ordertype": "SL"}, "AB1007", "Invalid Order Type"),
        ({"duration": "GTC"}, "AB1007", "Invalid Duration"),
        ({"quantity": "0"}, "AB1007", "Invalid Quantity"),
        ({"quantity": "1.5"}, "AB1007", "Invalid Quantity"),
        ({"quantity": "ten"}, "AB1007", "Invalid Quantity"),
        ({"price": "0"}, "AB1007", "Invalid Price"),
        ({"ordertype": "STOPLOSS_LIMIT", "triggerprice": "0"}, "AB1007", "Invalid Trigger Price"),
        ({"disclosedquantity": "2"}, "AB1007", "Invalid Disclosed Quantity"),
    ],
)
def test_the_api_refuses_bad_requests_and_no_order_exists(
    broker: Broker, jwt: str, fields: dict[str, Any], code: str, message: str
) -> None:
    response = broker.post(PLACE_ORDER, order_body(**fields), jwt)

    assert response.status_code == 200
    assert response.json() == {"message": message, "errorcode": code, "status": False, "data": None}
    assert broker.orders() == []


def test_a_nineteen_character_tag_is_fine(broker: Broker, jwt: str) -> None:
    assert broker.place(jwt, ordertag="x" * 19)["status"] is True


def test_insufficient_funds_names_available_and_required_amounts(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="790", quantity="10")  # blocks 10 x 790 x 20 % = 1580
    orderid = broker.place_id(jwt, price="800", quantity="2000", producttype="DELIVERY")

    assert broker.order(orderid)["text"] == (
        "Your order has been rejected due to Insufficient Funds. Available funds - Rs. 248420.00 . "
        "You require Rs. 1600000.00 funds to execute this order."
    )


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"price": "880.1"}, CIRCUIT_TEXT),
        ({"price": "719.9", "transactiontype": "SELL"}, CIRCUIT_TEXT),
        ({"price": "800.05"}, "RATE NOT MULTIPLE OF TICK [0.10000000]"),
        (
            {
                "variety": "STOPLOSS",
                "ordertype": "STOPLOSS_LIMIT",
                "triggerprice": "812",
                "price": "811",
            },
            "Trigger price cannot be greater than the limit price for a buy order",
        ),
        (
            {
                "variety": "STOPLOSS",
                "ordertype": "STOPLOSS_LIMIT",
                "transactiontype": "SELL",
                "triggerprice": "790",
                "price": "791",
            },
            "Trigger price cannot be less than the limit price for a sell order",
        ),
    ],
)
def test_the_oms_accepts_then_rejects_with_the_reason_in_text(
    broker: Broker, jwt: str, fields: dict[str, str], text: str
) -> None:
    reply = broker.place(jwt, **fields)

    assert reply["status"] is True and len(reply["data"]["orderid"]) == 15
    row = broker.order(reply["data"]["orderid"])
    assert (row["status"], row["orderstatus"], row["text"]) == ("rejected", "rejected", text)
    assert (row["exchangeorderid"], row["exchtime"]) == ("", "")
    assert statuses(broker, row["orderid"]) == [("AB09", "open pending"), ("AB03", "rejected")]


def test_derivative_orders_are_checked_for_lot_multiple_and_freeze_quantity(
    broker: Broker, jwt: str
) -> None:
    future = nifty_future(broker)
    assert (future["lotsize"], future["freeze_qty"]) == ("65", "1756")

    lot = broker.place_id(jwt, quantity="64", price="1", **on(future))
    freeze = broker.place_id(jwt, quantity=str(65 * 28), price="1", **on(future))

    assert broker.order(lot)["text"] == "Quantity should be in multiples of the lot size 65"
    assert broker.order(freeze)["text"] == "RMS:Rule: Check freeze quantity for NSE FO"


def test_ioc_is_not_allowed_on_commodities(broker: Broker, jwt: str) -> None:
    broker.configure(market_orders="allow")
    gold = instrument(broker, exch_seg="MCX", name="GOLD")
    price = broker.admin_get("/market", params={"exch_seg": "MCX", "token": gold["token"]})

    orderid = broker.place_id(
        jwt, duration="IOC", price=str(price["quote"]["ltp"]), quantity="100", **on(gold)
    )

    assert broker.order(orderid)["text"] == "IOC orders are not allowed for commodities segment"


# ------------------------------------------------------------------ ids, details, admin


def test_order_ids_and_details_by_unique_order_id(broker: Broker, jwt: str) -> None:
    orderid = broker.place_id(jwt, price="790")
    row = broker.order(orderid)

    details = broker.get(ORDER_DETAILS + row["uniqueorderid"], jwt).json()
    by_plain_id = broker.get(ORDER_DETAILS + orderid, jwt)

    assert re.fullmatch(r"260310\d{9}", orderid)
    assert uuid.UUID(row["uniqueorderid"]).version == 4
    assert details["data"] == {key: value for key, value in row.items() if key != "clientcode"}
    assert by_plain_id.text == (
        '{"message":"Order not found","errorcode":"AB1007","status":false,"data":null}'
    )


def test_order_rows_carry_every_reference_field_with_the_live_types(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(jwt, price="790", ordertag="types")
    (row,) = broker.read(ORDER_BOOK, jwt)["data"]

    assert list(row) == [
        "variety", "ordertype", "producttype", "duration", "price", "triggerprice", "quantity",
        "disclosedquantity", "squareoff", "stoploss", "trailingstoploss", "tradingsymbol",
        "transactiontype", "exchange", "symboltoken", "ordertag", "instrumenttype",
        "strikeprice", "optiontype", "expirydate", "lotsize", "cancelsize", "averageprice",
        "filledshares", "unfilledshares", "orderid", "text", "status", "orderstatus",
        "updatetime", "exchtime", "exchorderupdatetime", "fillid", "filltime", "parentorderid",
        "uniqueorderid", "exchangeorderid",
    ]  # fmt: skip
    for key in ("price", "triggerprice", "squareoff", "stoploss", "strikeprice", "averageprice"):
        assert isinstance(row[key], float), key
    for key in ("quantity", "filledshares", "unfilledshares", "lotsize", "cancelsize"):
        assert isinstance(row[key], str), key
    assert (row["orderid"], row["strikeprice"], row["ordertag"]) == (orderid, -1.0, "types")
    assert datetime.strptime(row["updatetime"], "%d-%b-%Y %H:%M:%S").replace(tzinfo=IST)


def test_admin_orders_list_every_order_with_its_tag_and_client(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="790", ordertag="keep")
    broker.place_id(jwt, price="900", ordertag="keep")  # rejected
    broker.place_id(jwt, price="801", ordertag="other")

    tagged = broker.orders(tag="keep")
    rejected = broker.orders(status="rejected")

    assert [(r["status"], r["clientcode"]) for r in tagged] == [
        ("open", "SBX0001"),
        ("rejected", "SBX0001"),
    ]
    assert [r["ordertag"] for r in rejected] == ["keep"]
    assert broker.orders(client_code="SBX0002") == []
    assert broker.admin_get("/stats")["orders"] == {
        "total": 3,
        "working": 1,
        "open": 1,
        "rejected": 1,
        "complete": 1,
    }


def test_events_are_an_append_only_list_with_the_row_at_each_change(
    broker: Broker, jwt: str
) -> None:
    first = broker.place_id(jwt, price="790")
    second = broker.place_id(jwt, price="801")
    cancel(broker, jwt, first)

    events = broker.events()
    later = broker.events(since=3)

    assert [e["seq"] for e in events] == list(range(1, 7))
    assert [(e["orderid"], e["order_status"]) for e in events] == [
        (first, "AB09"),
        (first, "AB01"),
        (second, "AB09"),
        (second, "AB01"),
        (second, "AB05"),
        (first, "AB02"),
    ]
    assert events[1]["row"]["status"] == "open" and events[-1]["row"]["status"] == "cancelled"
    assert [e["seq"] for e in later] == [4, 5, 6]
    assert events[0]["client_code"] == "SBX0001"
    assert events[0]["at"] == "2026-03-10T10:00:30+05:30"


def test_reset_clears_orders_events_and_the_market(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="790")

    broker.admin_post("/reset", {})

    assert broker.orders() == [] and broker.events() == []
    assert broker.admin_get("/market")["frozen"] is False
    assert broker.admin_get("/stats")["segments"] == {}


def test_a_live_market_fills_a_resting_order_when_the_walk_reaches_it(
    broker: Broker, jwt: str
) -> None:
    broker.freeze(False)
    orderid = broker.place_id(jwt, price="799.5")
    for _ in range(600):
        broker.clock.advance(1)
        if broker.order(orderid)["status"] == "complete":
            break

    row = broker.order(orderid)
    assert (row["status"], row["averageprice"]) == ("complete", 799.5)


# -------------------------------------------------------------------- market hours


def test_after_hours_orders_wait_as_amo_and_go_live_at_the_open(broker: Broker, jwt: str) -> None:
    broker.configure(enforce_market_hours=True)
    broker.clock.set(datetime(2026, 3, 10, 20, 0, tzinfo=IST))
    orderid = broker.place_id(jwt, price="801")
    assert broker.order(orderid)["status"] == "after market order req received"

    broker.clock.set(datetime(2026, 3, 11, 9, 14, 59, tzinfo=IST))
    assert broker.order(orderid)["status"] == "after market order req received"
    broker.clock.set(datetime(2026, 3, 11, 9, 15, tzinfo=IST))

    assert broker.order(orderid)["status"] == "complete"
    assert [code for code, _ in statuses(broker, orderid)] == [
        "AB09",
        "AB06",
        "AB09",
        "AB01",
        "AB05",
    ]


def test_after_hours_orders_can_be_rejected_as_adapter_logged_off(broker: Broker, jwt: str) -> None:
    broker.configure(enforce_market_hours=True, after_hours_orders="reject")
    broker.clock.set(datetime(2026, 3, 10, 15, 30, tzinfo=IST))

    orderid = broker.place_id(jwt, price="790")

    assert broker.order(orderid)["text"] == "Adapter is Logged Off"


def test_an_amo_cancel_is_reported_as_ab07(broker: Broker, jwt: str) -> None:
    broker.configure(enforce_market_hours=True)
    broker.clock.set(datetime(2026, 3, 14, 11, 0, tzinfo=IST))  # a Saturday
    jwt = broker.tokens().jwt  # yesterday's session ended at midnight
    orderid = broker.place_id(jwt, price="790")
    modify(broker, jwt, orderid, price="791")
    cancel(broker, jwt, orderid)

    assert [code for code, _ in statuses(broker, orderid)] == ["AB09", "AB06", "AB08", "AB07"]
    assert broker.order(orderid)["status"] == "cancelled"


def test_modify_turns_a_waiting_stop_loss_into_a_working_limit_and_back(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(
        jwt,
        variety="STOPLOSS",
        ordertype="STOPLOSS_LIMIT",
        transactiontype="SELL",
        triggerprice="790",
        price="789",
    )
    modify(broker, jwt, orderid, ordertype="LIMIT", price="805", triggerprice="0")
    as_limit = broker.order(orderid)
    modify(broker, jwt, orderid, ordertype="STOPLOSS_LIMIT", price="789", triggerprice="790")

    assert (as_limit["status"], as_limit["ordertype"], as_limit["triggerprice"]) == (
        "open",
        "LIMIT",
        0.0,
    )
    assert broker.order(orderid)["status"] == "trigger pending"
    assert statuses(broker, orderid)[-2:] == [("AB04", "open"), ("AB04", "trigger pending")]


def test_the_engine_hands_feeds_a_ticker_advanced_to_the_clock(broker: Broker) -> None:
    engine = broker.server.engine
    first = engine.ticker("NSE", SBIN[1])
    assert first is not None
    step = first.step
    broker.clock.advance(3)

    ticker = engine.ticker("NSE", SBIN[1])

    assert ticker is first and ticker.step == step + 3
    assert engine.ticker("NSE", "424242") is None


def test_step_gives_each_order_one_pass_even_right_after_the_oms(broker: Broker, jwt: str) -> None:
    broker.configure(fill_lots_per_step=1, oms_latency_seconds=0.5)
    orderid = broker.place_id(jwt, price="801", quantity="3")
    broker.clock.advance(0.5)

    stepped = broker.step()  # accepts the order: its first pass is the one fill
    after_first = broker.order(orderid)["filledshares"]
    broker.step()

    assert stepped["orders"] == [orderid]
    assert (after_first, broker.order(orderid)["filledshares"]) == ("1", "2")
