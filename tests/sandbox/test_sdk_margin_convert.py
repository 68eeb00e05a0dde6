"""The official SDK 1.5.5's ``getMarginApi`` and ``convertPosition`` exactly as they go on the
wire (docs/protocol.md: the SDK's headers — lower-case ``Content-type``, the hard-coded public
IP —, ``json.dumps`` bodies with spaces, the margin route string without its leading slash
joined to the root), sent with plain ``requests``; the answers are the documented shapes."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import requests

from .conftest import LOGIN, POSITIONS, SBIN, Broker
from .test_sandbox_quirks import SDK_HEADERS

SDK_MARGIN_ROUTE = "rest/secure/angelbroking/margin/v1/batch"  # PY 1.5.5's route string
SDK_CONVERT_ROUTE = "/rest/secure/angelbroking/order/v1/convertPosition"


def sdk_session(broker: Broker) -> dict[str, str]:
    body = json.dumps({"clientcode": "SBX0001", "password": "1234", "totp": broker.totp()})
    login = requests.post(broker.url + LOGIN, data=body, headers=SDK_HEADERS).json()
    return {**SDK_HEADERS, "Authorization": f"Bearer {login['data']['jwtToken']}"}


def test_get_margin_api_as_the_sdk_sends_it(broker: Broker) -> None:
    headers = sdk_session(broker)
    broker.set_price(SBIN[0], SBIN[1], "800")
    params = {
        "positions": [
            {"exchange": "NSE", "qty": 10, "price": 0, "productType": "DELIVERY",
             "token": SBIN[1], "tradeType": "BUY", "orderType": "MARKET"},
        ]
    }  # fmt: skip

    reply = requests.post(
        urljoin(broker.url, SDK_MARGIN_ROUTE), data=json.dumps(params), headers=headers
    )

    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["message"], body["errorcode"]) == (True, "SUCCESS", "")
    assert body["data"]["totalMarginRequired"] == 8000.0
    assert body["data"]["marginComponents"]["deliveryMargin"] == 8000.0
    seen = broker.requests_seen("marginBatch")[-1]
    assert seen["headers"]["Content-type"] == "application/json"
    assert seen["headers"]["X-ClientPublicIP"] == "106.193.147.98"


def test_convert_position_as_the_sdk_test_sends_it(broker: Broker) -> None:
    headers = sdk_session(broker)
    broker.set_price(SBIN[0], SBIN[1], "800")
    jwt = headers["Authorization"].removeprefix("Bearer ")
    broker.place_id(jwt, price="801", quantity="2")
    params = {
        "exchange": "NSE", "oldproducttype": "INTRADAY", "newproducttype": "DELIVERY",
        "tradingsymbol": "SBIN-EQ", "transactiontype": "BUY", "quantity": 1, "type": "DAY",
    }  # fmt: skip

    broker.clock.advance(1)
    reply = requests.post(broker.url + SDK_CONVERT_ROUTE, data=json.dumps(params), headers=headers)

    assert reply.status_code == 200
    assert reply.json() == {"status": True, "message": "SUCCESS", "errorcode": "", "data": None}
    products = {r["producttype"]: r["netqty"] for r in broker.read(POSITIONS, jwt)["data"]}
    assert products == {"INTRADAY": "1", "DELIVERY": "1"}
