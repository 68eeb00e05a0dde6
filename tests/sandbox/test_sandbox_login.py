"""Login, token refresh and logout as the live SmartAPI answers them."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest

from angelctl.sandbox.clock import IST

from .conftest import LOGOUT, PROFILE, RMS, SECOND, Broker


def _decode(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return _decode(header), _decode(payload)


def test_login_with_mpin_and_totp_returns_hs512_tokens_valid_until_midnight_ist(
    broker: Broker,
) -> None:
    response = broker.login()

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["status", "message", "errorcode", "data"]
    assert body["status"] is True and body["message"] == "SUCCESS" and body["errorcode"] == ""
    data = body["data"]
    assert set(data) == {"jwtToken", "refreshToken", "feedToken", "state"}
    assert data["state"] == "live"
    assert data["jwtToken"].startswith("eyJhbGciOiJIUzUxMiJ9.")
    header, jwt = _claims(data["jwtToken"])
    assert header == {"alg": "HS512"}
    assert jwt["username"] == "SBX0001" and jwt["roles"] == 0 and jwt["usertype"] == "USER"
    end_of_day = datetime(2026, 3, 10, 23, 59, 59, tzinfo=IST).timestamp()
    assert jwt["exp"] == end_of_day
    assert jwt["iat"] == int(broker.clock.now().timestamp())
    _, feed = _claims(data["feedToken"])
    assert feed["username"] == "SBX0001" and "usertype" not in feed
    assert len({data["jwtToken"], data["refreshToken"], data["feedToken"]}) == 3


def test_login_of_unknown_client_is_ab1007(broker: Broker) -> None:
    response = broker.login(client_code="NOSUCH1")

    assert response.text == (
        '{"message":"Login Id or password is invalid","errorcode":"AB1007",'
        '"status":false,"data":null}'
    )


def test_login_with_web_password_is_ab7001(broker: Broker) -> None:
    body = broker.login(password="Secret@123").json()

    assert body["errorcode"] == "AB7001"
    assert body["message"] == "LoginbyPassword is not allowed. Please switch to Login by MPIN now."
    assert body["status"] is False and body["data"] is None


def test_login_with_wrong_mpin_is_ab1007(broker: Broker) -> None:
    body = broker.login(password="9999").json()

    assert (body["errorcode"], body["message"]) == ("AB1007", "Login Id or password is invalid")


def test_login_with_wrong_totp_is_ab1050_in_status_dialect(broker: Broker) -> None:
    wrong = f"{(int(broker.totp()) + 1) % 1_000_000:06d}"

    response = broker.login(totp=wrong)

    assert response.status_code == 200
    assert (
        response.text
        == '{"message":"Invalid totp","errorcode":"AB1050","status":false,"data":null}'
    )


def test_reused_totp_is_refused_until_the_next_step(broker: Broker) -> None:
    code = broker.totp()
    assert broker.login(totp=code).json()["status"] is True
    broker.clock.advance(1)  # next rate-limit window, same TOTP step

    assert broker.login(totp=code).json()["errorcode"] == "AB1050"

    broker.clock.advance(30)
    assert broker.login().json()["status"] is True


def test_totp_reuse_is_accepted_when_the_option_is_off(broker: Broker) -> None:
    broker.configure(reject_totp_reuse=False)
    code = broker.totp()
    assert broker.login(totp=code).json()["status"] is True
    broker.clock.advance(1)

    assert broker.login(totp=code).json()["status"] is True


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
def test_totp_is_accepted_one_step_either_side(broker: Broker, offset: int, accepted: bool) -> None:
    body = broker.login(totp=broker.totp(offset_steps=offset)).json()

    assert body["status"] is accepted


def test_login_accepts_numbers_where_strings_are_expected(broker: Broker) -> None:
    for _ in range(200):  # find a step whose code has a leading zero a JSON number loses
        if broker.totp().startswith("0"):
            break
        broker.clock.advance(30)
    assert broker.totp().startswith("0")
    body = {"clientcode": "SBX0001", "password": 1234, "totp": int(broker.totp())}

    response = broker.post("/rest/auth/angelbroking/user/v1/loginByPassword", body)

    assert response.json()["status"] is True


def test_second_account_logs_in_with_its_own_key_and_secrets(broker: Broker) -> None:
    tokens = broker.tokens(SECOND)

    profile = broker.get(PROFILE, tokens.jwt, api_key=SECOND.api_key).json()["data"]
    assert profile["clientcode"] == "SBX0002" and profile["name"] == "Second Trader"


def test_generate_tokens_issues_a_new_working_set(broker: Broker) -> None:
    old = broker.tokens()

    response = broker.refresh(old.refresh, old.jwt)

    body = response.json()
    assert body["status"] is True
    assert set(body["data"]) == {"jwtToken", "refreshToken", "feedToken"}
    new_jwt = body["data"]["jwtToken"]
    assert new_jwt != old.jwt
    assert broker.get(PROFILE, new_jwt).json()["status"] is True


def test_generate_tokens_keeps_old_tokens_alive_by_default(broker: Broker) -> None:
    old = broker.tokens()
    assert broker.refresh(old.refresh).json()["status"] is True

    assert broker.get(PROFILE, old.jwt).json()["status"] is True


def test_generate_tokens_can_be_set_to_invalidate_old_tokens(broker: Broker) -> None:
    broker.configure(invalidate_old_tokens_on_refresh=True)
    old = broker.tokens()
    assert broker.refresh(old.refresh).json()["status"] is True
    broker.clock.advance(1)

    assert broker.get(PROFILE, old.jwt).json()["errorCode"] == "AG8001"
    assert broker.refresh(old.refresh).json()["errorcode"] == "AB8050"


@pytest.mark.parametrize("kind", ["garbage", "jwt", "tampered", "empty"])
def test_generate_tokens_with_a_bad_refresh_token_is_ab8050(broker: Broker, kind: str) -> None:
    tokens = broker.tokens()
    candidates = {
        "garbage": "not-a-token",
        "jwt": tokens.jwt,
        "tampered": tokens.refresh[:-4]
        + ("AAAA" if not tokens.refresh.endswith("AAAA") else "BBBB"),
        "empty": "",
    }

    response = broker.refresh(candidates[kind])

    assert response.text == (
        '{"message":"Invalid Refresh Token","errorcode":"AB8050","status":false,"data":null}'
    )


def test_logout_kills_the_session_tokens(broker: Broker) -> None:
    tokens = broker.tokens()

    response = broker.post(LOGOUT, {"clientcode": "SBX0001"}, tokens.jwt)

    assert response.json() == {"status": True, "message": "SUCCESS", "errorcode": "", "data": ""}
    assert broker.get(PROFILE, tokens.jwt).json()["errorCode"] == "AG8001"
    assert broker.refresh(tokens.refresh).json()["errorcode"] == "AB8050"


def test_logout_also_kills_tokens_refreshed_from_the_same_login(broker: Broker) -> None:
    tokens = broker.tokens()
    newer = broker.refresh(tokens.refresh).json()["data"]["jwtToken"]

    broker.post(LOGOUT, {"clientcode": "SBX0001"}, tokens.jwt)

    assert broker.get(PROFILE, newer).json()["errorCode"] == "AG8001"


def test_logout_naming_another_client_is_refused_and_the_session_lives(broker: Broker) -> None:
    tokens = broker.tokens()

    body = broker.post(LOGOUT, {"clientcode": "SBX0002"}, tokens.jwt).json()

    assert (body["errorcode"], body["status"]) == ("AB1011", False)
    assert broker.get(PROFILE, tokens.jwt).json()["status"] is True


def test_get_profile_has_the_live_shape(broker: Broker) -> None:
    tokens = broker.tokens()

    data = broker.get(PROFILE, tokens.jwt).json()["data"]

    assert data == {
        "clientcode": "SBX0001",
        "name": "Sandbox Demo",
        "email": "",
        "mobileno": "",
        "exchanges": ["nse_fo", "nse_cm", "cde_fo", "ncx_fo", "bse_fo", "bse_cm", "mcx_fo"],
        "products": ["MARGIN", "MIS", "NRML", "CNC", "CO", "BO"],
        "lastlogintime": "",
        "broker": "",
    }


def test_get_rms_answers_every_figure_as_a_string(broker: Broker) -> None:
    tokens = broker.tokens(SECOND)

    data = broker.get(RMS, tokens.jwt, api_key=SECOND.api_key).json()["data"]

    assert len(data) == 14
    assert all(isinstance(value, str) for value in data.values())
    assert data["net"] == data["availablecash"] == "1000.50"
    assert data["utilisedpayout"] == "0"
