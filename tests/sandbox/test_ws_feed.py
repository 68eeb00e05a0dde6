"""The sandbox's WebSocket 2.0 market feed (``/smart-stream``) over real loopback sockets."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import websocket

from angelctl.feed.decode import DecodeError, decode
from angelctl.feed.ticks import DepthTick, LtpTick, QuoteTick, SnapQuoteTick
from angelctl.sandbox import SandboxServer

from .conftest import SBIN, Broker, Tokens
from .ws_util import (
    OP_CLOSE,
    OP_PONG,
    connect,
    feed_headers,
    is_binary,
    is_text,
    recv_frame,
    refused,
    stats_until,
    subscribe,
    wait_for,
    ws_stats,
)

SBIN_TOKEN = SBIN[1]


@pytest.fixture
def feed(broker: Broker, jwt: str) -> Tokens:
    """Demo account logged in, SBIN-EQ still at 800, 50 ticks a second."""
    broker.configure(feed_ticks_per_second=50)
    tokens = broker.tokens()
    broker.set_price("NSE", SBIN_TOKEN, "800")
    return tokens


def open_feed(sandbox: SandboxServer, tokens: Tokens) -> websocket.WebSocket:
    return connect(sandbox.ws_url, feed_headers(tokens))


def next_tick(ws: websocket.WebSocket) -> object:
    frame, _ = wait_for(ws, is_binary)
    return decode(frame[1])


def error_frame(ws: websocket.WebSocket) -> dict[str, str]:
    frame, _ = wait_for(ws, lambda f: is_text(f) and f[1] != b"pong")
    result: dict[str, str] = json.loads(frame[1])
    return result


# ------------------------------------------------------------------------------ auth


def test_upgrade_without_credentials_is_401_invalid_client_code(sandbox: SandboxServer) -> None:
    exc = refused(sandbox.ws_url)
    assert exc.status_code == 401
    assert exc.resp_headers["x-error-message"] == "Invalid Header - Invalid Client Code"


def test_each_bad_credential_gets_its_documented_401_message(
    sandbox: SandboxServer, feed: Tokens
) -> None:
    good = feed_headers(feed)
    cases = {
        "Invalid Header - Invalid Auth token": [*good[1:], "Authorization: not-a-jwt"],
        "Invalid Header - Invalid Client Code": [good[0], good[1], "x-client-code: NOPE1", good[3]],
        "Invalid Header - Invalid API Key": [good[0], "x-api-key: wrong", good[2], good[3]],
        "Invalid Header - Invalid Feed Token": [*good[:3], "x-feed-token: garbage"],
    }
    for message, header in cases.items():
        exc = refused(sandbox.ws_url, header)
        assert (exc.status_code, exc.resp_headers["x-error-message"]) == (401, message)
    # the jwt of one token set and the feed token of another client are no match either
    assert refused(sandbox.ws_url, [*good[:3], f"x-feed-token: {feed.jwt}"]).status_code == 401


def test_raw_jwt_header_and_query_parameter_credentials_are_accepted(
    sandbox: SandboxServer, feed: Tokens
) -> None:
    raw = [f"Authorization: {feed.jwt}", *feed_headers(feed)[1:]]
    first = connect(sandbox.ws_url, raw)
    second = connect(
        f"{sandbox.ws_url}?clientCode=SBX0001&feedToken={feed.feed}&apiKey=sandbox-api-key"
    )
    # Java SDK style: only client code and feed token
    third = connect(sandbox.ws_url, ["x-client-code: SBX0001", f"x-feed-token: {feed.feed}"])
    try:
        assert ws_stats(sandbox)["smartStream"]["open"] == 3
    finally:
        for ws in (first, second, third):
            ws.close()


def test_a_fourth_connection_per_client_code_is_429(sandbox: SandboxServer, feed: Tokens) -> None:
    sockets = [open_feed(sandbox, feed) for _ in range(3)]
    try:
        assert refused(sandbox.ws_url, feed_headers(feed)).status_code == 429
        stats = ws_stats(sandbox)["smartStream"]
        assert stats["open"] == 3 and stats["refused"] == {"429": 1}
    finally:
        for ws in sockets:
            ws.close()
    stats_until(sandbox, lambda s: s["smartStream"]["open"] == 0)
    open_feed(sandbox, feed).close()


# -------------------------------------------------------------------------- requests


def test_each_mode_streams_ticks_that_decode_to_the_market(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        quote = broker.admin_get("/market", params={"exch_seg": "NSE", "token": SBIN_TOKEN})
        for mode, kind in ((1, LtpTick), (2, QuoteTick), (3, SnapQuoteTick)):
            subscribe(ws, mode, [SBIN_TOKEN])
            frame, _ = wait_for(ws, lambda f, m=mode: is_binary(f) and f[1][0] == m)
            tick = decode(frame[1])
            assert type(tick) is kind
            assert isinstance(tick, LtpTick)
            assert (tick.token, tick.exchange_type, tick.ltp) == (SBIN_TOKEN, 1, Decimal("800"))
            subscribe(ws, mode, [SBIN_TOKEN], action=0)
        assert isinstance(tick, SnapQuoteTick)
        row = quote["quote"]
        assert tick.close == Decimal(str(row["close"]))
        assert tick.upper_circuit == Decimal(str(row["upperCircuit"]))
        assert [float(level.price_raw) / 100 for level in tick.bids] == [
            level["price"] for level in row["depth"]["buy"]
        ]
    finally:
        ws.close()


def test_the_depth20_mode_is_refused_unless_enabled(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 4, [SBIN_TOKEN])
        assert error_frame(ws)["errorCode"] == "E1001"
        broker.configure(feed_depth20=True)
        subscribe(ws, 4, [SBIN_TOKEN])
        tick = next_tick(ws)
        assert isinstance(tick, DepthTick)
        assert len(tick.bids) == len(tick.asks) == 20
        assert tick.bids[0].price_raw < 80000 < tick.asks[0].price_raw + 1
    finally:
        ws.close()


def test_invalid_payload_is_e1001_with_the_correlation_id_and_changes_nothing(
    sandbox: SandboxServer, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 1, [SBIN_TOKEN])
        next_tick(ws)
        for bad in (
            "not json",
            '{"correlationID": "abc123", "action": 1}',
            '{"correlationID": "abc123", "action": 1, "params": {"mode": 9, "tokenList": []}}',
            json.dumps(
                {
                    "correlationID": "abc123",
                    "action": 1,
                    "params": {"mode": 1, "tokenList": [{"exchangeType": 6, "tokens": ["1"]}]},
                }
            ),
            json.dumps(
                {
                    "correlationID": "abc123",
                    "action": 0,
                    "params": {"mode": 1, "tokenList": [{"exchangeType": 1, "tokens": [3045]}]},
                }
            ),
        ):
            ws.send(bad)
            error = error_frame(ws)
            assert error["errorCode"] == "E1001"
            assert error["errorMessage"] == "Invalid Request Payload."
            assert error["correlationID"] == ("" if bad == "not json" else "abc123")
        subs = ws_stats(sandbox)["smartStream"]["connections"][0]["subscriptions"]
        assert subs == [{"exchangeType": 1, "token": SBIN_TOKEN, "mode": 1}]
        assert isinstance(next_tick(ws), LtpTick)
    finally:
        ws.close()


def test_quota_counts_token_mode_pairs_and_e1002_keeps_existing_subscriptions(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    broker.configure(feed_subscription_limit=3)
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 1, [SBIN_TOKEN, "1594"])
        subscribe(ws, 1, [SBIN_TOKEN])  # duplicate: free
        subscribe(ws, 2, [SBIN_TOKEN])  # third pair
        subscribe(ws, 2, ["99999"], action=0)  # never subscribed: ignored
        stats_until(
            sandbox, lambda s: len(s["smartStream"]["connections"][0]["subscriptions"]) == 3
        )
        subscribe(ws, 3, [SBIN_TOKEN], correlation="quota00001")
        error = error_frame(ws)
        assert error == {
            "correlationID": "quota00001",
            "errorCode": "E1002",
            "errorMessage": "Invalid Request. Subscription Limit Exceeded",
        }
        subs = ws_stats(sandbox)["smartStream"]["connections"][0]["subscriptions"]
        assert {(s["token"], s["mode"]) for s in subs} == {
            (SBIN_TOKEN, 1),
            ("1594", 1),
            (SBIN_TOKEN, 2),
        }
    finally:
        ws.close()


def test_a_fill_and_the_tick_of_that_moment_show_one_price(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    broker.set_price("NSE", SBIN_TOKEN, "812.50")
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 1, [SBIN_TOKEN])
        tick = next_tick(ws)
        orderid = broker.place_id(feed.jwt, price="820")
        row = broker.order(orderid)
        assert isinstance(tick, LtpTick)
        assert row["status"] == "complete"
        assert Decimal(str(row["averageprice"])) == tick.ltp == Decimal("812.50")
    finally:
        ws.close()


# ------------------------------------------------------------------------- heartbeat


def test_text_ping_gets_pong_and_protocol_pings_are_answered(
    sandbox: SandboxServer, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        ws.send("ping")
        assert wait_for(ws, is_text)[0] == (1, b"pong")
        ws.ping(b"")
        assert wait_for(ws, lambda f: f[0] == OP_PONG)[0] == (OP_PONG, b"")
        ws.ping(b"ping")
        assert wait_for(ws, lambda f: f[0] == OP_PONG)[0] == (OP_PONG, b"ping")
    finally:
        ws.close()


# ---------------------------------------------------------------------------- faults


def test_ws_reject_refuses_upgrades_with_5xx_or_401(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    broker.fault(name="ws_reject", status=502, route="smartStream", count=1)
    exc = refused(sandbox.ws_url, feed_headers(feed))
    assert exc.status_code == 502 and "502" in exc.resp_body.decode()
    broker.fault(name="ws_reject", status=401, count=1)
    exc = refused(sandbox.ws_url, feed_headers(feed))
    assert exc.status_code == 401
    assert exc.resp_headers["x-error-message"] == "Invalid Header - Invalid Auth token"
    open_feed(sandbox, feed).close()  # both were one-shot


def test_rest_faults_do_not_touch_sockets_and_socket_faults_not_requests(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    broker.fault(name="http_5xx", status=503)
    open_feed(sandbox, feed).close()
    broker.admin_post("/faults", {}).close()
    broker.admin("DELETE", "/faults")
    broker.fault(name="ws_reject", status=503)
    assert broker.get("/rest/secure/angelbroking/user/v1/getProfile", feed.jwt).status_code == 200
    bad = broker.admin_post("/faults", {"name": "ws_drop", "route": "getProfile"})
    assert bad.status_code == 400


def test_ws_delay_holds_the_upgrade(sandbox: SandboxServer, broker: Broker, feed: Tokens) -> None:
    broker.fault(name="ws_delay", ms=300, count=1)
    started = time.monotonic()
    open_feed(sandbox, feed).close()
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("mode", ["close", "reset"])
def test_ws_drop_ends_a_streaming_connection(
    sandbox: SandboxServer, broker: Broker, feed: Tokens, mode: str
) -> None:
    ws = open_feed(sandbox, feed)
    subscribe(ws, 1, [SBIN_TOKEN])
    next_tick(ws)
    broker.fault(name="ws_drop", mode=mode, code=4000, after_frames=3, count=1)
    if mode == "close":
        frame, _ = wait_for(ws, lambda f: f[0] == OP_CLOSE)
        assert int.from_bytes(frame[1][:2], "big") == 4000
    else:
        with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
            wait_for(ws, lambda f: False)
    ws.close()
    stats_until(sandbox, lambda s: s["smartStream"]["open"] == 0)
    assert broker.admin_get("/faults") == []  # consumed
    again = open_feed(sandbox, feed)  # the next connection is not dropped
    subscribe(again, 1, [SBIN_TOKEN])
    assert isinstance(next_tick(again), LtpTick)
    again.close()


def test_silent_stall_sends_nothing_and_answers_no_pings(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 1, [SBIN_TOKEN])
        next_tick(ws)
        broker.fault(name="ws_stall", mode="silent", count=1)
        stats_until(sandbox, lambda s: s["smartStream"]["connections"][0]["stalled"] == "silent")
        ws.settimeout(0.1)
        while True:  # drain what was in flight before the stall
            try:
                ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                break
        ws.send("ping")
        ws.ping(b"")
        with pytest.raises(websocket.WebSocketTimeoutException):
            recv_frame(ws, timeout=0.5)
    finally:
        ws.close()


def test_data_stall_answers_pings_but_sends_no_ticks(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 1, [SBIN_TOKEN])
        next_tick(ws)
        broker.fault(name="ws_stall", mode="data", count=1)
        stats_until(sandbox, lambda s: s["smartStream"]["connections"][0]["stalled"] == "data")
        ws.ping(b"still there?")
        frame, _ = wait_for(ws, lambda f: f[0] == OP_PONG)
        assert frame[1] == b"still there?"
        ws.send("ping")
        frame, between = wait_for(ws, is_text, timeout=2)
        assert frame[1] == b"pong" and not any(is_binary(f) for f in between)
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("truncated", "length"),
        ("unknown_mode", "mode"),
        ("trailing", "trailing"),
        ("garbage", None),
    ],
)
def test_bad_frames_are_mixed_into_a_running_stream(
    sandbox: SandboxServer, broker: Broker, feed: Tokens, kind: str, reason: str | None
) -> None:
    ws = open_feed(sandbox, feed)
    try:
        subscribe(ws, 2, [SBIN_TOKEN])
        next_tick(ws)
        broker.fault(name="ws_bad_frame", kind=kind, count=1)
        bad: list[DecodeError] = []

        def rejected(frame: tuple[int, bytes]) -> bool:
            try:
                decode(frame[1])
            except DecodeError as exc:
                bad.append(exc)
                return True
            return False

        wait_for(ws, lambda f: is_binary(f) and rejected(f))
        assert reason is None or bad[0].reason == reason
        good = [decode(wait_for(ws, is_binary)[0][1]) for _ in range(3)]
        assert all(isinstance(t, QuoteTick) for t in good)
        stats = ws_stats(sandbox)["smartStream"]["connections"][0]
        assert stats["bad_frames"] == 1
    finally:
        ws.close()


def test_admin_close_ends_every_feed_connection(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    sockets = [open_feed(sandbox, feed) for _ in range(2)]
    reply = broker.admin_post("/ws/close", {"route": "smartStream", "code": 1001})
    assert reply.json() == {"closed": 2}
    for ws in sockets:
        frame, _ = wait_for(ws, lambda f: f[0] == OP_CLOSE)
        assert int.from_bytes(frame[1][:2], "big") == 1001
        ws.close()
    assert ws_stats(sandbox)["smartStream"]["open"] == 0
    assert broker.admin_post("/ws/close", {"mode": "explode"}).status_code == 400


def test_reset_closes_connections_left_from_before(
    sandbox: SandboxServer, broker: Broker, feed: Tokens
) -> None:
    ws = open_feed(sandbox, feed)
    sandbox.engine.reset()
    frame, _ = wait_for(ws, lambda f: f[0] == OP_CLOSE)
    assert int.from_bytes(frame[1][:2], "big") == 1012
    ws.close()
