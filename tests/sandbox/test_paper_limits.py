"""What stands between an order and the book: the static-IP check (AG7002), the order-route rate
limits, the per-segment orders-per-second meter, and faults that lose the answer after the
order was recorded (docs/scenarios.md#a1--placeorder-answer-lost-after-the-broker-accepted-it)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from angelctl.sandbox import ManualClock, SandboxConfig, SandboxServer

from .conftest import (
    CANCEL_ORDER,
    MODIFY_ORDER,
    ORDER_BOOK,
    PLACE_ORDER,
    SECOND,
    START,
    Broker,
    order_body,
)

ACCESS_DENIED = (
    '{"success":false,"message":"Access denied: Unregistered IP address. Register your IP '
    'before retrying.","errorCode":"AG7002","data":""}'
)
LIMIT_TEXT = "Access denied because of exceeding access rate"


def from_ip(broker: Broker, jwt: str, ip: str, path: str, body: object) -> requests.Response:
    headers = {**broker.headers(jwt), "X-ClientPublicIP": ip}
    return requests.post(broker.url + path, json=body, headers=headers)


def nifty_future(broker: Broker) -> dict[str, str]:
    params = {"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "FUTIDX"}
    row: dict[str, str] = broker.admin_get("/instruments", params=params)["rows"][0]
    return row


# ----------------------------------------------------------------------------- static IP


def test_static_ip_is_off_by_default(broker: Broker, jwt: str) -> None:
    reply = from_ip(broker, jwt, "198.51.100.7", PLACE_ORDER, order_body()).json()

    assert reply["status"] is True


def test_order_writes_from_an_unregistered_ip_get_ag7002_and_no_order(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(jwt, price="790")
    broker.configure(registered_ips=["203.0.113.10"])

    place = from_ip(broker, jwt, "198.51.100.7", PLACE_ORDER, order_body(ordertag="blocked"))
    modify = from_ip(
        broker, jwt, "198.51.100.7", MODIFY_ORDER, {"variety": "NORMAL", "orderid": orderid}
    )
    cancel = from_ip(
        broker, jwt, "198.51.100.7", CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}
    )
    allowed = from_ip(broker, jwt, "203.0.113.10", PLACE_ORDER, order_body(ordertag="allowed"))

    assert (place.status_code, place.text) == (200, ACCESS_DENIED)
    assert modify.text == cancel.text == ACCESS_DENIED
    assert broker.orders(tag="blocked") == []
    assert broker.order(orderid)["status"] == "open"
    assert allowed.json()["status"] is True
    assert broker.get(ORDER_BOOK, jwt).json()["status"] is True  # reads are not IP-bound


def test_the_june_2026_wording_names_the_ip(broker: Broker, jwt: str) -> None:
    broker.configure(registered_ips=["203.0.113.10"], unregistered_ip_message="not_registered")

    reply = from_ip(broker, jwt, "198.51.100.7", PLACE_ORDER, order_body()).json()

    assert reply == {
        "success": False,
        "message": "198.51.100.7 is not a registered IP, please check your registered IP.",
        "errorCode": "AG7002",
        "data": "",
    }


def test_an_account_can_carry_its_own_registered_ips() -> None:
    clock = ManualClock(START)
    pinned = replace(SECOND, registered_ips=("203.0.113.20",))
    with SandboxServer(SandboxConfig(extra_accounts=[pinned]), clock=clock) as server:
        broker = Broker(server, clock)
        demo = broker.tokens().jwt
        theirs = broker.tokens(pinned).jwt
        headers = {**broker.headers(theirs, pinned.api_key), "X-ClientPublicIP": "127.0.0.1"}

        refused = requests.post(broker.url + PLACE_ORDER, json=order_body(), headers=headers)
        placed = from_ip(broker, demo, "127.0.0.1", PLACE_ORDER, order_body())

        assert refused.json()["errorCode"] == "AG7002"
        assert placed.json()["status"] is True


def test_registered_ips_must_be_ip_addresses(broker: Broker) -> None:
    response = broker.admin_post("/config", {"registered_ips": ["my-laptop"]})

    assert response.status_code == 400
    assert broker.admin_get("/config")["registered_ips"] == []


# ---------------------------------------------------------------------------- rate limits


def test_real_orders_hit_the_nine_per_second_order_bucket(broker: Broker, jwt: str) -> None:
    replies = [broker.post(PLACE_ORDER, order_body(price="790"), jwt) for _ in range(10)]

    assert [r.status_code for r in replies] == [200] * 9 + [403]
    assert replies[-1].text == LIMIT_TEXT
    assert len(broker.orders()) == 9
    broker.clock.advance(1)
    assert broker.place(jwt, price="790")["status"] is True


def test_each_segment_meters_orders_per_second_and_refuses_the_eleventh(
    broker: Broker, jwt: str
) -> None:
    broker.configure(rate_limit_enabled=False)
    future = nifty_future(broker)
    nfo = {"exchange": "NFO", "symboltoken": future["token"], "tradingsymbol": future["symbol"]}

    nse = [broker.post(PLACE_ORDER, order_body(price="790"), jwt) for _ in range(11)]
    other_segment = broker.post(PLACE_ORDER, order_body(price="1", quantity="65", **nfo), jwt)
    broker.clock.advance(1)
    next_second = broker.post(PLACE_ORDER, order_body(price="790"), jwt)

    assert [r.status_code for r in nse] == [200] * 10 + [403]
    assert nse[-1].text == LIMIT_TEXT
    assert other_segment.json()["status"] is True
    assert next_second.json()["status"] is True
    stats = broker.admin_get("/stats")
    assert stats["segment_ops_limit"] == 10
    assert stats["segments"]["NSE"] == {
        "admitted": 11,
        "rate_limited": 1,
        "peak_per_second": 10,
        "peak_rolling_second": 10,
    }
    assert stats["segments"]["NFO"]["admitted"] == 1
    assert stats["rate_limited"] == 1


def test_modify_and_cancel_count_against_the_order_segment(broker: Broker, jwt: str) -> None:
    broker.configure(rate_limit_enabled=False, segment_ops_limit=3)
    orderid = broker.place_id(jwt, price="790")
    broker.post(MODIFY_ORDER, {"variety": "NORMAL", "orderid": orderid, "price": "791"}, jwt)
    broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt)

    fourth = broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt)

    assert fourth.status_code == 403
    assert broker.order(orderid)["status"] == "cancelled"


def test_without_a_ceiling_the_meter_still_reports_the_peak(broker: Broker, jwt: str) -> None:
    broker.configure(rate_limit_enabled=False, segment_ops_limit=None)

    codes = {broker.post(PLACE_ORDER, order_body(price="790"), jwt).status_code for _ in range(15)}

    assert codes == {200}
    assert broker.admin_get("/stats")["segments"]["NSE"]["peak_per_second"] == 15


def test_the_rate_limit_reply_form_applies_to_the_segment_meter(broker: Broker, jwt: str) -> None:
    broker.configure(rate_limit_enabled=False, segment_ops_limit=1, rate_limit_reply="json_ab1021")
    broker.place(jwt, price="790")

    reply = broker.post(PLACE_ORDER, order_body(price="790"), jwt)

    assert reply.json() == {
        "message": "Too many requests",
        "errorcode": "AB1021",
        "status": False,
        "data": None,
    }


# ------- faults, scenario docs/scenarios.md#a1--placeorder-answer-lost-after-the-broker-accepted-it


def test_a_held_answer_times_the_client_out_but_the_order_exists_once(
    broker: Broker, jwt: str
) -> None:
    broker.fault(name="hold", seconds=1.0, route="placeOrder", count=1)

    with pytest.raises(requests.ReadTimeout):
        broker.post(PLACE_ORDER, order_body(ordertag="a1-hold"), jwt, timeout=0.3)

    (row,) = broker.orders(tag="a1-hold")
    assert row["status"] == "complete"
    assert broker.requests_seen("placeOrder")[-1]["faults"] == ["hold"]
    assert len(broker.read(ORDER_BOOK, jwt)["data"]) == 1


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_a_dropped_answer_still_records_exactly_one_order(
    broker: Broker, jwt: str, mode: str
) -> None:
    broker.fault(name="drop", mode=mode, route="placeOrder", count=1)

    with pytest.raises(requests.ConnectionError):
        broker.post(PLACE_ORDER, order_body(ordertag="a1-drop", price="790"), jwt, timeout=2)

    assert [r["status"] for r in broker.orders(tag="a1-drop")] == ["open"]


def test_a_5xx_or_rate_limit_fault_records_no_order(broker: Broker, jwt: str) -> None:
    broker.fault(name="http_5xx", route="placeOrder", count=1)
    broker.fault(name="rate_limit", route="placeOrder", count=1)

    first = broker.post(PLACE_ORDER, order_body(ordertag="none"), jwt)
    second = broker.post(PLACE_ORDER, order_body(ordertag="none"), jwt)

    assert (first.status_code, second.status_code) == (503, 403)
    assert broker.orders(tag="none") == []


# ------------------------------------------------------------------------------- config


def test_paper_broker_options_are_run_time_config(broker: Broker) -> None:
    config = broker.admin_get("/config")

    assert {
        key: config[key]
        for key in (
            "market_orders",
            "oms_latency_seconds",
            "fill_lots_per_step",
            "registered_ips",
            "segment_ops_limit",
            "enforce_market_hours",
        )
    } == {
        "market_orders": "reject",
        "oms_latency_seconds": 0.0,
        "fill_lots_per_step": None,
        "registered_ips": [],
        "segment_ops_limit": 10,
        "enforce_market_hours": False,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"market_orders": "sometimes"},
        {"fill_lots_per_step": 0},
        {"oms_latency_seconds": "fast"},
        {"segment_ops_limit": -1},
        {"after_hours_orders": "queue"},
        {"registered_ips": "203.0.113.10"},
    ],
)
def test_bad_paper_options_are_refused(broker: Broker, changes: dict[str, object]) -> None:
    assert broker.admin_post("/config", changes).status_code == 400
