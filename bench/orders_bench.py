"""Figures for orders (issue 4), against a sandbox on loopback.

1. A4 long form: N randomized crash runs (kill -9 before the journal write, after it, before
   the send, between send and answer, after the answer, and while the request sits in the
   broker's gateway — latency inside it, latency past it, a hold past it), each followed by a
   rerun of the same intent id (which waits, never sends twice) and `reconcile`; at the end,
   once settle_after has passed, a last `reconcile`: duplicate orders (target 0), intents
   settled wrongly — "not placed"/"rejected" with an order at the broker, or "accepted" under
   another order id (target 0) — and intents still unknown.
2. `angelctl order place ... --yes --json` wall time vs a minimal requests script making the
   same placeOrder call (target ratio of medians <= 1.5).
3. Order-route pacing under 4 concurrent placing processes: the peak calls the sandbox saw in
   any rolling second (target <= the configured 9/s) and rate-limit rejects (target 0).

Usage: python bench/orders_bench.py [--runs 200] [--place-runs 30] [--instructions]
"""

from __future__ import annotations

import argparse
import contextlib
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

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, sandbox_admin, user_env

POINTS = [
    "before_journal",
    "after_journal",
    "before_send",
    "mid_send",
    "after_response",
    "latency_in_gateway",
    "latency_past_gateway",
    "hold_past_gateway",
]
GATEWAY = 3.0  # the sandbox's gateway timeout for this run
SETTLE_AFTER = 4.0  # the profile's: longer than the gateway timeout
# point → (fault, kill the placer this long after the sandbox saw its request)
GATEWAY_POINTS: dict[str, tuple[dict[str, Any], float]] = {
    "latency_in_gateway": ({"name": "latency", "ms": 2500}, 1.2),
    "latency_past_gateway": ({"name": "latency", "ms": 4500}, 1.2),
    "hold_past_gateway": ({"name": "hold", "seconds": 4.5}, 1.2),
    "mid_send": ({"name": "hold", "seconds": 2}, 0.5),
}


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
        env = user_env(home)
        cmd = angelctl_cmd()

        def admin(method: str, path: str, **body: Any) -> Any:
            return sandbox_admin(url, server.admin_token, method, path, body or None, timeout=10)

        login = [*cmd, "login", "--sandbox", "--url", url, "--admin-token-stdin"]
        assert run(login, env, input=server.admin_token).returncode == 0
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
        admin("POST", "config", gateway_timeout_seconds=GATEWAY)
        for key, value in (
            ("read_timeout", "1"),
            ("settle_after", str(SETTLE_AFTER)),
            ("follow_unknown", "0.5"),
        ):
            assert run([*cmd, "config", "set", key, value], env).returncode == 0
        rng = random.Random(2026)
        started = time.monotonic()
        counts = dict.fromkeys(POINTS, 0)
        exits: dict[int, int] = {}
        for n in range(args.runs):
            point = rng.choice(POINTS)
            counts[point] += 1
            intent = [*place, "--intent-id", f"a4-{n}"]
            if point == "mid_send" or point in GATEWAY_POINTS:
                fault, kill_after = GATEWAY_POINTS.get(point, ({"name": "hold", "seconds": 2}, 0.0))
                admin("POST", "faults", route="placeOrder", count=1, **fault)
                proc = subprocess.Popen(
                    intent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
                )
                # The request is on its way once the placer journalled its send (a request held
                # or delayed by the sandbox is logged there only when it is processed).
                while not _sent(home, f"a4-{n}") and proc.poll() is None:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, kill_after))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            else:
                run(intent, {**env, "ANGELCTL_CRASH_AT": point})
            rerun = run(intent, env)  # waits for the outcome; never a second order
            exits[rerun.returncode] = exits.get(rerun.returncode, 0) + 1
            if rerun.returncode in (1, 17):
                print(f"run {n} ({point}): rerun exited {rerun.returncode}: {rerun.stderr}")
                failures.append("A4 rerun")
            run([*cmd, "reconcile", "--json"], env)
        time.sleep(SETTLE_AFTER + 1)  # every answer has landed or never will
        final = run([*cmd, "reconcile", "--json"], env)
        elapsed = time.monotonic() - started
        duplicates, wrong, unknown = _audit(admin, home, args.runs)
        print(
            f"A4: {args.runs} crash runs in {elapsed:.0f} s {counts}; reruns exited {exits}; "
            f"final reconcile exit {final.returncode}: duplicate orders {duplicates}, intents "
            f"settled wrongly {wrong}, intents unknown {unknown}"
        )
        if duplicates or wrong or unknown or final.returncode:
            failures.append("A4")
        admin("DELETE", "faults")
        admin("POST", "config", gateway_timeout_seconds=30)
        for key, value in (("read_timeout", "10"), ("settle_after", "60")):
            assert run([*cmd, "config", "set", key, value], env).returncode == 0

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
        assert run(login, env, input=server.admin_token).returncode == 0
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


def _sent(home: str, intent_id: str) -> bool:
    """Whether the placer has journalled that its request is leaving (read-only peek)."""
    import sqlite3

    path = Path(home) / "s/angelctl/journal.sqlite3"
    if not path.exists():
        return False
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            row = db.execute(
                "SELECT sent_at FROM intents WHERE intent_id = ?", (intent_id,)
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def _place_calls(admin: Any) -> int:
    data = admin("GET", "requests")
    rows: list[dict[str, Any]] = data["requests"] if isinstance(data, dict) else data
    return sum(1 for r in rows if r.get("route") == "placeOrder")


def _audit(admin: Any, home: str, runs: int) -> tuple[int, int, int]:
    """Judged by the sandbox's book: orders per intent (every attempt's tag), intents the
    journal settled against what the book holds, intents still open."""
    from angelctl.orders.journal import Journal, tag_for

    orders = admin("GET", "orders")
    rows = orders["orders"] if isinstance(orders, dict) else orders
    by_tag: dict[str, list[str]] = {}
    for row in rows:
        by_tag.setdefault(row.get("ordertag", ""), []).append(row["orderid"])
    journal = Journal(Path(home) / "s/angelctl/journal.sqlite3")
    duplicates = wrong = 0
    for n in range(runs):
        intent_id = f"a4-{n}"
        held = [
            o for a in range(1, 6) for o in by_tag.get(tag_for("sandbox", intent_id, "AC", a), [])
        ]
        duplicates += max(0, len(held) - 1)
        intent = journal.get(intent_id)
        if intent is None or intent.state in ("not_placed", "rejected"):
            wrong += 1 if held else 0
        elif intent.state == "accepted" and intent.order_id not in held:
            wrong += 1
    unknown = len(journal.open_intents())
    journal.close()
    return duplicates, wrong, unknown


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
