"""The sandbox's order-update socket (``/smart-order-update``) over real loopback sockets."""

from __future__ import annotations

import json
from typing import Any

import websocket

from angelctl.sandbox import SandboxServer
from tests.conftest import REALDATA

from .conftest import CANCEL_ORDER, SBIN, SECOND, Broker
from .ws_util import (
    OP_BINARY,
    OP_CLOSE,
    OP_PONG,
    connect,
    is_text,
    recv_frame,
    refused,
    wait_for,
    ws_stats,
)

AB00_CAPTURE = REALDATA / "ticks/order_update_ws_AB00_initial_message_thakaresureshss.json"


def open_updates(sandbox: SandboxServer, jwt: str) -> websocket.WebSocket:
    return connect(sandbox.order_ws_url, [f"Authorization: Bearer {jwt}"])


def next_update(ws: websocket.WebSocket) -> dict[str, Any]:
    frame, _ = wait_for(ws, lambda f: is_text(f) and f[1] != b"pong")
    result: dict[str, Any] = json.loads(frame[1])
    return result


def test_first_frame_is_the_ab00_acknowledgement_in_the_live_shape(
    sandbox: SandboxServer, jwt: str
) -> None:
    ws = open_updates(sandbox, jwt)
    try:
        opcode, raw = recv_frame(ws)
        assert opcode == 1
        expected = json.loads(AB00_CAPTURE.read_text())
        expected["user-id"] = "SBX0001"
        assert json.loads(raw) == expected
        text = raw.decode()
        assert list(json.loads(raw)["orderData"]) == list(expected["orderData"])
        assert '"user-id": "SBX0001","status-code": "200"' in text
        assert ", " not in text.replace('": "', "")
    finally:
        ws.close()


def test_upgrade_refusals_401_403_429(sandbox: SandboxServer, broker: Broker) -> None:
    exc = refused(sandbox.order_ws_url)
    assert exc.status_code == 401
    assert refused(sandbox.order_ws_url, ["Authorization: Bearer nonsense"]).status_code == 401
    broker.configure(session_expiry="ttl", session_ttl_seconds=60)
    jwt = broker.tokens().jwt
    sockets = [open_updates(sandbox, jwt) for _ in range(3)]
    try:
        assert refused(sandbox.order_ws_url, [f"Authorization: Bearer {jwt}"]).status_code == 429
    finally:
        for ws in sockets:
            ws.close()
    broker.clock.advance(120)
    expired = refused(sandbox.order_ws_url, [f"Authorization: Bearer {jwt}"])
    assert expired.status_code == 403
    assert expired.resp_headers["x-error-message"] == "Token Expired"


def test_an_order_placed_over_rest_streams_its_state_changes_in_order(
    sandbox: SandboxServer, broker: Broker, jwt: str
) -> None:
    ws = open_updates(sandbox, jwt)
    try:
        assert next_update(ws)["order-status"] == "AB00"
        orderid = broker.place_id(jwt, price="790")
        pending, opened = next_update(ws), next_update(ws)
        assert [pending["order-status"], opened["order-status"]] == ["AB09", "AB01"]
        assert pending["orderData"]["status"] == "open pending"
        assert opened["orderData"]["orderid"] == orderid
        broker.set_price("NSE", SBIN[1], "789")
        complete = next_update(ws)
        assert complete["order-status"] == "AB05"
        data = complete["orderData"]
        assert (data["status"], data["filledshares"]) == ("complete", "1")
        assert data["averageprice"] == broker.order(orderid)["averageprice"] <= 790.0
        second = broker.place_id(jwt, price="780")
        assert [next_update(ws)["order-status"] for _ in range(2)] == ["AB09", "AB01"]
        reply = broker.post(CANCEL_ORDER, {"variety": "NORMAL", "orderid": second}, jwt).json()
        assert reply["status"] is True
        cancelled = next_update(ws)
        assert (cancelled["order-status"], cancelled["orderData"]["orderid"]) == ("AB02", second)
        assert (
            ws_stats(sandbox)["orderUpdates"]["connections"][0]["data_frames"] == 7
        )  # AB00 and six updates
    finally:
        ws.close()


def test_partial_fills_are_open_with_growing_filled_shares(
    sandbox: SandboxServer, broker: Broker, jwt: str
) -> None:
    broker.configure(fill_lots_per_step=1)
    ws = open_updates(sandbox, jwt)
    try:
        next_update(ws)
        broker.place_id(jwt, price="801", quantity="3")
        codes = []
        while not codes or codes[-1][0] != "AB05":
            update = next_update(ws)
            codes.append((update["order-status"], update["orderData"]["filledshares"]))
            if len(codes) > 2 and codes[-1][0] == "AB01":
                broker.step()
        fills = [shares for code, shares in codes if code in ("AB01", "AB05")]
        assert fills[0] == "0" and fills[-1] == "3"
        assert fills == sorted(fills) and "1" in fills and "2" in fills
    finally:
        ws.close()


def test_only_the_callers_orders_are_streamed(
    sandbox: SandboxServer, broker: Broker, jwt: str
) -> None:
    ws = open_updates(sandbox, jwt)
    try:
        next_update(ws)
        other = broker.tokens(SECOND).jwt
        broker.post("/rest/secure/angelbroking/order/v1/placeOrder", {}, other)
        broker.place(other, price="780", quantity="1")
        mine = broker.place_id(jwt, price="780")
        update = next_update(ws)
        assert (update["user-id"], update["orderData"]["orderid"]) == ("SBX0001", mine)
    finally:
        ws.close()


def test_heartbeats_ping_pong_and_the_one_byte_frame(
    sandbox: SandboxServer, broker: Broker, jwt: str
) -> None:
    broker.configure(order_feed_heartbeat_seconds=0.05)
    ws = open_updates(sandbox, jwt)
    try:
        next_update(ws)
        assert wait_for(ws, lambda f: f[0] == OP_BINARY)[0] == (OP_BINARY, b"\x00")
        ws.send("ping")
        assert wait_for(ws, lambda f: f == (1, b"pong"))[0] == (1, b"pong")
        ws.ping(b"hb")
        assert wait_for(ws, lambda f: f[0] == OP_PONG)[0] == (OP_PONG, b"hb")
    finally:
        ws.close()


def test_socket_faults_apply_to_the_order_socket(
    sandbox: SandboxServer, broker: Broker, jwt: str
) -> None:
    broker.fault(name="ws_reject", status=503, route="orderUpdates", count=1)
    assert refused(sandbox.order_ws_url, [f"Authorization: Bearer {jwt}"]).status_code == 503
    ws = open_updates(sandbox, jwt)
    next_update(ws)
    broker.fault(name="ws_bad_frame", kind="truncated", route="orderUpdates", count=1)
    frame, _ = wait_for(ws, is_text)
    try:
        json.loads(frame[1])
        raise AssertionError("expected a truncated JSON frame")
    except ValueError:
        pass
    broker.fault(name="ws_drop", mode="close", route="orderUpdates", count=1)
    close, _ = wait_for(ws, lambda f: f[0] == OP_CLOSE)
    assert int.from_bytes(close[1][:2], "big") == 1001
    ws.close()
