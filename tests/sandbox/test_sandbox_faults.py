"""Fault switches: each one's wire effect, whether the engine acted, and disarming."""

from __future__ import annotations

import re
import time

import pytest
import requests

from angelctl.sandbox import SandboxConfig, SandboxServer

from .conftest import LOGOUT, PROFILE, RMS, Broker

AG8001 = '{"success":false,"message":"Invalid Token","errorCode":"AG8001","data":""}'


def test_latency_delays_the_reply(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.fault(name="latency", ms=150, route="getProfile")

    started = time.perf_counter()
    response = broker.get(PROFILE, tokens.jwt)
    elapsed = time.perf_counter() - started

    assert response.json()["status"] is True
    assert elapsed >= 0.15
    assert broker.requests_seen("getProfile")[-1]["faults"] == ["latency"]


def test_hold_times_the_client_out_after_the_engine_acted(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.fault(name="hold", seconds=1.0, route="logout", count=1)

    with pytest.raises(requests.ReadTimeout):
        broker.post(LOGOUT, {"clientcode": "SBX0001"}, tokens.jwt, timeout=0.3)

    record = broker.requests_seen("logout")[-1]
    assert (record["status"], record["code"], record["faults"]) == (200, "", ["hold"])
    assert broker.get(PROFILE, tokens.jwt).text == AG8001  # the logout did happen


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_drop_closes_the_connection_after_the_engine_acted(broker: Broker, mode: str) -> None:
    tokens = broker.tokens()
    broker.fault(name="drop", mode=mode, route="logout")

    with pytest.raises(requests.ConnectionError) as caught:
        broker.post(LOGOUT, {"clientcode": "SBX0001"}, tokens.jwt, timeout=2)

    if mode == "reset":
        assert "reset" in str(caught.value).lower()
    assert broker.requests_seen("logout")[-1]["faults"] == ["drop"]
    assert broker.get(PROFILE, tokens.jwt).text == AG8001


def test_http_5xx_answers_html_without_processing(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.fault(name="http_5xx", route="logout")

    response = broker.post(LOGOUT, {"clientcode": "SBX0001"}, tokens.jwt)

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html"
    assert "503 Service Temporarily Unavailable" in response.text
    assert broker.get(PROFILE, tokens.jwt).json()["status"] is True


def test_http_5xx_status_is_selectable(broker: Broker) -> None:
    broker.fault(name="http_5xx", status=502)

    assert broker.get(RMS).status_code == 502


def test_waf_html_is_a_request_rejected_page_with_a_support_id(broker: Broker) -> None:
    broker.fault(name="waf_html", route="loginByPassword")

    response = broker.login()

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html"
    assert "<title>Request Rejected</title>" in response.text
    assert re.search(r"Your support ID is: \d{19}", response.text)
    assert broker.server.engine.state.sessions.live_sessions() == 0


def test_empty_400_has_no_body_at_all(broker: Broker) -> None:
    broker.fault(name="empty_400", route="placeOrder")
    tokens = broker.tokens()

    response = broker.post("/rest/secure/angelbroking/order/v1/placeOrder", {}, tokens.jwt)

    assert response.status_code == 400
    assert response.headers["Content-Length"] == "0"
    assert response.content == b""


def test_rate_limit_fault_forces_the_configured_reply(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.fault(name="rate_limit", route="getProfile", count=1)

    first = broker.get(PROFILE, tokens.jwt)

    assert (first.status_code, first.text) == (
        403,
        "Access denied because of exceeding access rate",
    )
    assert broker.get(PROFILE, tokens.jwt).status_code == 200


def test_rate_limit_fault_can_pick_its_own_form(broker: Broker) -> None:
    broker.fault(name="rate_limit", reply="json_ab1021")

    assert broker.get(RMS).json()["errorcode"] == "AB1021"


def test_expire_tokens_kills_jwts_but_not_refresh_tokens(broker: Broker) -> None:
    tokens = broker.tokens()

    result = broker.fault(name="expire_tokens")

    assert result == {"name": "expire_tokens", "expired": 1}
    assert broker.get(PROFILE, tokens.jwt).text == AG8001
    renewed = broker.refresh(tokens.refresh).json()["data"]["jwtToken"]
    assert broker.get(PROFILE, renewed).json()["status"] is True
    assert broker.admin_get("/faults") == []


def test_expire_tokens_with_also_refresh_kills_refresh_tokens(broker: Broker) -> None:
    tokens = broker.tokens()

    broker.fault(name="expire_tokens", also_refresh=True)

    assert broker.refresh(tokens.refresh).json()["errorcode"] == "AB8050"


def test_auth_after_lets_n_secure_calls_through_then_expires_the_token(broker: Broker) -> None:
    broker.configure(rate_limit_enabled=False)
    tokens = broker.tokens()
    broker.fault(name="auth_after", calls=3)

    outcomes = [broker.get(PROFILE, tokens.jwt).json().get("status") for _ in range(4)]

    assert outcomes == [True, True, True, None]
    assert broker.get(PROFILE, tokens.jwt).text == AG8001
    renewed = broker.refresh(tokens.refresh).json()["data"]["jwtToken"]
    assert broker.get(PROFILE, renewed).json()["status"] is True  # disarmed after firing


def test_auth_after_counts_only_successful_calls_on_its_route(broker: Broker) -> None:
    broker.configure(rate_limit_enabled=False)
    tokens = broker.tokens()
    broker.fault(name="auth_after", calls=1, route="getRMS")
    broker.get(PROFILE, tokens.jwt)
    broker.get(RMS, "not-a-token")

    assert broker.get(RMS, tokens.jwt).json()["status"] is True
    assert broker.get(PROFILE, tokens.jwt).text == AG8001


def test_count_disarms_a_fault_after_that_many_requests(broker: Broker) -> None:
    armed = broker.fault(name="http_5xx", count=2)
    assert armed["count"] == 2 and armed["route"] == "*"

    codes = [broker.get(RMS).status_code for _ in range(2)]
    broker.clock.advance(1)
    codes.append(broker.get(RMS).status_code)

    assert codes == [503, 503, 200]
    assert broker.admin_get("/faults") == []


def test_route_filter_leaves_other_routes_alone(broker: Broker) -> None:
    broker.fault(name="http_5xx", route="getRMS")

    assert broker.get(PROFILE).status_code == 200
    assert broker.get(RMS).status_code == 503


def test_faults_can_be_listed_and_disarmed_one_by_one_or_all(broker: Broker) -> None:
    first = broker.fault(name="latency", ms=1)
    broker.fault(name="hold", seconds=0.01, route="getRMS")
    assert [f["name"] for f in broker.admin_get("/faults")] == ["latency", "hold"]

    one = broker.admin("DELETE", "/faults", params={"id": first["id"]})
    assert one.json() == {"disarmed": 1}
    assert [f["name"] for f in broker.admin_get("/faults")] == ["hold"]

    assert broker.admin("DELETE", "/faults").json() == {"disarmed": 1}
    assert broker.admin_get("/faults") == []


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "meteor"},
        {"name": "hold", "seconds": "five"},
        {"name": "hold", "route": "getprofile"},
        {"name": "drop", "mode": "explode"},
        {"name": "http_5xx", "status": 404},
        {"name": "latency", "count": 0},
        {"name": "auth_after"},
        {"name": "latency", "colour": "red"},
    ],
)
def test_a_bad_fault_spec_is_refused_with_400(broker: Broker, spec: dict[str, object]) -> None:
    response = broker.admin_post("/faults", spec)

    assert response.status_code == 400
    assert response.json()["error"]
    assert broker.admin_get("/faults") == []


def test_faults_can_be_armed_at_start_up() -> None:
    config = SandboxConfig(faults=[{"name": "http_5xx", "status": 500, "count": 1}])
    with SandboxServer(config) as server:
        url = server.rest_url + RMS
        assert requests.get(url).status_code == 500
        assert requests.get(url).status_code == 200
