"""Feed client throughput end to end: 1 000 tokens × 10 QUOTE ticks/s from the sandbox.

The sandbox runs in its own process; this process runs only ``FeedClient`` (decode + a counting
callback). Figures:
- client CPU: the connection thread's utime+stime (/proc/self/task/<tid>/stat) over the
  measured window, as % of one core (target < 60 %), and the whole client process's;
- throughput: ticks received per second against the 10 000 expected (min / median / max of the
  per-second counts); the backlog (frames the sandbox reports sent minus ticks the client
  decoded: what the client has not caught up with) and the sandbox's own shortfall;
- lag: receive wall time − the tick's exchange timestamp (the sandbox stamps it when it builds
  the frame), p50 / p99 / max, in ms;
- dropped frames (by reason) and reconnects (both should be 0).

``--framing own`` runs the same with the client's frame parser (``feed.framing``, over wsproto)
swapped for the hand-written parser in ``bench/_own_framing.py``, for a side-by-side run.

Usage: python bench/feed_e2e.py [--seconds 60] [--tokens 1000] [--rate 10]
                                [--framing wsproto|own]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _feed import (
    admin,
    feed_tokens,
    process_cpu_seconds,
    sandbox_process,
    session_factory,
    thread_cpu_seconds,
)

from angelctl.clock import SystemClock
from angelctl.feed.client import FeedClient
from angelctl.feed.connection import SessionAuth
from angelctl.feed.ticks import Mode, Tick

WARM_UP_S = 3.0
LAG_SAMPLE_EVERY = 50  # one lag sample per N ticks keeps the callback cheap


class Counter:
    def __init__(self) -> None:
        self.ticks = 0
        self.lags_ms: list[float] = []

    def __call__(self, tick: Tick) -> None:
        self.ticks += 1
        if self.ticks % LAG_SAMPLE_EVERY == 0 and tick.exchange_time_ms:
            self.lags_ms.append(time.time() * 1000 - tick.exchange_time_ms)


def _frames_sent(info: dict[str, Any]) -> int:
    connections = admin(info, "GET", "ws")["smartStream"]["connections"]
    return sum(int(c["data_frames"]) for c in connections)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="ticks/s per token")
    parser.add_argument("--framing", choices=["wsproto", "own"], default="wsproto")
    args = parser.parse_args()
    client_class = FeedClient
    if args.framing == "own":
        from _own_framing import OwnFrameParser

        class OwnFramingFeedClient(FeedClient):
            frame_parser = OwnFrameParser

        client_class = OwnFramingFeedClient
    expected = args.tokens * args.rate
    with sandbox_process() as info:
        admin(info, "POST", "config", feed_ticks_per_second=args.rate)
        groups = feed_tokens(info, args.tokens)
        counter = Counter()
        client = client_class(
            info["ws_url"], SessionAuth(session_factory(info)), clock=SystemClock(), on_tick=counter
        )
        for exchange_type, tokens in groups.items():
            client.subscribe(Mode.QUOTE, exchange_type, tokens)
        with client:
            if not client.wait_synced(30):
                raise SystemExit(f"no connection: {client.failure or client.stats.state}")
            pause = threading.Event()
            pause.wait(WARM_UP_S)
            assert client._thread is not None
            tid = client._thread.native_id or 0
            per_second: list[int] = []
            counter.lags_ms.clear()
            start_ticks, start = counter.ticks, time.monotonic()
            cpu0, proc0 = thread_cpu_seconds(tid), process_cpu_seconds(os.getpid())
            server0 = process_cpu_seconds(info["pid"])
            sent0 = _frames_sent(info)
            last = start_ticks
            for second in range(1, int(args.seconds) + 1):
                pause.wait(max(0.0, start + second - time.monotonic()))
                now_ticks = counter.ticks
                per_second.append(now_ticks - last)
                last = now_ticks
            elapsed = time.monotonic() - start
            cpu = thread_cpu_seconds(tid) - cpu0
            proc_cpu = process_cpu_seconds(os.getpid()) - proc0
            server_cpu = process_cpu_seconds(info["pid"]) - server0
            received = counter.ticks - start_ticks
            sent = _frames_sent(info) - sent0
            stats = client.snapshot()
    lags = sorted(counter.lags_ms) or [0.0]
    print(
        f"feed e2e ({args.framing} framing): {args.tokens} tokens x {args.rate:g} QUOTE ticks/s "
        f"for {elapsed:.1f} s"
    )
    print(f"  expected {expected:,.0f} ticks/s; received {received / elapsed:,.0f} ticks/s")
    print(
        f"  per-second counts: min {min(per_second):,}  median "
        f"{statistics.median(per_second):,.0f}  max {max(per_second):,}"
    )
    print(
        f"  sandbox sent {sent / elapsed:,.0f} ticks/s; client backlog (sent - received, "
        f"in flight at the end) {sent - received:,} ticks; sandbox shortfall (expected - sent) "
        f"{expected * elapsed - sent:,.0f}"
    )
    print(
        f"  client feed thread CPU {100 * cpu / elapsed:.1f} % of one core "
        f"(target < 60 %); client process {100 * proc_cpu / elapsed:.1f} %; "
        f"sandbox process {100 * server_cpu / elapsed:.1f} %"
    )
    print(
        f"  lag receive - exchange time: p50 {lags[len(lags) // 2]:.1f} ms  "
        f"p99 {lags[int(len(lags) * 0.99)]:.1f} ms  max {lags[-1]:.1f} ms (n={len(lags)})"
    )
    print(f"  dropped frames {dict(stats.dropped) or 0}; reconnects {stats.reconnects}")
    print("  measured: thread utime+stime from /proc/self/task/<tid>/stat; sandbox in a child")
    print("  process; a counting on_tick that samples lag every 50th tick.")


if __name__ == "__main__":
    main()
