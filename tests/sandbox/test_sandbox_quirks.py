"""What the official SDKs put on the wire, tolerated; unknown and unimplemented routes."""

from __future__ import annotations

import json

import pytest
import requests

from angelctl.sandbox.rest.routes import ROUTES, WAF_PATHS, Route
from angelctl.sandbox.rest.wire import list_or_null

from .conftest import LOGIN, PROFILE, Broker

SDK_HEADERS = {
    "Content-type": "application/json",
    "X-ClientLocalIP": "127.0.0.1",
    "X-ClientPublicIP": "106.193.147.98",
    "X-MACAddress": "xx:xx:xx:xx:xx:xx",
    "Accept": "application/json",
    "X-PrivateKey": "sandbox-api-key",
    "X-UserType": "USER",
    "X-SourceID": "WEB",
}


def test_sdk_login_body_and_raw_json_query_string_are_understood(broker: Broker) -> None:
    body = json.dumps({"clientcode": "SBX0001", "password": "1234", "totp": broker.totp()})
    login = requests.post(broker.url + LOGIN, data=body, headers=SDK_HEADERS).json()
    jwt = login["data"]["jwtToken"]
    headers = {**SDK_HEADERS, "Authorization": f"Bearer {jwt}"}

    response = requests.get(
        broker.url + PROFILE, params=json.dumps({"refreshToken": "RT"}), headers=headers
    )

    assert response.json()["data"]["clientcode"] == "SBX0001"
    record = broker.requests_seen("getProfile")[-1]
    assert record["target"] == PROFILE + "?%7B%22refreshToken%22:%20%22***%22%7D"  # masked
    assert record["headers"]["Content-type"] == "application/json"
    assert record["headers"]["X-ClientPublicIP"] == "106.193.147.98"


def test_empty_json_query_and_a_body_on_get_are_ignored(broker: Broker) -> None:
    tokens = broker.tokens()

    response = requests.get(
        broker.url + PROFILE + "?%7B%7D", data="{}", headers=broker.headers(tokens.jwt)
    )

    assert response.json()["status"] is True
    assert broker.requests_seen("getProfile")[-1]["target"] == PROFILE + "?%7B%7D"


@pytest.mark.parametrize("path", [PROFILE + "/", "/order-service" + PROFILE, "//" + PROFILE[1:]])
def test_trailing_slash_legacy_prefix_and_double_slash_reach_the_route(
    broker: Broker, path: str
) -> None:
    tokens = broker.tokens()

    response = broker.get(path, tokens.jwt)

    assert response.json()["status"] is True
    assert broker.requests_seen()[-1]["target"] == path


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/gtt-service/rest/secure/angelbroking/gtt/v1/createRule", "createRule"),
        ("/order-service/rest/secure/angelbroking/order/v1/getLtpData", "getLtpData"),
        ("/rest/secure/angelbroking/market/v1/quote/", "marketQuote"),
        ("/rest/secure/angelbroking/order/v1/details/05ebf91b-bea4-4a1d-b0f2", "orderDetails"),
    ],
)
def test_documented_path_variants_map_to_their_route(broker: Broker, path: str, route: str) -> None:
    tokens = broker.tokens()
    method = "GET" if route == "orderDetails" else "POST"

    response = requests.request(method, broker.url + path, headers=broker.headers(tokens.jwt))

    assert response.json()["status"] is False  # no body: the route's handler refuses it
    assert broker.requests_seen()[-1]["route"] == route


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_secure], ids=lambda r: r.name)
def test_every_secure_route_goes_through_the_gateway(broker: Broker, route: Route) -> None:
    path = route.path.replace("{uniqueorderid}", "X1")

    unauthenticated = requests.request(route.method, broker.url + path, headers=broker.headers())

    assert unauthenticated.json()["errorCode"] == "AG8003"
    assert broker.requests_seen()[-1]["route"] == route.name


def test_unimplemented_route_answers_ab2000_in_status_dialect(broker: Broker) -> None:
    tokens = broker.tokens()

    response = broker.get("/rest/secure/angelbroking/marketData/v1/putCallRatio", tokens.jwt)

    assert response.text == (
        '{"message":"putCallRatio is not implemented in this sandbox yet","errorcode":"AB2000",'
        '"status":false,"data":null}'
    )


def test_login_by_mpin_route_gets_the_waf_page(broker: Broker) -> None:
    path = sorted(WAF_PATHS)[0]

    response = broker.post(path, {"clientcode": "SBX0001", "mpin": "1234"})

    assert response.headers["Content-Type"] == "text/html"
    assert "Request Rejected" in response.text


def test_unknown_path_is_404_and_wrong_method_is_405(broker: Broker) -> None:
    assert broker.get("/rest/secure/angelbroking/user/v1/getNothing").status_code == 404

    wrong = broker.post(PROFILE, {})

    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"


def test_malformed_json_body_is_a_bare_400(broker: Broker) -> None:
    response = requests.post(broker.url + LOGIN, data="{not json", headers=broker.headers())

    assert (response.status_code, response.content) == (400, b"")


def test_empty_lists_travel_as_null() -> None:
    assert list_or_null([]) is None
    assert list_or_null([{"orderid": "1"}]) == [{"orderid": "1"}]
