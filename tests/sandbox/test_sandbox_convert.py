"""``convertPosition`` over loopback: the documented request (a position row's fields plus the
conversion's), the SDK test's 7-field subset, the one live capture's answer, the refusals
(unknown position, too much quantity, same product, a product the segment does not carry, after
hours, funds), the rate limit, and the books and funds moving with the product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .conftest import CONVERT_POSITION, POSITIONS, RMS, SBIN, Broker

RATE_TEXT = "Access denied because of exceeding access rate"
NULL_OK = {"status": True, "message": "SUCCESS", "errorcode": "", "data": None}
# The forum capture (tests/realdata/responses/forum_and_issue_captures_smartapi.json): a body
# built from a getPosition row, old and new product both INTRADAY, and its answer.
CAPTURED_BODY = {
    "symboltoken": "3045", "symbolname": "SBIN", "instrumenttype": "", "priceden": "1",
    "pricenum": "1", "genden": "1", "gennum": "1", "precision": "2", "multiplier": "-1",
    "boardlotsize": "1", "exchange": "NSE", "producttype": "INTRADAY", "tradingsymbol": "SBIN-EQ",
    "buyqty": "1", "sellqty": "0", "buyamount": "574.15", "sellamount": "0.00", "type": "DAY",
    "newproducttype": "INTRADAY", "quantity": "1", "transactiontype": "BUY",
}  # fmt: skip
CAPTURED_ANSWER = {
    "message": "Something went wrong. Please try after sometime",
    "errorcode": "AB1004",
    "status": False,
    "data": None,
}


def rows(broker: Broker, jwt: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = broker.read(POSITIONS, jwt)["data"] or []
    return found


def convert(broker: Broker, jwt: str, body: dict[str, Any]) -> dict[str, Any]:
    broker.clock.advance(1)
    result: dict[str, Any] = broker.post(CONVERT_POSITION, body, jwt).json()
    return result


def documented_body(row: dict[str, str], new: str, quantity: int) -> dict[str, Any]:
    """The documented field set, the echo fields taken from the position row."""
    echo = (
        "exchange", "symboltoken", "tradingsymbol", "symbolname", "instrumenttype", "priceden",
        "pricenum", "genden", "gennum", "precision", "multiplier", "boardlotsize", "buyqty",
        "sellqty", "buyamount", "sellamount",
    )  # fmt: skip
    side = "BUY" if int(row["netqty"]) > 0 else "SELL"
    return {
        **{k: row[k] for k in echo},
        "oldproducttype": row["producttype"],
        "newproducttype": new,
        "transactiontype": side,
        "quantity": quantity,
        "type": "DAY",
    }


def net(broker: Broker, jwt: str) -> Decimal:
    broker.clock.advance(1)
    return Decimal(broker.get(RMS, jwt).json()["data"]["net"])


def test_the_documented_body_moves_quantity_and_funds_follow(broker: Broker, jwt: str) -> None:
    broker.set_price(SBIN[0], SBIN[1], "800")
    broker.place_id(jwt, price="800", quantity="10")
    before = net(broker, jwt)
    (row,) = rows(broker, jwt)

    reply = convert(broker, jwt, documented_body(row, "DELIVERY", 4))

    assert reply == NULL_OK
    after = {r["producttype"]: int(r["netqty"]) for r in rows(broker, jwt)}
    assert after == {"INTRADAY": 6, "DELIVERY": 4}
    # 4 × ₹800 move from 20 % intraday margin to the full delivery value
    assert before - net(broker, jwt) == Decimal(4 * 800) * Decimal("0.8")


def test_the_sdk_test_subset_without_a_token_is_accepted(broker: Broker, jwt: str) -> None:
    broker.set_price(SBIN[0], SBIN[1], "800")
    broker.place_id(jwt, price="799", quantity="3", transactiontype="SELL")
    body = {
        "exchange": "NSE", "oldproducttype": "INTRADAY", "newproducttype": "MARGIN",
        "tradingsymbol": "SBIN-EQ", "transactiontype": "SELL", "quantity": 3, "type": "DAY",
    }  # fmt: skip

    reply = convert(broker, jwt, body)

    assert reply == NULL_OK
    after = {r["producttype"]: int(r["netqty"]) for r in rows(broker, jwt)}
    assert after == {"INTRADAY": 0, "MARGIN": -3}


def test_the_captured_request_gets_the_captured_answer(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801", quantity="1")

    assert convert(broker, jwt, CAPTURED_BODY) == CAPTURED_ANSWER


def _future_position(broker: Broker, jwt: str) -> dict[str, str]:
    fut = broker.admin_get(
        "/instruments", params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "FUTIDX"}
    )["rows"][0]
    broker.set_price("NFO", fut["token"], "24000")
    broker.place_id(
        jwt, exchange="NFO", symboltoken=fut["token"], tradingsymbol=fut["symbol"],
        producttype="INTRADAY", price="24000", quantity=fut["lotsize"],
    )  # fmt: skip
    (row,) = rows(broker, jwt)
    return row


def test_refusals_leave_the_books_alone(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801", quantity="5")
    (row,) = rows(broker, jwt)
    body = documented_body(row, "DELIVERY", 5)

    too_many = convert(broker, jwt, {**body, "quantity": 6})
    wrong_side = convert(broker, jwt, {**body, "transactiontype": "SELL"})
    absent = convert(broker, jwt, {**body, "oldproducttype": "MARGIN"})
    same = convert(broker, jwt, {**body, "newproducttype": "INTRADAY"})
    cash_carry = convert(broker, jwt, {**body, "newproducttype": "CARRYFORWARD"})
    unknown = convert(broker, jwt, {**body, "newproducttype": "NRML"})
    zero = convert(broker, jwt, {**body, "quantity": 0})

    def pair(reply: dict[str, Any]) -> tuple[str, str]:
        assert reply["status"] is False and reply["data"] is None
        return reply["errorcode"], reply["message"]

    assert pair(too_many) == pair(wrong_side) == ("AB1017", "Position conversion failed")
    assert pair(absent) == ("AB1016", "Position not found")
    assert pair(same) == ("AB1004", "Something went wrong. Please try after sometime")
    assert pair(cash_carry) == pair(unknown) == ("AB1012", "Invalid Product Type")
    assert pair(zero) == ("AB1007", "Invalid Quantity")
    assert [(r["producttype"], r["netqty"]) for r in rows(broker, jwt)] == [("INTRADAY", "5")]


def test_derivatives_carry_forward_but_never_take_delivery(broker: Broker, jwt: str) -> None:
    row = _future_position(broker, jwt)
    lots = int(row["netqty"])

    delivery = convert(broker, jwt, documented_body(row, "DELIVERY", lots))
    carry = convert(broker, jwt, documented_body(row, "CARRYFORWARD", lots))

    assert (delivery["errorcode"], delivery["message"]) == ("AB1012", "Invalid Product Type")
    assert carry == NULL_OK
    after = {r["producttype"]: int(r["netqty"]) for r in rows(broker, jwt)}
    assert after == {"INTRADAY": 0, "CARRYFORWARD": lots}


def test_funds_that_cannot_carry_delivery_refuse_and_undo(broker: Broker, jwt: str) -> None:
    broker.set_price(SBIN[0], SBIN[1], "800")
    quantity = int(net(broker, jwt) / 800) * 2  # 20 % intraday margin fits; full value not
    broker.place_id(jwt, price="800", quantity=str(quantity))
    (row,) = rows(broker, jwt)

    reply = convert(broker, jwt, documented_body(row, "DELIVERY", quantity))

    assert (reply["errorcode"], reply["message"]) == ("AB1017", "Position conversion failed")
    (after,) = rows(broker, jwt)
    assert (after["producttype"], after["netqty"], after["buyamount"]) == (
        "INTRADAY", str(quantity), row["buyamount"],
    )  # fmt: skip


def test_after_hours_with_market_hours_enforced(broker: Broker, jwt: str) -> None:
    broker.place_id(jwt, price="801", quantity="2")
    (row,) = rows(broker, jwt)
    broker.configure(enforce_market_hours=True)
    broker.clock.advance(8 * 3600)  # 10:00 IST + 8 h: after the close

    reply = convert(broker, jwt, documented_body(row, "DELIVERY", 2))

    assert (reply["errorcode"], reply["message"]) == ("AB1017", "Position conversion failed")


@pytest.mark.parametrize("burst", [11])
def test_convert_position_is_limited_to_ten_a_second(broker: Broker, jwt: str, burst: int) -> None:
    broker.place_id(jwt, price="801", quantity="20")
    (row,) = rows(broker, jwt)
    body = documented_body(row, "DELIVERY", 1)
    broker.clock.advance(2)

    replies = [broker.post(CONVERT_POSITION, body, jwt) for _ in range(burst)]

    assert [r.status_code for r in replies[:10]] == [200] * 10
    assert replies[10].status_code == 403 and replies[10].text == RATE_TEXT
    after = {r["producttype"]: int(r["netqty"]) for r in rows(broker, jwt)}
    assert after == {"INTRADAY": 10, "DELIVERY": 10}
