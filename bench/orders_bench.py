"""Figures for orders (issue 4), against a sandbox on loopback.

1. A4 long form: N randomized crash runs (kill -9 before the journal write, after it, before
   the send, between send and answer, after the answer), each followed by `reconcile`:
   duplicate orders (target 0), intents left unknown (target 0), journal = sandbox book.
2. `angelctl order place ... --yes --json` wall time vs a minimal requests script making the
   same placeOrder call (target ratio of medians <= 1.5).
3. Order-route pacing under 4 concurrent placing processes: the peak calls the sandbox saw in
   any rolling second (target <= the configured 9/s) and rate-limit rejects (target 0).

Usage: python bench/orders_bench.py [--runs 200] [--place-runs 30] [--instructions]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe

POINTS = ["before_journal", "after_journal", "before_send", "mid_send", "after_response"]


def run(cmd: list[str], env: dict[str, str], **extra: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **extra)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--place-runs", type=int, default=20)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count both programs' instructions under valgrind (deterministic, ~30 s)",
    )
    args = parser.parse_args()

    from angelctl.sandbox import SandboxConfig, SandboxServer

    failures: list[str] = []
    with tempfile.TemporaryDirectory() as home, SandboxServer(SandboxConfig(port=0)) as server:
        url = server.rest_url
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/c",
            "XDG_STATE_HOME": f"{home}/s",
            "XDG_CACHE_HOME": f"{home}/k",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = angelctl_cmd()

        def admin(method: str, path: str, **body: Any) -> Any:
            reply = requests.request(
                method, f"{url}/_sandbox/{path}", json=body or None, timeout=10
            )
            reply.raise_for_status()
            return reply.json() if reply.content else None

        assert run([*cmd, "login", "--sandbox", "--url", url], env).returncode == 0
        assert run([*cmd, "instruments", "sync"], env).returncode == 0
        admin("POST", "market/freeze", frozen=True)
        admin("POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
        place = [
            *cmd,
            "order",
            "place",
            "BUY",
            "SBIN",
            "--qty",
            "1",
            "--price",
            "790",
            "--yes",
            "--json",
        ]

        # 1. A4 long form
        rng = random.Random(2026)
        started = time.monotonic()
        counts = dict.fromkeys(POINTS, 0)
        for n in range(args.runs):
            point = rng.choice(POINTS)
            counts[point] += 1
            intent = f"a4-{n}"
            if point == "mid_send":
                before = _place_calls(admin)
                admin("POST", "faults", name="hold", seconds=3, route="placeOrder", count=1)
                proc = subprocess.Popen(
                    [*place, "--intent-id", intent],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                while _place_calls(admin) == before:  # the sandbox has the order, no answer
                    time.sleep(0.02)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            else:
                run([*place, "--intent-id", intent], {**env, "ANGELCTL_CRASH_AT": point})
            settled = run([*cmd, "reconcile", "--settle", "0", "--json"], env)
            if settled.returncode not in (0,):
                print(
                    f"run {n} ({point}): reconcile exited {settled.returncode}: "
                    f"{settled.stderr.strip()}"
                )
        elapsed = time.monotonic() - started
        duplicates, unknown, mismatches = _audit(admin, home, args.runs)
        print(
            f"A4: {args.runs} crash runs in {elapsed:.0f} s {counts}: duplicate orders "
            f"{duplicates}, intents unknown after reconcile {unknown}, journal/book "
            f"mismatches {mismatches}"
        )
        if duplicates or unknown or mismatches:
            failures.append("A4")

        # 2. order place overhead vs a minimal requests script
        session = json.loads((Path(home) / "s/angelctl/sessions/sandbox.json").read_text())
        minimal = [sys.executable, "-c", MINIMAL, url, session["api_key"], session["jwt"]]
        ours: list[float] = []
        base: list[float] = []
        for n in range(args.place_runs):
            for target, command in ((ours, [*place, "--intent-id", f"speed-{n}"]), (base, minimal)):
                t = time.perf_counter()
                result = run(command, env)
                target.append(time.perf_counter() - t)
                if result.returncode:
                    raise SystemExit(result.stderr)
                time.sleep(0.3)  # stay under the order-route limit for both
        print(describe("angelctl order place --yes --json", ours))
        print(describe("minimal requests placeOrder", base))
        ratio = statistics.median(ours) / statistics.median(base)
        print(f"ratio of medians {ratio:.2f} (target <= 1.5)")
        if ratio > 1.5:
            failures.append("place overhead")
        if args.instructions:
            ours_ir = _instructions([*place, "--intent-id", "speed-ir"], env)
            base_ir = _instructions(minimal, env)
            print(
                f"instructions (callgrind, user space): angelctl {ours_ir / 1e6:.0f} M, minimal "
                f"{base_ir / 1e6:.0f} M, ratio {ours_ir / base_ir:.2f}"
            )

        # 3. pacing under 4 processes
        admin("POST", "reset")
        assert run([*cmd, "login", "--sandbox", "--url", url], env).returncode == 0
        admin("POST", "market/freeze", frozen=True)
        admin("POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
        loop = " ".join(place)
        script = f"for i in $(seq 1 12); do {loop} >/dev/null || exit 1; done"
        t = time.monotonic()
        procs = [subprocess.Popen(["sh", "-c", script], env=env) for _ in range(4)]
        codes = [p.wait() for p in procs]
        stats = admin("GET", "stats")
        orders = stats["buckets"].get("orders", {})
        print(
            f"pacing: 4 processes x 12 orders in {time.monotonic() - t:.1f} s, exit codes "
            f"{codes}; peak rolling-second order calls {orders.get('peak_rolling_second')} "
            f"(limit 9), rate-limit rejects {stats['rate_limited']}"
        )
        if any(codes) or stats["rate_limited"] or (orders.get("peak_rolling_second") or 0) > 9:
            failures.append("pacing")
    print("result:", "FAIL " + ", ".join(failures) if failures else "all targets met")
    return 1 if failures else 0


def _instructions(command: list[str], env: dict[str, str]) -> int:
    """User-space instructions one run executes: unlike wall time, the same on every run."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind")
    result = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command], env)
    if result.returncode:
        raise SystemExit(result.stderr[-500:])
    found = re.search(r"Collected : (\d+)", result.stderr)
    assert found, result.stderr[-500:]
    return int(found.group(1))


def _place_calls(admin: Any) -> int:
    data = admin("GET", "requests")
    rows: list[dict[str, Any]] = data["requests"] if isinstance(data, dict) else data
    return sum(1 for r in rows if r.get("route") == "placeOrder")


def _audit(admin: Any, home: str, runs: int) -> tuple[int, int, int]:
    from angelctl.orders.journal import Journal, tag_for

    orders = admin("GET", "orders")
    rows = orders["orders"] if isinstance(orders, dict) else orders
    by_tag: dict[str, int] = {}
    for row in rows:
        by_tag[row.get("ordertag", "")] = by_tag.get(row.get("ordertag", ""), 0) + 1
    journal = Journal(Path(home) / "s/angelctl/journal.sqlite3")
    duplicates = sum(max(0, n - 1) for n in by_tag.values())
    unknown = len(journal.open_intents())
    mismatches = 0
    for n in range(runs):
        intent = journal.get(f"a4-{n}")
        at_broker = by_tag.get(tag_for("sandbox", f"a4-{n}"), 0)
        if intent is None:
            mismatches += at_broker
        elif (intent.state == "accepted") != (at_broker == 1):
            mismatches += 1
    journal.close()
    return duplicates, unknown, mismatches


MINIMAL = """
import json, sys, requests
url, key, jwt = sys.argv[1:4]
body = {"variety": "NORMAL", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045",
        "transactiontype": "BUY", "exchange": "NSE", "ordertype": "LIMIT",
        "producttype": "DELIVERY", "duration": "DAY", "price": "790", "triggerprice": "0",
        "squareoff": "0", "stoploss": "0", "quantity": "1", "disclosedquantity": "0",
        "ordertag": "minimal"}
r = requests.post(url + "/rest/secure/angelbroking/order/v1/placeOrder", json=body, headers={
    "Content-Type": "application/json", "Accept": "application/json", "X-UserType": "USER",
    "X-SourceID": "WEB", "X-ClientLocalIP": "127.0.0.1", "X-ClientPublicIP": "127.0.0.1",
    "X-MACAddress": "00:00:00:00:00:00", "X-PrivateKey": key,
    "Authorization": "Bearer " + jwt}, timeout=10)
print(json.dumps(r.json()["data"]))
"""


if __name__ == "__main__":
    raise SystemExit(main())
