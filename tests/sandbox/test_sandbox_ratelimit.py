"""Rate limits: per client code, sliding windows, the plain-text 403 and its variants."""

from __future__ import annotations

import pytest

from .conftest import CANCEL_ORDER, LOGIN, MODIFY_ORDER, PLACE_ORDER, PROFILE, RMS, SECOND, Broker

LIMIT_TEXT = "Access denied because of exceeding access rate"


def test_third_get_rms_in_one_second_is_a_plain_text_403(broker: Broker) -> None:
    tokens = broker.tokens()
    assert [broker.get(RMS, tokens.jwt).status_code for _ in range(2)] == [200, 200]

    response = broker.get(RMS, tokens.jwt)

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/plain"
    assert response.text == LIMIT_TEXT


def test_the_window_slides_with_the_clock(broker: Broker) -> None:
    tokens = broker.tokens()
    for _ in range(2):
        broker.get(RMS, tokens.jwt)
    broker.clock.advance(0.999)
    assert broker.get(RMS, tokens.jwt).status_code == 403

    broker.clock.advance(0.001)

    assert broker.get(RMS, tokens.jwt).status_code == 200


def test_limits_are_per_client_code(broker: Broker) -> None:
    mine = broker.tokens()
    theirs = broker.tokens(SECOND)
    for _ in range(2):
        broker.get(RMS, mine.jwt)
    assert broker.get(RMS, mine.jwt).status_code == 403

    response = broker.get(RMS, theirs.jwt, api_key=SECOND.api_key)

    assert response.json()["status"] is True


def test_login_is_limited_per_client_code_from_the_body(broker: Broker) -> None:
    assert broker.login().json()["status"] is True
    broker.clock.advance(0.5)

    assert broker.login(totp="000000").status_code == 403
    assert broker.login(SECOND).json()["status"] is True


def test_order_routes_share_a_cumulative_nine_per_second_bucket(broker: Broker) -> None:
    tokens = broker.tokens()
    paths = [PLACE_ORDER] * 4 + [MODIFY_ORDER] * 3 + [CANCEL_ORDER] * 2
    codes = [broker.post(path, {}, tokens.jwt).status_code for path in paths]
    assert codes == [200] * 9

    response = broker.post(CANCEL_ORDER, {}, tokens.jwt)

    assert response.status_code == 403
    buckets = broker.admin_get("/stats")["buckets"]
    assert buckets["orders"]["peak_per_second"] == 9
    assert buckets["orders"]["rate_limited"] == 1
    assert buckets["cancelOrder"]["rate_limited"] == 0


def test_requests_without_a_client_code_are_limited_by_api_key(broker: Broker) -> None:
    codes = [broker.get(RMS).status_code for _ in range(3)]

    assert codes == [200, 200, 403]
    assert broker.get(RMS, api_key=SECOND.api_key).status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "body"),
    [
        (
            "json_ab1021",
            200,
            '{"message":"Too many requests","errorcode":"AB1021","status":false,"data":null}',
        ),
        ("http429", 429, LIMIT_TEXT),
    ],
)
def test_rate_limit_reply_form_is_configurable(
    broker: Broker, form: str, status: int, body: str
) -> None:
    broker.configure(rate_limit_reply=form)
    tokens = broker.tokens()
    for _ in range(2):
        broker.get(RMS, tokens.jwt)

    response = broker.get(RMS, tokens.jwt)

    assert (response.status_code, response.text) == (status, body)


def test_rate_limits_can_be_changed_or_disabled_at_run_time(broker: Broker) -> None:
    tokens = broker.tokens()
    effective = broker.configure(rate_limits={"getProfile": [[1, 1]]})
    assert effective["rate_limits"]["getProfile"] == [[1, 1.0]]
    assert [broker.get(PROFILE, tokens.jwt).status_code for _ in range(2)] == [200, 403]

    broker.configure(rate_limit_enabled=False)

    assert [broker.get(PROFILE, tokens.jwt).status_code for _ in range(5)] == [200] * 5


def test_stats_report_admitted_calls_peaks_and_rejects(broker: Broker) -> None:
    tokens = broker.tokens()
    for _ in range(3):
        broker.get(RMS, tokens.jwt)

    stats = broker.admin_get("/stats")

    assert stats["buckets"]["getRMS"] == {
        "admitted": 2,
        "rate_limited": 1,
        "peak_per_second": 2,
        "peak_rolling_second": 2,
    }
    assert stats["routes"]["getRMS"] == {"calls": 3, "ok": 2, "rejects": {"rate_limited": 1}}
    assert stats["rate_limited"] == 1


def test_hourly_window_of_generate_tokens_is_enforced(broker: Broker) -> None:
    broker.configure(rate_limits={"generateTokens": [[1, 1], [3, 3600]]})
    tokens = broker.tokens()
    for _ in range(3):
        assert broker.refresh(tokens.refresh).json()["status"] is True
        broker.clock.advance(1)

    assert broker.refresh(tokens.refresh).status_code == 403
    assert broker.post(LOGIN, {}).status_code == 200  # other buckets are untouched
