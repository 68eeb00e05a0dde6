"""Feed client resilience: C3 stall detection and the C4 reconnect storm, against a sandbox in
its own process.

C3: a silent stall (TCP open, no data, pings unanswered) and a data stall (pongs still come, no
data): time from the last byte / last tick to the watchdog's drop, against the configured
staleness, and whether the new connection holds exactly the desired subscriptions.

C4: ``--drops`` forced drops cycling through TCP reset, close frame, HTTP 503 on the next
upgrade and HTTP 429 on the next upgrade (a wss-only TLS failure cannot be forced on the
sandbox's ws://). After each: recovered (connected, resubscribed, server set == desired) or not.
Every ``STABLE_EVERY`` drops the bench leaves the connection up past the stable period, so the
backoff must start over. Reported: recovery rate, backoff delays (jittered: distinct values;
capped: max <= cap; reset: the delay after a stable period within [base, 3 x base]), threads and
file descriptors before and after, subscribe messages beyond one per mode per connection
(duplicates; target 0).

Usage: python bench/feed_resilience.py [--stale-after 15] [--drops 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _feed import admin, feed_tokens, open_fds, sandbox_process, session_factory

from angelctl.clock import SystemClock
from angelctl.feed.client import FeedClient
from angelctl.feed.connection import Backoff, FeedState, Heartbeat, LinkStats, SessionAuth
from angelctl.feed.subscriptions import SubscriptionKey
from angelctl.feed.ticks import Mode

STORM_BACKOFF = Backoff(base=0.05, cap=1.0, stable_after=2.0)
STABLE_EVERY = 25
KINDS = ("reset", "close", "upgrade-503", "upgrade-429")
WAIT_S = 60.0


def server_set(info: dict[str, Any]) -> frozenset[SubscriptionKey] | None:
    connections = admin(info, "GET", "ws")["smartStream"]["connections"]
    if len(connections) != 1:
        return None
    return frozenset(
        (s["mode"], s["exchangeType"], str(s["token"])) for s in connections[0]["subscriptions"]
    )


def settle(info: dict[str, Any], desired: frozenset[SubscriptionKey]) -> bool:
    pause = threading.Event()
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if server_set(info) == desired:
            return True
        pause.wait(0.02)
    return False


def up(connects: int) -> Any:
    return lambda s: s.connects >= connects and s.state == FeedState.CONNECTED


def subscribe_sample(client: FeedClient, groups: dict[int, list[str]]) -> None:
    (exchange_type, tokens), *_ = groups.items()
    client.subscribe(Mode.LTP, exchange_type, tokens[:10])
    client.subscribe(Mode.QUOTE, exchange_type, tokens[10:30])
    client.subscribe(Mode.SNAP_QUOTE, exchange_type, tokens[30:35])


def stall(info: dict[str, Any], groups: dict[int, list[str]], stale_after: float, mode: str) -> str:
    data = mode == "data"
    heartbeat = Heartbeat(
        stale_after=stale_after * 4 if data else stale_after,
        data_stale_after=stale_after if data else None,
    )
    client = FeedClient(
        info["ws_url"],
        SessionAuth(session_factory(info)),
        clock=SystemClock(),
        heartbeat=heartbeat,
        market_open=lambda: True,
    )
    subscribe_sample(client, groups)
    desired = client.subscriptions.keys()
    with client:
        client.wait_synced(WAIT_S)
        admin(info, "POST", "faults", name="ws_stall", mode=mode, seconds=3600, count=1)
        recovered = client.wait_until(up(2), stale_after * 4 + WAIT_S) and client.wait_synced(
            WAIT_S
        )
        same = recovered and settle(info, desired)
        stats = client.snapshot()
    cause = "data-stale" if data else "stale"
    return (
        f"  {mode:>6} stall: detected after {stats.last_detection_s or float('nan'):.2f} s "
        f"(configured {stale_after:g} s; cause {cause}: {stats.causes[cause]}); reconnects "
        f"{stats.reconnects}; resubscribed set == desired: {'yes' if same else 'NO'}"
    )


def storm(info: dict[str, Any], groups: dict[int, list[str]], drops: int) -> list[str]:
    client = FeedClient(
        info["ws_url"],
        SessionAuth(session_factory(info)),
        clock=SystemClock(),
        backoff=STORM_BACKOFF,
        heartbeat=Heartbeat(stale_after=5.0),
    )
    subscribe_sample(client, groups)
    desired = client.subscriptions.keys()
    modes = len({mode for mode, _, _ in desired})
    recovered = 0
    resets: list[float] = []
    pause = threading.Event()
    with client:
        client.wait_synced(WAIT_S)
        settle(info, desired)
        threads, fds = threading.active_count(), open_fds()
        started = time.monotonic()
        for i in range(drops):
            if i and i % STABLE_EVERY == 0:
                pause.wait(STORM_BACKOFF.stable_after + 0.2)  # a stable period: backoff resets
                mark = len(client.stats.backoff_delays)
            else:
                mark = -1
            kind = KINDS[i % len(KINDS)]
            if kind.startswith("upgrade-"):
                status = int(kind.split("-")[1])
                admin(info, "POST", "faults", name="ws_reject", status=status, count=1)
            mode = "reset" if kind == "reset" else "close"
            admin(info, "POST", "ws/close", route="smartStream", mode=mode)
            ok = client.wait_until(up(i + 2), WAIT_S) and client.wait_synced(WAIT_S)
            if ok and settle(info, desired):
                recovered += 1
            if mark >= 0 and len(client.stats.backoff_delays) > mark:
                resets.append(client.stats.backoff_delays[mark])
        elapsed = time.monotonic() - started
        threads_after, fds_after = threading.active_count(), open_fds()
        stats: LinkStats = client.snapshot()
    delays = list(stats.backoff_delays)
    duplicates = stats.subscribe_messages - stats.connects * modes
    base, cap = STORM_BACKOFF.base, STORM_BACKOFF.cap
    return [
        f"  {drops} drops ({', '.join(KINDS)}) in {elapsed:.1f} s: recovered {recovered}/{drops} "
        f"({100 * recovered / drops:.0f} %); connects {stats.connects}; "
        f"final state {stats.state.value}",
        f"  backoff delays (n={len(delays)}, base {base:g} s, cap {cap:g} s): min {min(delays):.3f}"
        f"  median {statistics.median(delays):.3f}  max {max(delays):.3f}; distinct "
        f"{len(set(delays))}; capped: {'yes' if max(delays) <= cap else 'NO'}",
        (
            f"  after a stable period the next delay was {', '.join(f'{d:.3f}' for d in resets)} s "
            f"(reset: {'yes' if all(base <= d <= 3 * base for d in resets) else 'NO'})"
            if resets
            else f"  reset after a stable period: not sampled (fewer than {STABLE_EVERY} drops)"
        ),
        f"  threads before/after {threads}/{threads_after}; fds {fds}/{fds_after}",
        f"  subscribe messages {stats.subscribe_messages} for {stats.connects} connections x "
        f"{modes} modes: duplicates {duplicates}; causes {dict(stats.causes)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stale-after", type=float, default=15.0)
    parser.add_argument("--drops", type=int, default=100)
    args = parser.parse_args()
    with sandbox_process() as info:
        admin(info, "POST", "config", feed_ticks_per_second=5)
        groups = feed_tokens(info, 40)
        print("C3 silent stall (watchdog):")
        print(stall(info, groups, args.stale_after, "silent"))
        print(stall(info, groups, args.stale_after, "data"))
        print("C4 reconnect storm:")
        for line in storm(info, groups, args.drops):
            print(line)
    print("measured: sandbox in a child process; drops forced through its admin routes/faults;")
    print("threads = threading.active_count(), fds = entries of /proc/self/fd.")


if __name__ == "__main__":
    main()
