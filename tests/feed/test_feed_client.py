"""The market-feed and order-update clients against the sandbox's real WebSocket endpoints.

Scenarios docs/scenarios.md#c1--malformed-frames (malformed frames),
docs/scenarios.md#c3--silent-stall (silent stall, data stall), docs/scenarios.md#c4--reconnect-storm
(reconnect storm, fast form) and docs/scenarios.md#c5--subscriptions-survive-everything
(subscriptions survive everything, Hypothesis stateful) of the reliability plan, plus an expired
token on the upgrade and the order-update flow. Synchronisation is by waiting on the clients'
conditions, or on the sandbox's admin view with a deadline — never a bare sleep.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from angelctl.broker.api import build_session
from angelctl.errors import AuthError
from angelctl.feed.client import FeedClient
from angelctl.feed.connection import Backoff, FeedState, Heartbeat, LinkStats, SessionAuth
from angelctl.feed.orderupdates import OrderUpdate, OrderUpdateClient
from angelctl.feed.subscriptions import SubscriptionKey
from angelctl.feed.ticks import Mode, Tick
from tests.broker.test_login_session import settings_for
from tests.conftest import ShiftedClock, admin, arm
from tests.feed_servers import FAST_BACKOFF, client_options

NSE = 1
WAIT = 15.0


# ---------------------------------------------------------------------------------- helpers


def feed_connections(sandbox: Any) -> list[dict[str, Any]]:
    connections: list[dict[str, Any]] = admin(sandbox, "GET", "ws")["smartStream"]["connections"]
    return connections


def server_subscriptions(sandbox: Any) -> frozenset[SubscriptionKey] | None:
    """The one open feed connection's subscriptions, or None unless exactly one is open."""
    connections = feed_connections(sandbox)
    if len(connections) != 1:
        return None
    return frozenset(
        (s["mode"], s["exchangeType"], str(s["token"])) for s in connections[0]["subscriptions"]
    )


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Re-check an outside observable (the sandbox's admin view) until it holds or time is up."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if check():
            return True
        pause.wait(0.02)
    return check()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Ticks:
    """A tick sink the tests wait on."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[int, int, str]] = Counter()
        self._cond = threading.Condition()

    def __call__(self, tick: Tick) -> None:
        with self._cond:
            self.seen[(tick.mode, tick.exchange_type, tick.token)] += 1
            self._cond.notify_all()

    @property
    def total(self) -> int:
        return sum(self.seen.values())

    def wait(self, check: Callable[[Counter[tuple[int, int, str]]], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: check(self.seen), timeout)


@pytest.fixture
def feed_env(sandbox: Any, sandbox_clock: ShiftedClock) -> Iterator[Any]:
    """A sandbox session (logged in through its demo account) and its NSE equity tokens."""
    session = build_session(settings_for(sandbox), clock=sandbox_clock)
    session.ensure()
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    rows = sandbox.engine.instruments(exch_seg="NSE")["rows"]
    tokens = [r["token"] for r in rows if r["instrumenttype"] in ("", "EQ")]
    assert len(tokens) >= 8

    class Env:
        pass

    env = Env()
    env.sandbox = sandbox  # type: ignore[attr-defined]
    env.session = session  # type: ignore[attr-defined]
    env.auth = SessionAuth(  # type: ignore[attr-defined]
        lambda: build_session(settings_for(sandbox), clock=sandbox_clock)
    )
    env.fresh_session = lambda: build_session(  # type: ignore[attr-defined]
        settings_for(sandbox), clock=sandbox_clock
    )
    env.tokens = tokens  # type: ignore[attr-defined]
    yield env
    admin(sandbox, "POST", "config", feed_ticks_per_second=2)
    admin(sandbox, "DELETE", "faults")
    session.rest.close()


def feed_client(env: Any, **options: Any) -> FeedClient:
    on_tick = options.pop("on_tick", None)
    return FeedClient(env.sandbox.ws_url, env.auth, on_tick=on_tick, **client_options(**options))


def connected(client: FeedClient, connects: int) -> Callable[[LinkStats], bool]:
    return lambda s: s.connects >= connects and s.state == FeedState.CONNECTED


# ------------------------------------------------------------------------- basic and C1


def test_subscribed_tokens_tick_and_the_server_holds_exactly_the_desired_set(
    feed_env: Any,
) -> None:
    ticks = Ticks()
    a, b, c = feed_env.tokens[:3]
    client = feed_client(feed_env, on_tick=ticks)
    client.subscribe(Mode.LTP, NSE, [a])
    client.subscribe(Mode.QUOTE, NSE, [b])
    client.subscribe(Mode.SNAP_QUOTE, NSE, [c])
    with client:
        assert client.wait_synced(WAIT)
        wanted = {(1, NSE, a), (2, NSE, b), (3, NSE, c)}
        assert ticks.wait(lambda seen: wanted <= set(seen), WAIT)
        assert eventually(lambda: server_subscriptions(feed_env.sandbox) == wanted)
        client.set_mode(Mode.QUOTE, NSE, [a])
        assert client.wait_synced(WAIT)
        moved = {(2, NSE, a), (2, NSE, b), (3, NSE, c)}
        assert eventually(lambda: server_subscriptions(feed_env.sandbox) == moved)
        assert ticks.wait(lambda seen: seen[(2, NSE, a)] > 0, WAIT)
    assert client.stats.unsubscribe_messages == 1 and client.stats.reconnects == 0
    assert eventually(lambda: feed_connections(feed_env.sandbox) == [])  # stop() closed it


def test_the_sandbox_catches_up_a_late_batch_instead_of_skipping_slots(feed_env: Any) -> None:
    """The sandbox delivers the configured rate: a batch held up (here a 400 ms frame delay,
    as a busy event loop would) is followed by the slots it missed, so the tick sequence
    numbers (the sandbox's slot numbers) stay consecutive across the pause."""
    received: list[tuple[int, float]] = []
    arrived = threading.Condition()

    def on_tick(tick: Tick) -> None:
        with arrived:
            received.append((tick.sequence, time.monotonic()))
            arrived.notify_all()

    client = feed_client(feed_env, on_tick=on_tick)
    client.subscribe(Mode.LTP, NSE, feed_env.tokens[:1])
    with client:
        with arrived:
            assert arrived.wait_for(lambda: len(received) >= 5, WAIT)
            armed_at = len(received)
        arm(feed_env.sandbox, name="ws_delay", stage="frames", ms=400, count=1)
        with arrived:
            assert arrived.wait_for(lambda: len(received) >= armed_at + 30, WAIT)
            got = list(received)
    sequences = [seq for seq, _ in got]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    pauses = [b - a for (_, a), (_, b) in itertools.pairwise(got)]
    assert max(pauses) >= 0.3  # the delay did hold a batch up


def test_malformed_frames_are_dropped_and_counted_without_losing_a_tick_or_reconnecting(
    feed_env: Any,
) -> None:
    """C1: a truncated frame, an unknown mode and trailing garbage inside a 20 ticks/s stream."""
    ticks = Ticks()
    token = feed_env.tokens[0]
    client = feed_client(feed_env, on_tick=ticks)
    client.subscribe(Mode.QUOTE, NSE, [token])
    with client:
        assert ticks.wait(lambda seen: sum(seen.values()) >= 5, WAIT)
        for kind in ("truncated", "unknown_mode", "trailing"):
            arm(feed_env.sandbox, name="ws_bad_frame", kind=kind, route="smartStream", count=1)
        assert eventually(lambda: sum(client.stats.dropped.values()) >= 3)
        after = ticks.total
        assert ticks.wait(lambda seen: sum(seen.values()) >= after + 10, WAIT)  # still flowing
        client.unsubscribe(NSE, [token])
        assert client.wait_synced(WAIT)

        def all_accounted() -> bool:
            (conn,) = feed_connections(feed_env.sandbox)
            dropped = sum(client.stats.dropped.values())
            return bool(ticks.total == conn["data_frames"] and dropped == conn["bad_frames"] == 3)

        assert eventually(all_accounted)  # every good frame sent became a tick, no more no less
    assert dict(client.stats.dropped) == {"length": 1, "mode": 1, "trailing": 1}
    assert client.stats.reconnects == 0 and client.stats.connects == 1


# ------------------------------------------------------------------------------------ C3


def test_a_silent_stall_is_detected_within_the_staleness_and_the_same_set_is_resubscribed(
    feed_env: Any,
) -> None:
    stale_after = 1.0
    heartbeat = Heartbeat(text_ping_every=0.4, protocol_ping_every=0.25, stale_after=stale_after)
    client = feed_client(feed_env, heartbeat=heartbeat)
    tokens = feed_env.tokens[:6]
    client.subscribe(Mode.LTP, NSE, tokens[:2])
    client.subscribe(Mode.QUOTE, NSE, tokens[2:5])
    client.subscribe(Mode.SNAP_QUOTE, NSE, tokens[5:])
    desired = client.subscriptions.keys()
    with client:
        assert client.wait_synced(WAIT)
        arm(feed_env.sandbox, name="ws_stall", mode="silent", seconds=60, count=1)
        assert client.wait_until(connected(client, 2), WAIT)
        assert client.wait_synced(WAIT)
        assert eventually(lambda: server_subscriptions(feed_env.sandbox) == desired)
    stats = client.stats
    assert stats.causes["stale"] == 1 and stats.reconnects == 1
    detection = stats.last_detection_s
    assert detection is not None
    assert stale_after <= detection <= stale_after + heartbeat.poll + 0.5
    assert stats.subscribe_messages == 2 * 3  # one per mode on each of the two connections


def test_a_data_stall_with_live_pongs_is_detected_by_the_data_watchdog(feed_env: Any) -> None:
    heartbeat = Heartbeat(
        text_ping_every=0.2, protocol_ping_every=0.2, stale_after=10.0, data_stale_after=1.0
    )
    client = feed_client(feed_env, heartbeat=heartbeat, market_open=lambda: True)
    client.subscribe(Mode.QUOTE, NSE, feed_env.tokens[:2])
    with client:
        assert client.wait_synced(WAIT)
        arm(feed_env.sandbox, name="ws_stall", mode="data", seconds=60, count=1)
        assert client.wait_until(connected(client, 2), WAIT)
    stats = client.stats
    assert stats.causes["data-stale"] == 1 and stats.causes["stale"] == 0
    assert stats.text_pongs + stats.protocol_pongs > 0
    assert stats.last_detection_s is not None and 1.0 <= stats.last_detection_s <= 1.8


def server_pings(sandbox: Any) -> int:
    """Pings the sandbox answered on its (single) open feed connection."""
    feed = admin(sandbox, "GET", "ws")["smartStream"]
    (connection,) = feed["connections"]
    return int(connection["pings_answered"])


def test_a_data_stall_outside_market_hours_is_not_a_reason_to_reconnect(feed_env: Any) -> None:
    """The data watchdog only runs while the market is open (pongs keep the socket alive)."""
    heartbeat = Heartbeat(
        text_ping_every=0.2, protocol_ping_every=0.2, stale_after=10.0, data_stale_after=0.5
    )
    open_now = threading.Event()
    client = feed_client(feed_env, heartbeat=heartbeat, market_open=open_now.is_set)
    client.subscribe(Mode.QUOTE, NSE, feed_env.tokens[:2])
    with client:
        assert client.wait_synced(WAIT)
        arm(feed_env.sandbox, name="ws_stall", mode="data", seconds=60, count=1)
        # several data-stale periods of pings answered and no data, with the market closed,
        # observed on the server: the same connection keeps answering, nothing reconnects
        first = server_pings(feed_env.sandbox)
        deadline = time.monotonic() + WAIT
        while server_pings(feed_env.sandbox) < first + 10:
            assert time.monotonic() < deadline, "the server stopped seeing pings"
        assert client.stats.causes["data-stale"] == 0 and client.stats.connects == 1
        open_now.set()  # the market opens: the stall is now a fault
        assert client.wait_until(connected(client, 2), WAIT)
    assert client.stats.causes["data-stale"] == 1


# ------------------------------------------------------------------------------------ C4


def test_a_storm_of_20_mixed_drops_recovers_every_time_with_constant_threads_and_fds(
    feed_env: Any,
) -> None:
    sandbox = feed_env.sandbox
    backoff = Backoff(base=0.01, cap=0.1, stable_after=30.0)
    client = feed_client(feed_env, backoff=backoff)
    client.subscribe(Mode.QUOTE, NSE, feed_env.tokens[:4])
    client.subscribe(Mode.LTP, NSE, feed_env.tokens[4:6])
    desired = client.subscriptions.keys()
    kinds = ("reset", "close", "upgrade-5xx")
    with client:
        assert client.wait_synced(WAIT)
        threads, fds = threading.active_count(), open_fds()
        for i in range(20):
            kind = kinds[i % 3]
            if kind == "upgrade-5xx":
                arm(sandbox, name="ws_reject", status=503, route="smartStream", count=1)
            mode = "reset" if kind == "reset" else "close"
            assert admin(sandbox, "POST", "ws/close", route="smartStream", mode=mode)["closed"] == 1
            assert client.wait_until(connected(client, i + 2), WAIT), (i, client.stats)
            assert client.wait_synced(WAIT)
            assert eventually(lambda: server_subscriptions(sandbox) == desired), i
        # the in-process sandbox closes its side of a dropped socket a moment later
        assert eventually(lambda: threading.active_count() == threads and open_fds() == fds)
    stats = client.stats
    assert stats.connects == 21 and stats.reconnects == 20
    assert stats.causes["upgrade-5xx"] == 6
    assert stats.subscribe_messages == 21 * 2  # QUOTE and LTP once per connection: no duplicate
    delays = list(stats.backoff_delays)
    assert len(delays) == 26  # one per drop and one per refused upgrade
    assert all(backoff.base <= d <= backoff.cap for d in delays)
    below_cap = [d for d in delays if d < backoff.cap]
    assert len(below_cap) >= 5 and len(set(below_cap)) == len(below_cap)  # jittered
    assert max(delays) == backoff.cap  # consecutive drops without a stable period reach the cap
    assert threading.active_count() == threads - 1  # the client's thread is gone after stop()


# ------------------------------------------------------------------------------------ C5


def test_server_subscriptions_equal_the_desired_set_through_any_sequence(feed_env: Any) -> None:
    sandbox = feed_env.sandbox
    pool = feed_env.tokens[:6]
    modes = st.sampled_from([Mode.LTP, Mode.QUOTE, Mode.SNAP_QUOTE])
    some = st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)

    class Subscriptions(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.client = feed_client(feed_env, backoff=FAST_BACKOFF).start()
            assert self.client.wait_state(FeedState.CONNECTED, WAIT)

        @rule(mode=modes, tokens=some)
        def subscribe(self, mode: Mode, tokens: list[str]) -> None:
            self.client.subscribe(mode, NSE, tokens)

        @rule(tokens=some)
        def unsubscribe(self, tokens: list[str]) -> None:
            self.client.unsubscribe(NSE, tokens)

        @rule(mode=modes, tokens=some)
        def change_mode(self, mode: Mode, tokens: list[str]) -> None:
            self.client.set_mode(mode, NSE, tokens)

        @rule(mode=st.sampled_from(["reset", "close"]))
        def drop(self, mode: str) -> None:
            before = self.client.stats.connects
            admin(sandbox, "POST", "ws/close", route="smartStream", mode=mode)
            assert self.client.wait_until(connected(self.client, before + 1), WAIT)

        @rule()
        def reconnect(self) -> None:
            before = self.client.stats.connects
            self.client.reconnect()
            assert self.client.wait_until(connected(self.client, before + 1), WAIT)

        @invariant()
        def server_holds_the_desired_set(self) -> None:
            assert self.client.wait_synced(WAIT)
            desired = self.client.subscriptions.keys()
            assert eventually(lambda: server_subscriptions(sandbox) == desired), (
                desired,
                server_subscriptions(sandbox),
            )

        def teardown(self) -> None:
            assert self.client.stop()
            assert eventually(lambda: feed_connections(sandbox) == [])

    run_state_machine_as_test(
        Subscriptions,
        settings=settings(
            max_examples=4,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


# ------------------------------------------------------------------------ tokens and orders


def test_an_expired_token_on_reconnect_is_renewed_once_and_the_stream_resumes(
    feed_env: Any,
) -> None:
    sandbox = feed_env.sandbox
    client = feed_client(feed_env)
    client.subscribe(Mode.LTP, NSE, feed_env.tokens[:1])
    with client:
        assert client.wait_synced(WAIT)
        old_jwt = feed_env.fresh_session().cached_tokens().jwt
        arm(sandbox, name="expire_tokens")
        admin(sandbox, "POST", "ws/close", route="smartStream", mode="close")
        assert client.wait_until(connected(client, 2), WAIT), client.stats
        assert client.wait_synced(WAIT)
    assert client.failure is None
    assert client.stats.causes["auth"] == 1
    assert feed_env.fresh_session().cached_tokens().jwt != old_jwt  # refreshed, then used


def test_a_refused_renewal_ends_the_client_with_an_auth_error_and_the_login_hint(
    feed_env: Any,
) -> None:
    arm(feed_env.sandbox, name="ws_reject", status=401, route="smartStream", count=5)
    client = feed_client(feed_env)
    with client:
        assert client.wait_ended(WAIT)
    assert isinstance(client.failure, AuthError)
    assert client.failure.hint and "angelctl login" in client.failure.hint
    assert client.state == FeedState.FAILED and client.stats.connects == 0


def test_an_order_placed_over_rest_arrives_as_typed_updates_until_complete(
    sandbox: Any, sandbox_clock: ShiftedClock, cli: Any, sandbox_login: Any
) -> None:
    from angelctl.config import load_config_file, resolve_profile

    settings = resolve_profile(load_config_file(), "sandbox")
    auth = SessionAuth(lambda: build_session(settings, clock=sandbox_clock))
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    updates: list[OrderUpdate] = []
    done = threading.Event()

    def on_update(update: OrderUpdate) -> None:
        updates.append(update)
        if update.status == "complete":
            done.set()

    orders = OrderUpdateClient(settings.order_ws_url, auth, on_update=on_update, **client_options())
    with orders:
        assert orders.wait_acknowledged(WAIT)
        placed = cli("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "790", "--yes")
        assert placed.code == 0, placed.both
        admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="789")
        admin(sandbox, "POST", "orders/step")
        assert done.wait(WAIT), [(u.status_code, u.status) for u in updates]
    codes = [u.status_code for u in updates]
    assert codes[0] == "AB09" and codes[-1] == "AB05"
    final = updates[-1]
    assert final.filled == 2 and final.unfilled == 0 and final.average_price > 0
    assert final.symbol == "SBIN-EQ" and final.raw["orderid"] == final.order_id
    assert len({u.order_id for u in updates}) == 1
    assert orders.stats.dropped == Counter()
