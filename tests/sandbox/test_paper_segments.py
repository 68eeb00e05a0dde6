"""What the kill-switch scenarios (docs/scenarios.md#b1--full-kill-under-load,
docs/scenarios.md#b4--partial-fills-and-refused-exits) need from the paper broker: the 10
orders/second ceiling per exchange segment, positions in NSE, NFO, BFO and MCX, seeding a book in
one admin call, partial fills, a cancel that loses the race with a fill, and the order-flow
figures."""

from __future__ import annotations

from typing import Any

from .conftest import CANCEL_ORDER, MODIFY_ORDER, PLACE_ORDER, POSITIONS, Broker, order_body

LIMIT_TEXT = "Access denied because of exceeding access rate"


def first_row(broker: Broker, **params: str) -> dict[str, str]:
    row: dict[str, str] = broker.admin_get("/instruments", params=params)["rows"][0]
    return row


def contracts(broker: Broker) -> dict[str, dict[str, str]]:
    """One future per derivatives segment, and SBIN-EQ, each at a still, known price."""
    found = {
        "NSE": first_row(broker, exch_seg="NSE", symbol="SBIN-EQ"),
        "NFO": first_row(broker, exch_seg="NFO", name="NIFTY", instrumenttype="FUTIDX"),
        "BFO": first_row(broker, exch_seg="BFO", name="SENSEX", instrumenttype="FUTIDX"),
        "MCX": first_row(broker, exch_seg="MCX", instrumenttype="FUTCOM"),
    }
    prices = {"NSE": "800", "NFO": "24000", "BFO": "80000", "MCX": "150000"}
    for seg, row in found.items():
        broker.set_price(seg, row["token"], prices[seg])
    return found


def body_for(row: dict[str, str], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "exchange": row["exch_seg"],
        "symboltoken": row["token"],
        "tradingsymbol": row["symbol"],
        "quantity": row["lotsize"],
        "producttype": "CARRYFORWARD" if row["exch_seg"] != "NSE" else "INTRADAY",
    }
    return order_body(**{**fields, **overrides})


def seed(broker: Broker, path: str, body: Any) -> dict[str, Any]:
    reply = broker.admin_post(path, body)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


# ------------------------------------------------------------------------ OPS per segment


def test_the_ceiling_is_per_segment_and_configurable(broker: Broker, jwt: str) -> None:
    broker.configure(rate_limit_enabled=False, segment_ops_limit=3)
    rows = contracts(broker)
    seed(broker, "/seed", {"opening_cash": "100000000"})

    answers = {
        seg: [broker.post(PLACE_ORDER, body_for(row, price="1"), jwt) for _ in range(4)]
        for seg, row in rows.items()
    }

    for seg, replies in answers.items():
        assert [r.status_code for r in replies] == [200, 200, 200, 403], seg
        assert replies[-1].text == LIMIT_TEXT
    segments = broker.admin_get("/stats")["order_flow"]["segments"]
    assert set(segments) == {"NSE", "NFO", "BFO", "MCX"}
    assert segments["BFO"] == {
        "calls": 4,
        "admitted": 3,
        "rate_limited": 1,
        "peak_per_second": 4,
        "peak_admitted_per_second": 3,
    }


def test_the_default_ceiling_is_ten_per_segment(broker: Broker, jwt: str) -> None:
    broker.configure(rate_limit_enabled=False)

    codes = [broker.post(PLACE_ORDER, order_body(price="790"), jwt).status_code for _ in range(11)]

    assert codes == [200] * 10 + [403]
    assert broker.admin_get("/config")["segment_ops_limit"] == 10


# ----------------------------------------------------------------------------- positions


def test_positions_in_all_four_segments_carry_net_quantity_and_pnl(
    broker: Broker, jwt: str
) -> None:
    rows = contracts(broker)
    seeded = seed(
        broker,
        "/seed",
        {
            "positions": [
                {"exch_seg": "NSE", "symbol": "SBIN-EQ", "netqty": 10, "price": "790"},
                {"exch_seg": "NFO", "token": rows["NFO"]["token"], "lots": -2, "price": "24100"},
                {"exch_seg": "BFO", "token": rows["BFO"]["token"], "lots": 1, "price": "79900"},
                {"exch_seg": "MCX", "token": rows["MCX"]["token"], "lots": -1, "price": "150010"},
            ]
        },
    )

    positions = {row["exchange"]: row for row in broker.read(POSITIONS, jwt)["data"]}

    assert [p["netqty"] for p in seeded["positions"]] == [10, -130, 20, -100]
    assert positions["NSE"]["netqty"] == "10" and positions["NSE"]["pnl"] == "100.00"
    assert positions["NFO"]["netqty"] == "-130" and positions["NFO"]["pnl"] == "13000.00"
    assert positions["BFO"]["netqty"] == "20" and positions["BFO"]["pnl"] == "2000.00"
    assert positions["MCX"]["netqty"] == "-100" and positions["MCX"]["pnl"] == "1000.00"
    assert positions["NFO"]["producttype"] == "CARRYFORWARD"
    assert positions["NSE"]["producttype"] == "INTRADAY"
    seeded_orders = broker.orders(tag="seed")
    assert {o["status"] for o in seeded_orders} == {"complete"} and len(seeded_orders) == 4


def test_a_seeded_short_is_closed_by_a_real_buy(broker: Broker, jwt: str) -> None:
    rows = contracts(broker)
    seed(broker, "/positions", {"exch_seg": "NFO", "token": rows["NFO"]["token"], "lots": -1})

    orderid = broker.place_id(jwt, **body_for(rows["NFO"], transactiontype="BUY", price="24010"))

    assert broker.order(orderid)["status"] == "complete"
    (row,) = [r for r in broker.read(POSITIONS, jwt)["data"] if r["exchange"] == "NFO"]
    assert row["netqty"] == "0" and row["realised"] == "0.00"


# ------------------------------------------------------------------------------- seeding


def test_one_seed_call_builds_orders_positions_and_rules_without_rate_limits(
    broker: Broker, jwt: str
) -> None:
    rows = contracts(broker)

    seeded = seed(
        broker,
        "/seed",
        {
            "opening_cash": "100000000",
            "orders": [
                {"exch_seg": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "count": 25},
                {"exch_seg": "NFO", "token": rows["NFO"]["token"], "side": "SELL", "count": 25},
            ],
            "positions": [
                {"exch_seg": "NFO", "token": rows["NFO"]["token"], "lots": 1, "count": 5},
                {"exch_seg": "BFO", "token": rows["BFO"]["token"], "lots": -1, "count": 5},
            ],
            "rules": [{"exch_seg": "NSE", "symbol": "SBIN-EQ", "side": "SELL", "count": 3}],
        },
    )

    assert len(seeded["orders"]) == 50 and {o["status"] for o in seeded["orders"]} == {"open"}
    assert len(seeded["positions"]) == 10 and len(seeded["rules"]) == 3
    working = broker.orders(status="open")
    assert len(working) == 50
    nse = [o for o in working if o["exchange"] == "NSE"]
    assert {o["price"] for o in nse} == {776.0}  # 3 % below the LTP: rests
    rules = broker.admin_get("/gtt")["rules"]
    assert [(r["status"], r["triggerprice"]) for r in rules] == [("NEW", 840.0)] * 3
    stats = broker.admin_get("/stats")
    assert stats["rate_limited"] == 0 and stats["order_flow"]["groups"] == {}


def test_a_bad_seed_applies_nothing(broker: Broker, jwt: str) -> None:
    reply = broker.admin_post(
        "/seed",
        {
            "orders": [{"exch_seg": "NSE", "symbol": "SBIN-EQ", "side": "BUY"}],
            "positions": [{"exch_seg": "NSE", "symbol": "NOSUCH-EQ", "netqty": 1}],
        },
    )

    assert reply.status_code == 400
    assert "positions[0]" in reply.json()["error"]
    assert broker.orders() == []


def test_seeded_orders_meet_the_oms_checks(broker: Broker, jwt: str) -> None:
    rows = contracts(broker)
    seeded = seed(
        broker,
        "/orders",
        {"exch_seg": "NFO", "token": rows["NFO"]["token"], "side": "BUY", "quantity": 1755 + 65},
    )

    (order,) = seeded["orders"]
    assert order["status"] == "rejected"
    assert order["text"] == "RMS:Rule: Check freeze quantity for NSE FO"


# ---------------------------------------------------------------------------------- B4


def test_partial_fill_fraction_fills_part_of_each_pass(broker: Broker, jwt: str) -> None:
    broker.configure(partial_fill_fraction=0.5)
    orderid = broker.place_id(jwt, price="801", quantity="10")
    assert broker.order(orderid)["filledshares"] == "5"

    broker.step()
    broker.step()
    broker.step()

    row = broker.order(orderid)
    assert (row["filledshares"], row["status"]) == ("9", "open")
    broker.step()
    assert broker.order(orderid)["status"] == "complete"


def test_partial_fill_fraction_counts_in_lots(broker: Broker, jwt: str) -> None:
    rows = contracts(broker)
    broker.configure(partial_fill_fraction=0.4)
    seed(broker, "/seed", {"opening_cash": "100000000"})
    body = body_for(rows["NFO"], quantity=str(65 * 5), price="24010")

    orderid = broker.place_id(jwt, **body)

    assert broker.order(orderid)["filledshares"] == str(65 * 2)


def test_a_cancel_that_loses_the_race_with_a_fill_says_already_filled(
    broker: Broker, jwt: str
) -> None:
    orderid = broker.place_id(jwt, price="790")
    broker.fault(name="fill_before_cancel", count=1)

    reply = broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt).json()

    assert reply == {
        "message": "Cancel Order Response : Order is already filled",
        "errorcode": "AB1007",
        "status": False,
        "data": {"orderid": orderid},
    }
    row = broker.order(orderid)
    assert (row["status"], row["averageprice"]) == ("complete", 790.0)
    assert broker.admin_get("/faults") == []


def test_fill_before_cancel_leaves_other_routes_alone(broker: Broker, jwt: str) -> None:
    broker.fault(name="fill_before_cancel")
    orderid = broker.place_id(jwt, price="790")

    modify = broker.post(
        MODIFY_ORDER, {"variety": "NORMAL", "orderid": orderid, "price": "791"}, jwt
    ).json()

    assert broker.order(orderid)["status"] == "complete"
    assert modify["message"] == "Modify Order Response : Order is already filled"


def test_the_final_order_text_is_configurable(broker: Broker, jwt: str) -> None:
    broker.configure(terminal_order_message="Order already {state} ({action})")
    orderid = broker.place_id(jwt, price="801")

    reply = broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt).json()

    assert reply["message"] == "Order already filled (Cancel)"
    bad = broker.admin_post("/config", {"terminal_order_message": "{order}"})
    assert bad.status_code == 400


# ------------------------------------------------------------------------------- figures


def test_order_flow_reports_calls_refusals_and_the_busiest_second(broker: Broker, jwt: str) -> None:
    orderid = broker.place_id(jwt, price="790")
    for _ in range(9):
        broker.post(MODIFY_ORDER, {"variety": "NORMAL", "orderid": orderid, "price": "791"}, jwt)
    broker.clock.advance(1)
    broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": orderid}, jwt)

    flow = broker.admin_get("/stats")["order_flow"]

    assert flow["routes"] == {
        "placeOrder": {"calls": 1, "rate_limited": 0, "peak_per_second": 1},
        "modifyOrder": {"calls": 9, "rate_limited": 1, "peak_per_second": 9},
        "cancelOrder": {"calls": 1, "rate_limited": 0, "peak_per_second": 1},
    }
    assert flow["groups"]["orders"] == {"calls": 11, "rate_limited": 1, "peak_per_second": 10}
    # the modify refused by the 9/s budget never got as far as naming a segment
    assert flow["segments"]["NSE"]["calls"] == 10
    assert flow["segments"]["NSE"]["peak_per_second"] == 9
    broker.admin_post("/reset", {})
    assert broker.admin_get("/stats")["order_flow"]["routes"] == {}
