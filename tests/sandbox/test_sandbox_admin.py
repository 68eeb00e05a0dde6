"""Admin routes: demo account, reset, request log, stats and run-time config."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from angelctl.sandbox import SandboxServer

from .conftest import PROFILE, RMS, SBIN, Broker


def test_demo_account_gives_what_a_client_needs_to_log_in(broker: Broker) -> None:
    demo = broker.admin_get("/demo-account")

    assert demo == {
        "client_code": "SBX0001",
        "api_key": "sandbox-api-key",
        "mpin": "1234",
        "totp_secret": "ANGELCTLSANDBOXDEMOTOTPSECRETAAA",
    }


def test_reset_clears_sessions_faults_log_and_config_changes(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.fault(name="latency", ms=1)
    broker.configure(reject_totp_reuse=False)

    assert broker.admin_post("/reset", {}).json() == {"reset": True}

    assert broker.admin_get("/faults") == []
    assert broker.admin_get("/config")["reject_totp_reuse"] is True
    assert broker.admin_get("/requests") == []
    assert broker.admin_get("/stats")["sessions_live"] == 0
    assert broker.get(PROFILE, tokens.jwt).json()["errorCode"] == "AG8001"


def test_reset_is_fast_enough_to_run_before_every_test(sandbox: SandboxServer) -> None:
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        sandbox.engine.reset()
        timings.append(time.perf_counter() - started)

    assert min(timings) < 0.005


def test_request_log_records_requests_as_received_newest_last(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.get(RMS + "?%7B%7D", tokens.jwt)
    broker.admin_get("/stats")

    records = broker.admin_get("/requests")

    assert [r["route"] for r in records] == ["loginByPassword", "getRMS"]
    assert [r["seq"] for r in records] == [1, 2]
    last = records[-1]
    assert last["method"] == "GET"
    assert last["target"] == RMS + "?%7B%7D"
    assert last["client_code"] == "SBX0001"
    assert last["headers"]["X-PrivateKey"] == "***"
    assert last["headers"]["Authorization"] == "Bearer ***"
    assert last["headers"]["X-ClientPublicIP"] == "127.0.0.1"
    assert (last["status"], last["code"]) == (200, "")
    assert json.loads(records[0]["body"]) == {
        "clientcode": "SBX0001",
        "password": "***",
        "totp": "***",
        "state": "live",
    }


def test_request_log_shows_no_api_key_jwt_mpin_or_totp(broker: Broker) -> None:
    broker.clock.advance(30)
    totp = broker.totp()
    login = broker.login(totp=totp).json()["data"]
    broker.freeze()
    broker.set_price("NSE", SBIN[1], "800")
    assert broker.place(login["jwtToken"])["status"] is True
    fresh = broker.refresh(login["refreshToken"], login["jwtToken"]).json()["data"]
    leaky = json.dumps({"feedToken": login["feedToken"], "clientCode": "SBX0001"})
    broker.get(PROFILE, fresh["jwtToken"], params=leaky)  # an SDK-style JSON query string
    broker.get(PROFILE + "?feedToken=" + login["feedToken"], fresh["jwtToken"])

    text = requests.get(broker.server.admin_url + "/requests").text

    routes = [r["route"] for r in json.loads(text)]
    assert routes == ["loginByPassword", "placeOrder", "generateTokens", "getProfile", "getProfile"]
    keys = ("jwtToken", "refreshToken", "feedToken")
    values = [broker.server.config.demo.api_key, *(d[k] for d in (login, fresh) for k in keys)]
    assert [v[:12] for v in values if v in text] == []
    for number in (broker.server.config.demo.mpin, totp):
        assert re.search(rf"(?<!\d){number}(?!\d)", text) is None, number
    assert text.count('"X-PrivateKey":"***"') == 5
    assert text.count('"Authorization":"Bearer ***"') == 4


def test_request_log_filters_by_sequence_and_route(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.get(PROFILE, tokens.jwt)
    broker.get(RMS, tokens.jwt)

    since_first = broker.admin_get("/requests", params={"since": 1})
    profile_only = broker.admin_get("/requests", params={"route": "getProfile"})

    assert [r["seq"] for r in since_first] == [2, 3]
    assert [r["route"] for r in profile_only] == ["getProfile"]


def test_stats_count_calls_and_rejects_by_code(broker: Broker) -> None:
    tokens = broker.tokens()
    broker.get(PROFILE, tokens.jwt)
    broker.get(PROFILE)

    stats = broker.admin_get("/stats")

    assert stats["routes"]["getProfile"] == {"calls": 2, "ok": 1, "rejects": {"AG8003": 1}}
    assert stats["requests"] == 3
    assert stats["sessions_live"] == 1


def test_config_is_readable_and_changes_apply_at_once(broker: Broker) -> None:
    before = broker.admin_get("/config")
    assert before["session_expiry"] == "midnight"
    assert before["rate_limits"]["placeOrder"] == [[9, 1.0]]
    assert before["rate_limits"]["orders"] == [[9, 1.0], [500, 60.0], [1000, 3600.0]]

    after = broker.configure(session_expiry="ttl", session_ttl_seconds=5)

    assert (after["session_expiry"], after["session_ttl_seconds"]) == ("ttl", 5)


@pytest.mark.parametrize(
    "changes",
    [
        {"session_expiry": "weekly"},
        {"session_ttl_seconds": "60"},
        {"rate_limit_reply": "teapot"},
        {"rate_limits": {"getRMS": [[0, 1]]}},
        {"port": 80},
    ],
)
def test_bad_config_changes_are_refused_and_nothing_changes(
    broker: Broker, changes: dict[str, object]
) -> None:
    before = broker.admin_get("/config")

    response = broker.admin_post("/config", changes)

    assert response.status_code == 400
    assert response.json()["error"]
    assert broker.admin_get("/config") == before


def test_admin_routes_are_not_rate_limited_or_logged(broker: Broker) -> None:
    for _ in range(20):
        broker.admin_get("/stats")

    assert broker.admin_get("/requests") == []
    assert broker.admin_get("/stats")["requests"] == 0


def test_unknown_admin_route_is_404_and_not_logged(broker: Broker) -> None:
    response = requests.get(broker.server.admin_url + "/nothing")

    assert response.status_code == 404
    assert broker.admin_get("/requests") == []


def test_root_answers_200_json(broker: Broker) -> None:
    response = requests.get(broker.url + "/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "Date" in response.headers


def test_instrument_master_url_serves_a_json_array(sandbox: SandboxServer) -> None:
    response = requests.get(sandbox.instruments_url)

    assert response.status_code == 200
    rows = response.json()
    assert rows[0]["symbol"] == "Nifty 50"
    assert len(rows) == len(sandbox.engine.universe)
