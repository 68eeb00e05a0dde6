"""Reconnect and heartbeat policies of a feed connection: plain values with named defaults.

``Backoff`` says how long to wait before the next connection attempt (decorrelated jitter: each
delay is uniform in [base, 3 × previous], capped; a connection that lived ``stable_after``
seconds resets it). ``Heartbeat`` says how often to ping and when silence ends a connection.
Both are pure: no clock, no I/O; the random source is passed in.

Invariants: ``Backoff.next_delay`` is always within [base, cap]; ``Heartbeat.poll`` is within
[5 ms, 250 ms].
"""

from __future__ import annotations

import random

from angelctl.records import record

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_CAP_S",
    "CONNECT_TIMEOUT_S",
    "MAX_CONSECUTIVE_REFUSALS",
    "PROTOCOL_PING_EVERY_S",
    "STABLE_AFTER_S",
    "STALE_AFTER_S",
    "TEXT_PING_EVERY_S",
    "Backoff",
    "Heartbeat",
]

# Reconnect policy (decorrelated jitter: each delay is uniform in [base, 3 × previous], capped).
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
STABLE_AFTER_S = 60.0  # a connection that lived this long resets the delay to the base
MAX_CONSECUTIVE_REFUSALS = 5  # 429 or certificate failures in a row before giving up

# Heartbeat and watchdog (docs/protocol.md#feed-heartbeat: text ping every 30 s, protocol pings
# every 10 s).
TEXT_PING_EVERY_S = 30.0
PROTOCOL_PING_EVERY_S = 10.0
STALE_AFTER_S = 15.0
CONNECT_TIMEOUT_S = 10.0


@record
class Backoff:
    base: float = BACKOFF_BASE_S
    cap: float = BACKOFF_CAP_S
    stable_after: float = STABLE_AFTER_S

    def next_delay(self, previous: float | None, rng: random.Random) -> float:
        """The delay before the next attempt; ``previous`` is None after a stable connection."""
        if previous is None:
            return min(self.cap, rng.uniform(self.base, 3 * self.base))
        return min(self.cap, rng.uniform(self.base, max(self.base, 3 * previous)))


@record
class Heartbeat:
    text_ping_every: float | None = TEXT_PING_EVERY_S
    protocol_ping_every: float | None = PROTOCOL_PING_EVERY_S
    stale_after: float = STALE_AFTER_S  # no byte at all (data, pong, anything) for this long
    data_stale_after: float | None = None  # no data frame for this long while data is expected

    @property
    def poll(self) -> float:
        """How often the thread wakes on a silent socket to run the clock-driven checks."""
        return max(0.005, min(0.25, self.stale_after / 10))
