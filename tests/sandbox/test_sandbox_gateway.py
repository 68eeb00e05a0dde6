"""Gateway behaviour: the two error dialects, headers, tokens and session expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests

from angelctl.sandbox.clock import IST

from .conftest import GENERATE_TOKENS, PROFILE, RMS, Broker

AG8001 = '{"success":false,"message":"Invalid Token","errorCode":"AG8001","data":""}'
AG8003 = '{"success":false,"message":"Token missing","errorCode":"AG8003","data":""}'


def test_missing_authorization_is_ag8003_in_success_dialect(broker: Broker) -> None:
    response = broker.get(PROFILE)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.text == AG8003


@pytest.mark.parametrize(
    "form", ["garbage", "no_bearer", "other_scheme", "double_bearer", "feed_token", "forged"]
)
def test_anything_but_bearer_and_a_live_jwt_is_ag8001(broker: Broker, form: str) -> None:
    tokens = broker.tokens()
    header, payload, _ = tokens.jwt.split(".")
    authorization = {
        "garbage": "Bearer abc.def.ghi",
        "no_bearer": tokens.jwt,
        "other_scheme": f"Token {tokens.jwt}",
        "double_bearer": f"Bearer Bearer {tokens.jwt}",
        "feed_token": f"Bearer {tokens.feed}",
        "forged": f"Bearer {header}.{payload}.c2lnbmF0dXJl",
    }[form]
    headers = {**broker.headers(), "Authorization": authorization}

    response = requests.get(broker.url + PROFILE, headers=headers)

    assert response.status_code == 200
    assert response.text == AG8001


def test_unknown_api_key_is_ag8004_in_success_dialect(broker: Broker) -> None:
    tokens = broker.tokens()

    response = broker.get(PROFILE, tokens.jwt, api_key="someone-elses-key")

    assert response.text == (
        '{"success":false,"message":"Invalid API Key","errorCode":"AG8004","data":""}'
    )


def test_missing_api_key_can_be_configured_to_answer_ag8001(broker: Broker) -> None:
    broker.configure(api_key_error_code="AG8001")
    headers = broker.headers()
    del headers["X-PrivateKey"]
    headers["X-API-Key"] = "sandbox-api-key"

    response = requests.get(broker.url + RMS, headers=headers)

    assert response.text == AG8001


def test_lower_case_user_type_is_ab1005(broker: Broker) -> None:
    headers = {**broker.headers(), "X-UserType": "user"}

    response = requests.get(broker.url + PROFILE, headers=headers)

    assert response.text == (
        '{"message":"User Type Must Be USER","errorcode":"AB1005","status":false,"data":null}'
    )


@pytest.mark.parametrize("missing", ["X-UserType", "X-SourceID"])
def test_missing_x_header_is_a_bare_400(broker: Broker, missing: str) -> None:
    headers = broker.headers()
    del headers[missing]

    response = requests.get(broker.url + PROFILE, headers=headers)

    assert response.status_code == 400
    assert response.content == b""


def test_header_names_are_case_insensitive(broker: Broker) -> None:
    tokens = broker.tokens()
    headers = {key.lower(): value for key, value in broker.headers(tokens.jwt).items()}
    headers["content-type"] = "application/json"

    response = requests.get(broker.url + PROFILE, headers=headers)

    assert response.json()["status"] is True


def test_expired_jwt_can_be_configured_to_answer_ag8002(broker: Broker) -> None:
    broker.configure(expired_token_code="AG8002", session_expiry="ttl", session_ttl_seconds=60)
    tokens = broker.tokens()
    broker.clock.advance(61)

    response = broker.get(PROFILE, tokens.jwt)

    assert response.text == (
        '{"success":false,"message":"Token Expired","errorCode":"AG8002","data":""}'
    )


def test_midnight_session_dies_at_the_end_of_the_ist_day(broker: Broker) -> None:
    broker.clock.set(datetime(2026, 3, 10, 23, 58, 0, tzinfo=IST))
    tokens = broker.tokens()  # 23:58:30
    broker.clock.set(datetime(2026, 3, 10, 23, 59, 59, 900000, tzinfo=IST))
    assert broker.get(PROFILE, tokens.jwt).json()["status"] is True

    broker.clock.set(datetime(2026, 3, 11, 0, 0, 0, tzinfo=IST))

    assert broker.get(PROFILE, tokens.jwt).text == AG8001
    assert broker.refresh(tokens.refresh).json()["errorcode"] == "AB8051"


def test_midnight_is_ist_whatever_the_utc_date(broker: Broker) -> None:
    broker.clock.set(datetime(2026, 3, 10, 0, 30, 0, tzinfo=IST))  # 19:00 UTC the day before
    tokens = broker.tokens()

    broker.clock.set(datetime(2026, 3, 10, 23, 0, 0, tzinfo=IST))  # a new UTC day

    assert broker.get(PROFILE, tokens.jwt).json()["status"] is True


def test_ttl_session_expires_after_its_ttl_and_refresh_is_ab8051(broker: Broker) -> None:
    broker.configure(session_expiry="ttl", session_ttl_seconds=60)
    tokens = broker.tokens()
    broker.clock.advance(59)
    assert broker.get(PROFILE, tokens.jwt).json()["status"] is True

    broker.clock.advance(2)

    assert broker.get(PROFILE, tokens.jwt).text == AG8001
    assert broker.refresh(tokens.refresh).text == (
        '{"message":"Refresh Token Expired","errorcode":"AB8051","status":false,"data":null}'
    )


def test_a_longer_refresh_ttl_lets_an_expired_session_be_renewed(broker: Broker) -> None:
    broker.configure(session_expiry="ttl", session_ttl_seconds=60, refresh_ttl_seconds=3600)
    tokens = broker.tokens()
    broker.clock.advance(120)
    assert broker.get(PROFILE, tokens.jwt).text == AG8001

    renewed = broker.refresh(tokens.refresh).json()["data"]["jwtToken"]

    assert broker.get(PROFILE, renewed).json()["status"] is True


def test_date_header_follows_the_engine_clock(broker: Broker) -> None:
    broker.clock.set(datetime(2026, 3, 10, 9, 15, 0, tzinfo=IST) + timedelta(hours=3))

    response = requests.get(broker.url + "/")

    assert response.status_code == 200
    sent = parsedate_to_datetime(response.headers["Date"])
    assert sent == datetime(2026, 3, 10, 12, 15, 0, tzinfo=IST)
    api = broker.get(PROFILE)
    assert parsedate_to_datetime(api.headers["Date"]) == sent


def test_generate_tokens_does_not_need_an_authorization_header(broker: Broker) -> None:
    tokens = broker.tokens()

    response = broker.post(GENERATE_TOKENS, {"refreshToken": tokens.refresh})

    assert response.json()["status"] is True
