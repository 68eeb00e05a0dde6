"""Envelope parsing against real broker bodies (tests/realdata) and both error dialects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from angelctl.broker.envelope import CODE_CLASSES, RawResponse, parse_envelope
from angelctl.errors import (
    AuthError,
    IpNotRegistered,
    LoginRejected,
    RateLimited,
    RequestRejected,
    ServerError,
    SessionExpired,
    UnparseableResponse,
)
from tests.conftest import REALDATA

JSON = {"Content-Type": "application/json"}


def reply(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return RawResponse(status, headers or JSON, raw)


def test_success_returns_data_and_null_for_empty_lists() -> None:
    assert (
        parse_envelope(
            "getOrderBook", reply('{"status":true,"message":"SUCCESS","errorcode":"","data":null}')
        )
        is None
    )
    assert parse_envelope(
        "getRMS", reply('{"status":true,"message":"SUCCESS","errorcode":"","data":{"net":"1"}}')
    ) == {"net": "1"}


def test_real_getprofile_capture_parses() -> None:
    captures = json.loads(
        (REALDATA / "responses/forum_and_issue_captures_smartapi.json").read_text()
    )
    body = captures["items"][0]["text"]
    data = parse_envelope("getProfile", reply(body))
    assert data["exchanges"][0] == "nse_fo"


def test_real_error_bodies_from_the_js_sdk_log_map_to_types() -> None:
    entries = json.loads(
        (
            REALDATA / "responses/smartapi_error_responses_distinct_2024-12_to_2025-04_Vectra.json"
        ).read_text()
    )
    seen: dict[str, type] = {}
    for entry in entries:
        body = entry["response_data"]
        if body.startswith("{"):
            with pytest.raises(Exception) as info:
                parse_envelope(entry["url"].rsplit("/", 1)[-1], reply(body))
            seen[json.loads(body).get("errorcode") or json.loads(body).get("errorCode")] = type(
                info.value
            )
        elif "exceeding access rate" in body:
            with pytest.raises(RateLimited):
                parse_envelope("quote", reply(body, 403, {"Content-Type": "text/plain"}))
    assert seen["AG8001"] is SessionExpired
    assert seen["AB1004"] is ServerError
    assert issubclass(seen["AB1050"], LoginRejected)


def test_ag7002_static_ip_body_from_the_real_log() -> None:
    body = (
        '{"success": false, "message": "Access denied: Unregistered IP address. Register '
        'your IP before retrying.", "errorCode": "AG7002", "data": ""}'
    )
    with pytest.raises(IpNotRegistered) as info:
        parse_envelope("placeOrder", reply(body))
    assert info.value.code == "AG7002"
    assert info.value.hint and "public_ip" in info.value.hint


def test_both_dialects_carry_code_and_message() -> None:
    with pytest.raises(SessionExpired) as a:
        parse_envelope(
            "getProfile",
            reply('{"success":false,"message":"Invalid Token","errorCode":"AG8001","data":""}'),
        )
    assert (a.value.code, a.value.message) == ("AG8001", "Invalid Token")
    with pytest.raises(RequestRejected) as b:
        parse_envelope(
            "placeOrder",
            reply(
                '{"message":"Invalid symboltoken","errorcode":"AB4006","status":false,"data":null}'
            ),
        )
    assert (b.value.code, b.value.route) == ("AB4006", "placeOrder")


def test_any_refusal_on_the_login_route_is_a_login_rejection() -> None:
    with pytest.raises(LoginRejected) as info:
        parse_envelope(
            "loginByPassword",
            reply(
                '{"message":"Login Id or password is invalid","errorcode":"AB1007",'
                '"status":false,"data":null}'
            ),
        )
    assert info.value.exit_status == 4


def test_rate_limit_text_403_429_and_json_forms() -> None:
    text = "Access denied because of exceeding access rate"
    for response in (
        reply(text, 403, {"Content-Type": "text/plain"}),
        reply("", 429),
        reply('{"status":false,"errorcode":"AB1021","message":"Too many requests"}'),
    ):
        with pytest.raises(RateLimited):
            parse_envelope("getRMS", response)


def test_waf_html_empty_400_and_5xx_and_garbage() -> None:
    waf = (
        "<html><head><title>Request Rejected</title></head><body>The requested URL was "
        "rejected. Your support ID is: 1234567890123456789</body></html>"
    )
    with pytest.raises(RequestRejected) as info:
        parse_envelope("loginByPassword", reply(waf, 200, {"Content-Type": "text/html"}))
    assert "firewall" in info.value.message and "1234567890123456789" in info.value.message
    with pytest.raises(RequestRejected) as empty:
        parse_envelope("placeOrder", reply(b"", 400, {"Content-Length": "0"}))
    assert "empty body" in empty.value.message
    with pytest.raises(ServerError):
        parse_envelope(
            "getRMS", reply("<html>502 Bad Gateway</html>", 502, {"Content-Type": "text/html"})
        )
    with pytest.raises(UnparseableResponse):
        parse_envelope("getRMS", reply("}{", 200))
    with pytest.raises(UnparseableResponse):
        parse_envelope("getRMS", reply('{"data": 1}'))


def test_every_documented_code_has_an_explicit_class() -> None:
    documented = [
        "AG8001",
        "AG8002",
        "AG8003",
        "AB8050",
        "AB8051",
        "AB1000",
        "AB1001",
        "AB1002",
        "AB1003",
        "AB1004",
        "AB1005",
        "AB1006",
        "AB1007",
        "AB1008",
        "AB1009",
        "AB1010",
        "AB1011",
        "AB1012",
        "AB1013",
        "AB1014",
        "AB1015",
        "AB1016",
        "AB1017",
        "AB1018",
        "AB2000",
        "AB2001",
        "AB1031",
        "AB1032",
        "AB2002",
        "AB4008",
        "AB1050",
        "AB7001",
        "AB4006",
        "AB4013",
        "AB4036",
        "AB1021",
        "AB4018",
        "AG8004",
        "AG7002",
        *[f"AB90{n:02d}" for n in range(19)],
    ]
    missing = [code for code in documented if code not in CODE_CLASSES]
    assert missing == []
    assert issubclass(CODE_CLASSES["AG8004"], AuthError)
