"""Admin routes: demo account, reset, request log, stats and run-time config."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from angelctl.broker.sandbox_admin import ADMIN_HEADER
from angelctl.sandbox import SandboxConfig, SandboxServer
from angelctl.sandbox.config import SandboxConfigError

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

    text = broker.admin("GET", "/requests").text

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
    response = broker.admin("GET", "/nothing")

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


# ------------------------------------------------------------------------- the admin token

SBIN_MARKET = f"/market?exch_seg=NSE&token={SBIN[1]}"
# (method, path, body, an authorised read that shows whether it changed anything).
CHANGES = [
    ("POST", "/faults", {"name": "drop"}, "/faults"),
    ("POST", "/positions", {"exch_seg": "NSE", "symbol": "SBIN-EQ", "netqty": 5}, "/orders"),
    (
        "POST",
        "/seed",
        {"rules": [{"exch_seg": "NSE", "symbol": "SBIN-EQ", "side": "SELL"}]},
        "/gtt",
    ),
    ("POST", "/config", {"reject_totp_reuse": False}, "/config"),
    ("POST", "/market/price", {"exch_seg": "NSE", "token": SBIN[1], "ltp": "900"}, SBIN_MARKET),
    ("POST", "/market/freeze", {"frozen": False}, "/market"),
    ("POST", "/ws/close", {"route": "*"}, "/ws"),
    ("POST", "/reset", {}, "/faults"),
    ("DELETE", "/faults", None, "/faults"),
]
REFUSALS = {  # (headers, or None for the right token; Content-Type; status)
    "no token": ({}, "application/json", 401),
    "wrong token": ({ADMIN_HEADER: "x" * 32}, "application/json", 401),
    "text/plain": (None, "text/plain", 415),
    "form post": (None, "application/x-www-form-urlencoded", 415),
}
CASES = [
    (*change, refusal)
    for change in CHANGES
    for refusal, (headers, _, _) in REFUSALS.items()
    if change[0] == "POST" or headers is not None  # a DELETE has no body to type
]


@pytest.mark.parametrize(("method", "path", "body", "read", "refusal"), CASES)
def test_an_admin_change_without_the_token_or_as_non_json_is_refused_and_changes_nothing(
    broker: Broker, jwt: str, method: str, path: str, body: object, read: str, refusal: str
) -> None:
    headers, content_type, status = REFUSALS[refusal]
    broker.fault(name="latency", ms=1, route="searchScrip")  # what a reset or DELETE would clear
    before = broker.admin_get(read)
    token = {ADMIN_HEADER: broker.server.admin_token}
    response = requests.request(
        method,
        broker.server.admin_url + path,
        data=json.dumps(body) if body is not None else None,
        headers={**(token if headers is None else headers), "Content-Type": content_type},
        timeout=5,
    )

    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert broker.admin_get(read) == before
    assert [f["name"] for f in broker.admin_get("/faults")] == ["latency"]
    assert broker.admin_get("/config")["reject_totp_reuse"] is True


@pytest.mark.parametrize(
    ("method", "path", "body", "read"), [c for c in CHANGES if c[1] != "/ws/close"]
)
def test_the_same_changes_with_the_token_as_json_do_change_the_read(
    broker: Broker, jwt: str, method: str, path: str, body: object, read: str
) -> None:
    """The control for the test above: each read shows its change (no sockets: no /ws/close)."""
    broker.fault(name="latency", ms=1, route="searchScrip")
    before = broker.admin_get(read)

    response = broker.admin(method, path, body)

    assert response.status_code == 200, response.text
    assert broker.admin_get(read) != before


@pytest.mark.parametrize(
    "path", ["/demo-account", "/requests", "/faults", "/config", "/ws", "/orders", "/nothing"]
)
@pytest.mark.parametrize("token", [None, "", "wrong-token-wrong-token", "é"])
def test_admin_reads_need_the_token(broker: Broker, path: str, token: str | None) -> None:
    headers = {} if token is None else {ADMIN_HEADER: token.encode()}
    response = requests.get(broker.server.admin_url + path, headers=headers, timeout=5)

    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert "sandbox-api-key" not in response.text and "1234" not in response.text


def test_a_cross_site_form_post_cannot_arm_a_fault(broker: Broker) -> None:
    """What a web page can send to 127.0.0.1 without a preflight: a form, no custom header."""
    form = requests.post(broker.server.admin_url + "/faults", data={"name": "drop"}, timeout=5)
    plain = requests.post(
        broker.server.admin_url + "/faults",
        data='{"name": "drop"}',
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )

    assert (form.status_code, plain.status_code) == (401, 401)
    assert broker.admin_get("/faults") == []


def test_each_server_makes_its_own_token_unless_the_config_fixes_one() -> None:
    with SandboxServer() as first, SandboxServer() as second:
        tokens = [first.admin_token, second.admin_token]
        reply = requests.get(
            first.admin_url + "/faults", headers={ADMIN_HEADER: second.admin_token}, timeout=5
        )
    fixed = SandboxServer(SandboxConfig(admin_token="a-test-token-0123456789"))

    assert tokens[0] != tokens[1] and min(map(len, tokens)) >= 32
    assert reply.status_code == 401  # one sandbox's token does not open another
    assert fixed.admin_token == "a-test-token-0123456789"
    assert "a-test-token" not in repr(fixed.config)
    with pytest.raises(SandboxConfigError, match="admin_token"):
        SandboxConfig(admin_token="short")


def test_the_token_is_not_readable_or_settable_through_the_config_route(broker: Broker) -> None:
    config = broker.admin_get("/config")
    response = broker.admin_post("/config", {"admin_token": "x" * 32})

    assert "admin_token" not in config and broker.server.admin_token not in json.dumps(config)
    assert response.status_code == 400
    assert broker.admin_get("/faults") == []  # the old token still opens the routes
