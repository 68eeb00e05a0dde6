"""The margin calculator (``margin/v1/batch``) and the charges estimate
(``brokerage/v1/estimateCharges``) over loopback: their shapes, both key spellings, the
documented approximations (docs/margins.md), validation errors and rate limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from angelctl.sandbox.rest.routes import match_path, normalise_path

from .conftest import Broker

MARGIN = "/rest/secure/angelbroking/margin/v1/batch"
CHARGES = "/rest/secure/angelbroking/brokerage/v1/estimateCharges"
RATE_TEXT = "Access denied because of exceeding access rate"


def row(broker: Broker, **params: str) -> dict[str, str]:
    found: dict[str, str] = broker.admin_get("/instruments", params=params)["rows"][0]
    return found


def options(broker: Broker) -> tuple[dict[str, str], dict[str, str]]:
    """Two NIFTY calls of one expiry, 500 apart in strike."""
    rows = broker.admin_get(
        "/instruments", params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "OPTIDX"}
    )["rows"]
    calls = [r for r in rows if r["symbol"].endswith("CE")]
    expiry = calls[0]["expiry"]
    by_strike = {Decimal(r["strike"]) / 100: r for r in calls if r["expiry"] == expiry}
    low = min(k for k in by_strike if k + 500 in by_strike)
    return by_strike[low], by_strike[low + 500]


def post(broker: Broker, jwt: str, path: str, body: Any) -> dict[str, Any]:
    broker.clock.advance(1)
    reply = broker.post(path, body, jwt)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def position(r: dict[str, str], side: str, qty: int, price: str, **extra: str) -> dict[str, Any]:
    return {
        "exchange": r["exch_seg"], "qty": qty, "price": price, "productType": "CARRYFORWARD",
        "token": r["token"], "tradeType": side, "orderType": "LIMIT", **extra,
    }  # fmt: skip


def test_margin_shape_and_the_segment_models(broker: Broker, jwt: str) -> None:
    sbin = row(broker, exch_seg="NSE", symbol="SBIN-EQ")
    fut = row(broker, exch_seg="NFO", name="NIFTY", instrumenttype="FUTIDX")
    low, _ = options(broker)
    strike = Decimal(low["strike"]) / 100

    delivery = position(sbin, "BUY", 10, "800", productType="DELIVERY")
    intraday = position(sbin, "BUY", 10, "800", productType="INTRADAY")
    future = position(fut, "BUY", 75, "24000")
    short_call = position(low, "SELL", 75, "100")
    long_call = position(low, "BUY", 75, "100")
    results = [
        post(broker, jwt, MARGIN, {"positions": [leg]})
        for leg in (delivery, intraday, future, short_call, long_call)
    ]

    assert all(r["status"] is True and r["errorcode"] == "" for r in results)
    first = results[0]["data"]
    assert set(first) == {"totalMarginRequired", "marginComponents"}
    assert set(first["marginComponents"]) == {
        "netPremium", "spanMargin", "marginBenefit", "deliveryMargin", "nonNFOMargin",
        "totOptionsPremium",
    }  # fmt: skip
    totals = [r["data"]["totalMarginRequired"] for r in results]
    assert totals[0] == 8000.0  # cash delivery: the full value
    assert totals[1] == 1600.0  # intraday: 20 %
    assert totals[2] == 216000.0  # futures: 12 % of 75 × 24000
    assert totals[3] == float(strike * 75 * Decimal("0.12"))  # short option: % of notional
    assert totals[4] == 7500.0  # long option: the premium
    assert results[4]["data"]["marginComponents"]["totOptionsPremium"] == 7500.0
    assert results[3]["data"]["marginComponents"]["netPremium"] == -7500.0


def test_a_vertical_spread_earns_a_benefit(broker: Broker, jwt: str) -> None:
    low, high = options(broker)
    naked = post(broker, jwt, MARGIN, {"positions": [position(low, "SELL", 75, "200")]})
    hedged = post(
        broker,
        jwt,
        MARGIN,
        {"positions": [position(low, "SELL", 75, "200"), position(high, "BUY", 75, "50")]},
    )

    parts = hedged["data"]["marginComponents"]
    # the short call's margin on 75 is capped at the strike difference: 500 × 75
    assert parts["marginBenefit"] == naked["data"]["totalMarginRequired"] - 500 * 75
    assert hedged["data"]["totalMarginRequired"] == 500 * 75 + 50 * 75


def test_lower_case_keys_and_market_orders_valued_at_the_ltp(broker: Broker, jwt: str) -> None:
    sbin = row(broker, exch_seg="NSE", symbol="SBIN-EQ")
    broker.set_price("NSE", sbin["token"], "812.5")
    leg = {
        "exchange": "NSE", "qty": "4", "price": "0", "producttype": "DELIVERY",
        "token": sbin["token"], "tradetype": "BUY",
    }  # fmt: skip

    reply = post(broker, jwt, MARGIN, {"positions": [leg]})

    assert reply["data"]["totalMarginRequired"] == 3250.0


def test_margin_refusals_use_the_oms_error_shape(broker: Broker, jwt: str) -> None:
    sbin = row(broker, exch_seg="NSE", symbol="SBIN-EQ")
    good = position(sbin, "BUY", 1, "800", productType="DELIVERY")
    cases = {
        "no list": {"positions": {}},
        "too many": {"positions": [good] * 51},
        "bad token": {"positions": [{**good, "token": "999999999"}]},
        "bad product": {"positions": [{**good, "productType": "CNC"}]},
        "bad side": {"positions": [{**good, "tradeType": "HOLD"}]},
        "bad qty": {"positions": [{**good, "qty": "1.5"}]},
    }
    answers = {name: post(broker, jwt, MARGIN, body) for name, body in cases.items()}

    assert {n: (a["errorcode"], a["message"]) for n, a in answers.items()} == {
        "no list": ("AB1007", "Invalid positions"),
        "too many": (
            "AB1007",
            "You can calculate margin for a maximum of 50 positions in a single request",
        ),
        "bad token": ("AB4006", "Invalid symboltoken"),
        "bad product": ("AB1012", "Invalid Product Type"),
        "bad side": ("AB1007", "Invalid Transaction Type"),
        "bad qty": ("AB1007", "Invalid Quantity"),
    }
    assert all(a["status"] is False and a["data"] is None for a in answers.values())
    assert post(broker, jwt, MARGIN, {"positions": [good] * 50})["status"] is True


def test_estimate_charges_shape_and_schedule(broker: Broker, jwt: str) -> None:
    low, _ = options(broker)
    sbin = row(broker, exch_seg="NSE", symbol="SBIN-EQ")
    body = {
        "orders": [
            {
                "product_type": "CARRYFORWARD", "transaction_type": "SELL", "quantity": "75",
                "price": "100", "exchange": "NFO", "symbol_name": "NIFTY", "token": low["token"],
            },
            {
                "product_type": "DELIVERY", "transaction_type": "BUY", "quantity": "10",
                "price": "800", "exchange": "NSE", "symbol_name": "SBIN", "token": sbin["token"],
            },
        ]
    }  # fmt: skip

    data = post(broker, jwt, CHARGES, body)["data"]

    option, cash = data["charges"]
    assert option["trade_value"] == 7500.0
    names = [b["name"] for b in option["breakup"]]
    assert names == ["Angel One Brokerage", "External Charges", "Taxes"]
    brokerage, external, taxes = option["breakup"]
    assert brokerage["amount"] == 7.5  # 0.1 % of 7500, under the ₹20 cap
    inner = {b["name"]: b["amount"] for b in external["breakup"] + taxes["breakup"]}
    assert inner == {
        "Exchange Transaction Charges": 2.63,  # 0.03503 % of premium
        "SEBI Fees": 0.01,
        "Stamp Duty": 0.0,  # sell side
        "Securities Transaction Tax": 7.5,  # 0.1 % of premium, sell side
        "GST": 1.83,  # 18 % of 7.50 + 2.63 + 0.01
    }
    assert option["total_charges"] == 7.5 + 2.63 + 0.01 + 7.5 + 1.83
    assert cash["breakup"][0]["amount"] == 0.0  # zero brokerage on delivery
    assert data["summary"]["trade_value"] == 15500.0
    assert data["summary"]["total_charges"] == round(
        option["total_charges"] + cash["total_charges"], 2
    )


def test_charges_refuse_bad_orders(broker: Broker, jwt: str) -> None:
    bad = post(broker, jwt, CHARGES, {"orders": []})
    unknown = post(
        broker,
        jwt,
        CHARGES,
        {"orders": [{"product_type": "DELIVERY", "transaction_type": "BUY", "quantity": 1,
                     "price": 1, "exchange": "NSE", "token": "0"}]},
    )  # fmt: skip

    assert (bad["errorcode"], bad["message"]) == ("AB1007", "Invalid orders")
    assert (unknown["errorcode"], unknown["message"]) == ("AB4006", "Invalid symboltoken")


def test_both_routes_are_rate_limited_like_the_others(broker: Broker, jwt: str) -> None:
    sbin = row(broker, exch_seg="NSE", symbol="SBIN-EQ")
    body = {"positions": [position(sbin, "BUY", 1, "800", productType="DELIVERY")]}
    broker.clock.advance(2)

    replies = [broker.post(MARGIN, body, jwt) for _ in range(11)]

    assert [r.status_code for r in replies[:10]] == [200] * 10
    assert replies[10].status_code == 403 and replies[10].text == RATE_TEXT
    limits = broker.admin_get("/config")["rate_limits"]
    assert limits["estimateCharges"] == limits["marginBatch"] == [[10, 1.0], [500, 60.0],
                                                                  [5000, 3600.0]]  # fmt: skip


def test_the_sdk_routes_are_served() -> None:
    """The official SDK's ``getMarginApi`` and ``estimateCharges`` route strings (which lack
    the leading slash) reach the two handlers."""
    sdk = {
        "getMarginApi": "rest/secure/angelbroking/margin/v1/batch",
        "estimateCharges": "rest/secure/angelbroking/brokerage/v1/estimateCharges",
    }
    served = {}
    for method, route in sdk.items():
        found = match_path(normalise_path("/" + route))
        assert found is not None
        served[method] = found[0].name
    assert served == {"getMarginApi": "marginBatch", "estimateCharges": "estimateCharges"}
