"""GTT rules on the paper broker: the five routes' shapes, their AB9xxx refusals, per-route rate
limits, and a rule whose trigger is reached turning into an order in the paper book."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ORDER_BOOK, SBIN, Broker

GTT = "/rest/secure/angelbroking/gtt/v1/"
CREATE, MODIFY, CANCEL = GTT + "createRule", GTT + "modifyRule", GTT + "cancelRule"
DETAILS, LIST = GTT + "ruleDetails", GTT + "ruleList"
LIMIT_TEXT = "Access denied because of exceeding access rate"


def rule_body(**overrides: Any) -> dict[str, Any]:
    """A createRule body as the docs list it: SELL 5 SBIN-EQ when it rises to 840, limit 839."""
    body: dict[str, Any] = {
        "tradingsymbol": SBIN[2],
        "symboltoken": SBIN[1],
        "exchange": SBIN[0],
        "transactiontype": "SELL",
        "producttype": "DELIVERY",
        "price": "839",
        "qty": "5",
        "triggerprice": "840",
        "disclosedqty": "0",
        "timeperiod": "365",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def create(broker: Broker, jwt: str, **overrides: Any) -> int:
    reply = broker.post(CREATE, rule_body(**overrides), jwt).json()
    assert reply["status"] is True, reply
    rule_id = reply["data"]["id"]
    assert isinstance(rule_id, int)
    return rule_id


def details(broker: Broker, jwt: str, rule_id: int) -> dict[str, Any]:
    reply = broker.post(DETAILS, {"id": str(rule_id)}, jwt).json()
    assert reply["status"] is True, reply
    row: dict[str, Any] = reply["data"]
    return row


def listed(broker: Broker, jwt: str, *statuses: str, page: int = 1, count: int = 10) -> Any:
    body = {"status": list(statuses), "page": page, "count": count}
    return broker.post(LIST, body, jwt).json()


# ------------------------------------------------------------------------------- shapes


def test_create_answers_a_numeric_id_and_details_show_the_documented_row(
    broker: Broker, jwt: str
) -> None:
    rule_id = create(broker, jwt)

    row = details(broker, jwt, rule_id)

    assert set(row) == {
        "stoplossprice",
        "stoplosstriggerprice",
        "gttType",
        "id",
        "status",
        "createddate",
        "updateddate",
        "expirydate",
        "clientid",
        "tradingsymbol",
        "symboltoken",
        "exchange",
        "transactiontype",
        "producttype",
        "price",
        "qty",
        "triggerprice",
        "disclosedqty",
    }
    assert row["id"] == rule_id and row["gttType"] == "GENERIC"
    assert row["status"] == "NEW" and row["clientid"] == "SBX0001"
    assert (row["price"], row["triggerprice"], row["qty"]) == (839.0, 840.0, 5)
    assert row["createddate"] == "2026-03-10T10:00:30.000+05:30"
    assert row["expirydate"] == "2027-03-10T10:00:30.000+05:30"


def test_rule_list_filters_by_status_newest_first_and_pages(broker: Broker, jwt: str) -> None:
    first, second, third = (create(broker, jwt) for _ in range(3))
    broker.post(CANCEL, {"id": second, "symboltoken": SBIN[1], "exchange": "NSE"}, jwt)

    new = listed(broker, jwt, "NEW")
    everything = listed(broker, jwt, "FORALL")
    page_two = listed(broker, jwt, "FORALL", page=2, count=2)
    nothing = listed(broker, jwt, "SENTTOEXCHANGE")

    assert [r["id"] for r in new["data"]] == [third, first]
    assert [(r["id"], r["status"]) for r in everything["data"]] == [
        (third, "NEW"),
        (second, "CANCELLED"),
        (first, "NEW"),
    ]
    assert [r["id"] for r in page_two["data"]] == [first]
    assert nothing == {"status": True, "message": "SUCCESS", "errorcode": "", "data": None}


def test_modify_changes_the_rule_and_keeps_what_it_is_not_sent(broker: Broker, jwt: str) -> None:
    rule_id = create(broker, jwt)
    body = {
        "id": rule_id,
        "symboltoken": SBIN[1],
        "exchange": "NSE",
        "quantity": "7",
        "triggerprice": "850",
    }
    broker.clock.advance(5)

    reply = broker.post(MODIFY, body, jwt).json()

    assert reply["data"] == {"id": rule_id}
    row = details(broker, jwt, rule_id)
    assert (row["qty"], row["triggerprice"], row["price"]) == (7, 850.0, 839.0)
    assert row["updateddate"] > row["createddate"]


def test_cancel_makes_the_rule_final(broker: Broker, jwt: str) -> None:
    rule_id = create(broker, jwt)
    body = {"id": rule_id, "symboltoken": SBIN[1], "exchange": "NSE"}

    first = broker.post(CANCEL, body, jwt).json()
    again = broker.post(CANCEL, body, jwt).json()
    modify = broker.post(MODIFY, {**body, "price": "845"}, jwt).json()

    assert first["data"] == {"id": rule_id}
    assert details(broker, jwt, rule_id)["status"] == "CANCELLED"
    assert again == {
        "message": "Rule is already CANCELLED",
        "errorcode": "AB9013",
        "status": False,
        "data": None,
    }
    assert modify["errorcode"] == "AB9013"


def test_rules_belong_to_their_client(broker: Broker, jwt: str) -> None:
    from .conftest import SECOND

    rule_id = create(broker, jwt)
    other = broker.tokens(SECOND).jwt

    reply = broker.post(DETAILS, {"id": rule_id}, other, api_key=SECOND.api_key).json()

    assert (reply["errorcode"], reply["message"]) == ("AB9013", "Invalid Rule ID")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        ({"exchange": "NSX"}, "AB9010", "Invalid Exchange Segment"),
        ({"symboltoken": "99999999"}, "AB9011", "Invalid Symbol Token"),
        ({"symboltoken": "99926000"}, "AB9011", "Invalid Symbol Token"),
        ({"tradingsymbol": "SBIN"}, "AB9012", "Invalid Trading Symbol"),
        ({"transactiontype": "SHORT"}, "AB9014", "Invalid Order Side"),
        ({"producttype": "BO"}, "AB9015", "Invalid Product Type"),
        ({"qty": "0"}, "AB9006", "Invalid Order Quantity"),
        ({"qty": "2.5"}, "AB9006", "Invalid Order Quantity"),
        ({"disclosedqty": "6"}, "AB9007", "Invalid Disclosed Quantity"),
        ({"price": "839.03"}, "AB9008", "Invalid Price"),
        ({"price": None}, "AB9008", "Invalid Price"),
        ({"triggerprice": "-1"}, "AB9009", "Invalid Trigger Price"),
        ({"triggerprice": "800"}, "AB9009", "Invalid Trigger Price"),
        ({"timeperiod": "366"}, "AB9016", "Invalid Time Period"),
    ],
)
def test_create_refuses_bad_fields_with_the_gtt_codes(
    broker: Broker, jwt: str, overrides: dict[str, Any], code: str, message: str
) -> None:
    reply = broker.post(CREATE, rule_body(**overrides), jwt).json()

    assert reply == {"message": message, "errorcode": code, "status": False, "data": None}
    assert broker.admin_get("/gtt")["rules"] == []


def test_a_derivative_rule_must_be_a_lot_multiple(broker: Broker, jwt: str) -> None:
    params = {"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "FUTIDX"}
    future = broker.admin_get("/instruments", params=params)["rows"][0]
    body = rule_body(
        exchange="NFO",
        symboltoken=future["token"],
        tradingsymbol=future["symbol"],
        producttype="CARRYFORWARD",
        price="30000",
        triggerprice="30000",
    )

    odd = broker.post(CREATE, {**body, "qty": "64"}, jwt).json()
    lot = broker.post(CREATE, {**body, "qty": "65"}, jwt).json()

    assert odd["errorcode"] == "AB9006"
    assert lot["status"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "NEW", "page": 1, "count": 10}, "AB9004"),
        ({"status": [], "page": 1, "count": 10}, "AB9004"),
        ({"status": ["TRIGGERED"], "page": 1, "count": 10}, "AB9001"),
        ({"status": ["NEW"], "page": 0, "count": 10}, "AB9017"),
        ({"status": ["NEW"], "page": 1, "count": 0}, "AB9018"),
        ({"status": ["NEW"], "page": 1}, "AB9018"),
    ],
)
def test_rule_list_refuses_bad_filters(
    broker: Broker, jwt: str, body: dict[str, Any], code: str
) -> None:
    assert broker.post(LIST, body, jwt).json()["errorcode"] == code


def test_modify_and_cancel_must_name_the_rules_instrument(broker: Broker, jwt: str) -> None:
    rule_id = create(broker, jwt)

    wrong_token = broker.post(
        CANCEL, {"id": rule_id, "symboltoken": "2885", "exchange": "NSE"}, jwt
    )
    wrong_exchange = broker.post(
        CANCEL, {"id": rule_id, "symboltoken": SBIN[1], "exchange": "BSE"}, jwt
    )
    unknown = broker.post(CANCEL, {"id": 1, "symboltoken": SBIN[1], "exchange": "NSE"}, jwt)

    assert wrong_token.json()["errorcode"] == "AB9011"
    assert wrong_exchange.json()["errorcode"] == "AB9010"
    assert unknown.json()["errorcode"] == "AB9013"
    assert details(broker, jwt, rule_id)["status"] == "NEW"


# ------------------------------------------------------------------------- rate limits


def test_gtt_writes_have_their_own_nine_per_second_budget(broker: Broker, jwt: str) -> None:
    replies = [broker.post(CREATE, rule_body(), jwt) for _ in range(10)]
    order = broker.post("/rest/secure/angelbroking/order/v1/placeOrder", _order(), jwt)

    assert [r.status_code for r in replies] == [200] * 9 + [403]
    assert replies[-1].text == LIMIT_TEXT
    assert len(broker.admin_get("/gtt")["rules"]) == 9
    assert order.json()["status"] is True
    flow = broker.admin_get("/stats")["order_flow"]
    assert flow["routes"]["createRule"] == {"calls": 10, "rate_limited": 1, "peak_per_second": 10}


def test_gtt_reads_allow_ten_per_second(broker: Broker, jwt: str) -> None:
    rule_id = create(broker, jwt)

    codes = [broker.post(DETAILS, {"id": rule_id}, jwt).status_code for _ in range(11)]

    assert codes == [200] * 10 + [403]


def _order() -> dict[str, str]:
    from .conftest import order_body

    return order_body(price="790")


# ------------------------------------------------------------------------------ trigger


def test_a_reached_trigger_places_the_limit_order_and_the_rule_is_sent(
    broker: Broker, jwt: str
) -> None:
    rule_id = create(broker, jwt)
    broker.set_price("NSE", SBIN[1], "839.9")
    assert broker.orders() == []

    broker.set_price("NSE", SBIN[1], "840.5")

    (rule,) = broker.admin_get("/gtt")["rules"]
    assert rule["status"] == "SENTTOEXCHANGE" and rule["orderid"]
    order = broker.order(rule["orderid"])
    assert (order["transactiontype"], order["ordertype"], order["producttype"]) == (
        "SELL",
        "LIMIT",
        "DELIVERY",
    )
    assert (order["quantity"], order["price"]) == ("5", 839.0)
    assert order["status"] == "complete"  # a SELL limit 839 with the LTP at 840.5 fills
    assert details(broker, jwt, rule_id)["status"] == "SENTTOEXCHANGE"
    book = broker.read(ORDER_BOOK, jwt)["data"]
    assert [row["orderid"] for row in book] == [rule["orderid"]]


def test_a_rule_below_the_market_fires_on_a_fall_only_once(broker: Broker, jwt: str) -> None:
    create(broker, jwt, transactiontype="BUY", triggerprice="780", price="781")
    broker.set_price("NSE", SBIN[1], "900")
    assert broker.orders() == []

    broker.set_price("NSE", SBIN[1], "779")
    broker.set_price("NSE", SBIN[1], "770")

    orders = broker.orders()
    assert len(orders) == 1 and orders[0]["transactiontype"] == "BUY"
    assert orders[0]["status"] == "complete" and orders[0]["averageprice"] == 779.0


def test_a_cancelled_rule_never_fires(broker: Broker, jwt: str) -> None:
    rule_id = create(broker, jwt)
    broker.post(CANCEL, {"id": rule_id, "symboltoken": SBIN[1], "exchange": "NSE"}, jwt)

    broker.set_price("NSE", SBIN[1], "845")

    assert broker.orders() == []


def test_a_triggered_order_goes_through_the_oms_checks(broker: Broker, jwt: str) -> None:
    create(
        broker,
        jwt,
        price="839",
        triggerprice="840",
        qty="5000",
        transactiontype="BUY",
        producttype="INTRADAY",
    )

    broker.set_price("NSE", SBIN[1], "840")

    (order,) = broker.orders()
    assert order["status"] == "rejected" and "Insufficient Funds" in order["text"]
