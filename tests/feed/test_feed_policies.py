"""Feed client rules that need no sandbox: the subscription set, the request JSON, the backoff,
TLS verification (docs/scenarios.md#c6--bad-certificate), refused upgrades (401, 429), secrets, and
order-update frames.

The TLS and refusal tests run real wss/ws servers on loopback (``tests/feed_servers.py``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from angelctl.errors import AuthError, ConnectFailed, RateLimited
from angelctl.feed.client import FeedClient
from angelctl.feed.connection import Backoff, FeedState, LinkEvent, StaticAuth
from angelctl.feed.orderupdates import MalformedOrderUpdate, parse_order_update
from angelctl.feed.subscriptions import (
    SUBSCRIBE,
    SubscriptionLimit,
    SubscriptionSet,
    request_frames,
)
from angelctl.feed.ticks import ExchangeType, Mode
from tests.feed_servers import (
    CREDENTIAL_HEADERS,
    ThreadedApp,
    client_options,
    echo_feed,
    fake_auth,
    fake_credentials,
    make_certificate,
    refuse,
    server_tls,
)

NSE, NFO = int(ExchangeType.NSE_CM), int(ExchangeType.NSE_FO)

# ------------------------------------------------------------------------- subscription set


def test_the_1001st_subscription_is_refused_and_the_set_is_unchanged() -> None:
    subs = SubscriptionSet()
    subs.add(Mode.QUOTE, NSE, [str(i) for i in range(1, 1001)])
    before = subs.keys()
    with pytest.raises(SubscriptionLimit) as caught:
        subs.add(Mode.QUOTE, NSE, ["5000", "1"])
    assert "1000" in caught.value.message
    assert subs.keys() == before
    subs.add(Mode.LTP, NSE, ["1"])  # moving a desired token to another mode is not a new key
    assert len(subs) == 1000 and subs.mode_of(NSE, "1") == Mode.LTP


def test_a_mode_change_is_an_unsubscribe_of_the_old_mode_and_a_subscribe_of_the_new() -> None:
    subs = SubscriptionSet()
    subs.add(Mode.LTP, NSE, ["2885", "3045"])
    sent = subs.keys()
    subs.set_mode(Mode.SNAP_QUOTE, NSE, ["2885"])
    plan = subs.plan(sent)
    assert plan.unsubscribe == {(Mode.LTP, NSE, "2885")}
    assert plan.subscribe == {(Mode.SNAP_QUOTE, NSE, "2885")}
    assert not subs.plan(subs.keys())  # nothing to send once in line


def test_requests_are_one_per_mode_with_tokens_grouped_per_exchange_type() -> None:
    keys = [(1, NSE, "3045"), (1, NSE, "10626"), (1, NFO, "43210"), (2, NSE, "99926000")]
    frames = [json.loads(f) for f in request_frames(SUBSCRIBE, keys, "ac00000001")]
    assert frames == [
        {
            "correlationID": "ac00000001",
            "action": 1,
            "params": {
                "mode": 1,
                "tokenList": [
                    {"exchangeType": 1, "tokens": ["3045", "10626"]},
                    {"exchangeType": 2, "tokens": ["43210"]},
                ],
            },
        },
        {
            "correlationID": "ac00000001",
            "action": 1,
            "params": {"mode": 2, "tokenList": [{"exchangeType": 1, "tokens": ["99926000"]}]},
        },
    ]


def test_backoff_is_jittered_capped_and_starts_over_after_a_stable_connection() -> None:
    policy = Backoff(base=0.5, cap=30.0, stable_after=60.0)
    rng = random.Random(7)
    delays, previous = [], None
    for _ in range(40):
        previous = policy.next_delay(previous, rng)
        delays.append(previous)
    assert all(0.5 <= d <= 30.0 for d in delays)
    assert max(delays) == 30.0  # reaches the cap …
    assert len(set(delays)) > 20  # … with jitter, not a fixed ladder
    fresh = [policy.next_delay(None, rng) for _ in range(100)]
    assert all(0.5 <= d <= 1.5 for d in fresh)  # a stable connection resets to the base range


# ------------------------------------------------------ TLS (docs/scenarios.md#c6--bad-certificate)


def _tls_client(server: ThreadedApp, events: list[LinkEvent], **extra: object) -> FeedClient:
    return FeedClient(
        server.url(),
        fake_auth(),
        on_error=events.append,
        **client_options(max_refusals=1, **extra),
    )


def test_a_self_signed_certificate_is_refused_before_any_credential_is_sent(
    tmp_path: Path,
) -> None:
    cert, key = make_certificate(tmp_path, host="127.0.0.1")
    events: list[LinkEvent] = []
    with ThreadedApp(echo_feed, server_tls(cert, key)) as server:
        client = _tls_client(server, events)
        with client:
            assert client.wait_ended(10)
        assert server.requests == []  # the TLS handshake failed before any HTTP byte
    assert client.state == FeedState.FAILED and client.stats.connects == 0
    assert isinstance(client.failure, ConnectFailed)
    assert [e.kind for e in events] == ["tls"]
    assert "certificate" in events[0].message


def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_issuer(
    tmp_path: Path,
) -> None:
    cert, key = make_certificate(tmp_path, host="smartapisocket.example")
    events: list[LinkEvent] = []
    with ThreadedApp(echo_feed, server_tls(cert, key)) as server:
        client = _tls_client(server, events, cafile=str(cert))
        with client:
            assert client.wait_ended(10)
        assert server.requests == []
    assert isinstance(client.failure, ConnectFailed)
    assert "127.0.0.1" in events[0].message or "mismatch" in events[0].message.lower()


def test_a_trusted_certificate_connects_and_carries_the_four_headers(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, host="127.0.0.1")
    with ThreadedApp(echo_feed, server_tls(cert, key)) as server:
        client = FeedClient(server.url(), fake_auth(), **client_options(cafile=str(cert)))
        with client:
            assert client.wait_state(FeedState.CONNECTED, 10)
        assert len(server.requests) == 1
    headers = server.requests[0]
    assert all(name in headers for name in CREDENTIAL_HEADERS)
    assert headers["authorization"] == "Bearer test-jwt-value-0001"
    assert headers["x-client-code"] == "T123456"
    assert client.state == FeedState.STOPPED


# ---------------------------------------------------------------------- refused upgrades


class CountingAuth(StaticAuth):
    def __init__(self) -> None:
        super().__init__(fake_credentials())
        self.renewals = 0

    def renew(self) -> None:
        self.renewals += 1


def test_a_401_upgrade_renews_once_then_fails_with_an_auth_error_and_a_login_hint() -> None:
    events: list[LinkEvent] = []
    auth = CountingAuth()
    with ThreadedApp(refuse(401, "Invalid Header - Invalid Auth token")) as server:
        client = FeedClient(server.url(), auth, on_error=events.append, **client_options())
        with client:
            assert client.wait_ended(10)
        assert len(server.requests) == 2  # the first try and one after renewing
    assert auth.renewals == 1
    assert isinstance(client.failure, AuthError)
    assert "Invalid Auth token" in str(client.failure)
    assert client.failure.hint is not None and "angelctl login" in client.failure.hint
    assert [e.code for e in events] == ["401", "401"]


def test_a_429_upgrade_is_retried_then_ends_with_the_connection_limit_error() -> None:
    with ThreadedApp(refuse(429)) as server:
        client = FeedClient(server.url(), fake_auth(), **client_options(max_refusals=3))
        with client:
            assert client.wait_ended(10)
        assert len(server.requests) == 3
    assert isinstance(client.failure, RateLimited)
    assert "3 per client code" in str(client.failure)
    assert len(client.stats.backoff_delays) == 2


def test_secrets_never_show_in_repr_status_events_or_errors() -> None:
    statuses: list[object] = []
    with ThreadedApp(refuse(401, "Invalid Header - Invalid Feed Token")) as server:
        client = FeedClient(
            server.url(), fake_auth(), on_status=statuses.append, **client_options()
        )
        with client:
            assert client.wait_ended(10)
    seen = " ".join(
        [repr(client), str(client.failure), repr(client.failure), repr(client.snapshot())]
        + [repr(s) for s in statuses]
    )
    for secret in ("test-jwt-value-0001", "test-api-key-0001", "test-feed-token-0001"):
        assert secret not in seen
    assert repr(fake_credentials()).count("***") == 3


# ------------------------------------------------------------------------- order updates


def _frame(code: str, **row: str) -> str:
    return json.dumps(
        {
            "user-id": "T123456",
            "status-code": "200",
            "order-status": code,
            "error-message": "",
            "orderData": row,
        }
    )


def test_an_order_update_frame_becomes_a_typed_update() -> None:
    update = parse_order_update(
        _frame(
            "AB05",
            orderid="261125000000123",
            status="complete",
            orderstatus="complete",
            filledshares="75",
            unfilledshares="0",
            averageprice="101.50",
            quantity="75",
            tradingsymbol="NIFTY27NOV2525000CE",
            exchange="NFO",
            transactiontype="BUY",
            updatetime="25-Nov-2025 10:15:02",
        )
    )
    assert (update.status_code, update.order_id, update.status) == (
        "AB05",
        "261125000000123",
        "complete",
    )
    assert (update.filled, update.unfilled, str(update.average_price)) == (75, 0, "101.50")
    assert update.updated_at is not None and update.updated_at.hour == 10
    assert update.raw["tradingsymbol"] == "NIFTY27NOV2525000CE"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "json"),
        ("[1, 2]", "shape"),
        (_frame("AB99", orderid="1"), "status"),
        (_frame("AB01", orderid="1", filledshares="many"), "row"),
        (_frame("AB01"), "row"),  # an update about no order
    ],
)
def test_a_malformed_order_update_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(MalformedOrderUpdate) as caught:
        parse_order_update(text)
    assert caught.value.reason == reason
