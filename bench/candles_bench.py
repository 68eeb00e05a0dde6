"""Figure: `angelctl candles` for a year of 1-minute data (the pagination worst case) against the
sandbox: wall time vs the bound the rate limits allow (target ≤ 1.2×), then the same command
with a warm cache, which must make 0 calls.

How it is measured: one sandbox on loopback (real clock), one fresh user (a temporary HOME),
`angelctl login --sandbox` and `instruments sync` first (untimed). Then, as a fresh process
each time, `angelctl candles SBIN -i 1m --from D-365 --to D-1 --json` (D = today IST):

- cold: the cache is empty; the range needs ⌈366/30⌉ = 13 getCandleData requests;
- warm: the same command again, answered from the on-disk cache.

Requests are counted in the sandbox's own request log (route ``getCandleData``) before and
after each run. The bound: with 3 requests a second (180/min, 5000/h do not bind at 13),
request k (0-based) cannot be sent before ⌊k/3⌋ s, so 13 requests need at least 4 s between
the first and the last: bound = 4.0 s. The ratio is the cold run's whole wall time (process
start, login check, 13 requests, parsing ~93 k candles, cache writes and the JSON output)
over that bound. Also printed: the sandbox's own cost for those 13 answers (computed
in-process from the price model, history cache cleared, without HTTP). About 30 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, sandbox_admin, user_env

TARGET = 1.2
PER_SECOND = 3


def logged(url: str, token: str) -> list[float]:
    """The sandbox-clock times of the getCandleData requests in its log."""
    rows = sandbox_admin(url, token, "GET", "requests")
    rows = rows["requests"] if isinstance(rows, dict) else rows
    return [row["monotonic"] for row in rows if row.get("route") == "getCandleData"]


def count(url: str, token: str) -> int:
    return len(logged(url, token))


def refused(url: str, token: str) -> int:
    rows = sandbox_admin(url, token, "GET", "requests")
    rows = rows["requests"] if isinstance(rows, dict) else rows
    return sum(1 for row in rows if row.get("route") == "getCandleData" and row["status"] != 200)


def bound_seconds(requests: int) -> float:
    return float((requests - 1) // PER_SECOND)


MARKS: dict[str, float] = {}


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    MARKS["start"] = time.monotonic()  # the sandbox logs on this clock (SystemClock)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    MARKS["end"] = time.monotonic()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-800:]}")
    document: dict[str, object] = json.loads(proc.stdout)
    return wall, document


def sandbox_cost(first: date, last: date) -> tuple[float, int]:
    """Seconds the price model takes for the 13 chunks of a year (no HTTP), and the bars."""
    from angelctl.broker.history import plan_chunks
    from angelctl.sandbox import SandboxConfig, SystemClock
    from angelctl.sandbox.engine import history
    from angelctl.sandbox.engine.tape import SCALE
    from angelctl.sandbox.rest.state import BrokerState

    clock = SystemClock()
    state = BrokerState(SandboxConfig(), clock)
    ticker = state.paper.market.ticker("NSE", "3045")
    assert ticker is not None
    history._cache.clear()
    started = time.perf_counter()
    bars = 0
    for a, b in plan_chunks("ONE_MINUTE", first, last):
        start = datetime.combine(a, datetime.min.time())
        end = datetime.combine(b, datetime.min.time()) + timedelta(hours=23, minutes=59)
        rows = [
            [history.stamp(day, bar[0]), *(p / SCALE for p in bar[1:5]), bar[5]]
            for day, bar, _ in history.candles(ticker, "ONE_MINUTE", start, end, clock.now())
        ]
        json.dumps({"status": True, "data": rows})
        bars += len(rows)
    return time.perf_counter() - started, bars


def main() -> int:
    from angelctl.clock import IST
    from angelctl.sandbox import SandboxConfig, SandboxServer

    today = datetime.now(IST).date()
    first, last = today - timedelta(days=365), today - timedelta(days=1)
    with tempfile.TemporaryDirectory() as home, SandboxServer(SandboxConfig(port=0)) as server:
        env = user_env(home)
        cmd = angelctl_cmd()
        login = [*cmd, "login", "--sandbox", "--url", server.rest_url, "--admin-token-stdin"]
        subprocess.run(
            login, env=env, input=server.admin_token, text=True, capture_output=True, check=True
        )
        subprocess.run([*cmd, "instruments", "sync"], env=env, capture_output=True, check=True)
        asked = [*cmd, "candles", "SBIN", "-i", "1m", "--from", str(first), "--to", str(last)]
        asked.append("--json")
        token = server.admin_token or ""
        before = count(server.rest_url, token)
        cold_wall, cold = run(asked, env)
        cold_calls = count(server.rest_url, token) - before
        sent = logged(server.rest_url, token)[before:]
        span = max(sent) - min(sent)
        lead, tail = min(sent) - MARKS["start"], MARKS["end"] - max(sent)
        rejected = refused(server.rest_url, token)
        warm_wall, warm = run(asked, env)
        warm_calls = count(server.rest_url, token) - before - cold_calls
    candles = len(cold["candles"])  # type: ignore[arg-type]
    bound = bound_seconds(cold_calls)
    engine, bars = sandbox_cost(first, last)
    print(f"range {first} .. {last} (IST), 1-minute candles of SBIN-EQ: {candles} candles")
    print(
        f"cold: {cold_calls} getCandleData requests (sandbox log), wall {cold_wall:.2f} s; "
        f"bound from 3/s = {bound:.1f} s; ratio {cold_wall / bound:.2f} (target ≤ {TARGET})"
    )
    steady = cold_calls / PER_SECOND
    print(
        f"      against the steady-rate reading of the bound ({cold_calls} requests / 3 per s = "
        f"{steady:.2f} s): ratio {cold_wall / steady:.2f}; angelctl's limiter adds its 0.06 s "
        "safety margin per window (0.24 s here) on purpose"
    )
    print(f"      requests the sandbox refused (rate limit): {rejected}")
    print(
        f"      first to last request logged by the sandbox: {span:.2f} s "
        f"(ratio {span / bound:.2f}); before the first: {lead:.2f} s (process start, symbol), "
        f"after the last: {tail:.2f} s (its answer, parsing, cache, output)"
    )
    print(
        f"warm: {warm_calls} requests (sandbox log; the document says calls={warm['calls']}, "
        f"cached_days={warm['cached_days']}), wall {warm_wall:.2f} s, same candles: "
        f"{warm['candles'] == cold['candles']}"
    )
    print(f"sandbox cost of the 13 answers in-process: {engine:.2f} s for {bars} bars")
    ok = cold_wall <= TARGET * bound and warm_calls == 0 and rejected == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
