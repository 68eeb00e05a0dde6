"""Figure (issue 16 item 3): `angelctl margin --basket` on a 50-order basket (25 vertical call
spreads) against the sandbox with its rate limits on, beside the floor those limits set and a
minimal requests script that makes the same calls paced at the same limit.

The command makes 51 marginBatch calls (the basket once, each order alone) and one getRMS.
marginBatch allows 10 a second: calls 1-10 may go at once, 11-20 a second later, …, call 51
five seconds after the first — so no client can finish in under 5.0 s. The minimal script
sends the same 51 bodies and the getRMS read as fast as that limit lets it (each call 1.02 s
after the one ten before it), so
the ratio angelctl / minimal is angelctl's own cost: starting Python, the instrument index,
parsing and resolving 50 lines, rendering. Runs are interleaved and 6 s apart (each run's
calls leave the per-second window before the next starts; 6 runs stay far below 500/min).

Usage: python bench/margin_basket_bench.py [--runs 3]   (about 1 minute at 3 runs)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, sandbox_admin, user_env

FLOOR_SECONDS = 5.0  # 51 marginBatch calls at 10 per sliding second: the 51st at t = 5 s

MINIMAL = """
import json, sys, time, requests
url, key, jwt, legs_file = sys.argv[1:5]
legs = json.load(open(legs_file))
s = "/rest/secure/angelbroking"
headers = {
    "Content-Type": "application/json", "Accept": "application/json", "X-UserType": "USER",
    "X-SourceID": "WEB", "X-ClientLocalIP": "127.0.0.1", "X-ClientPublicIP": "127.0.0.1",
    "X-MACAddress": "00:00:00:00:00:00", "X-PrivateKey": key, "Authorization": "Bearer " + jwt}
bodies = [{"positions": legs}] + [{"positions": [leg]} for leg in legs]
sent = []
with requests.Session() as http:
    for n, body in enumerate(bodies):
        if n >= 10:  # the sliding second: the call ten back must have left 1.02 s ago
            wait = sent[n - 10] + 1.02 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        sent.append(time.monotonic())
        reply = http.post(url + s + "/margin/v1/batch", json=body, headers=headers, timeout=10)
        assert reply.status_code == 200, (n, reply.status_code, reply.text)
        assert reply.json()["status"], reply.text
    funds = http.get(url + s + "/user/v1/getRMS", headers=headers, timeout=10).json()
    assert funds["status"], funds
print(len(bodies))
"""


def run(cmd: list[str], env: dict[str, str], **extra: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **extra)


def spreads(rows: list[dict[str, str]]) -> tuple[list[str], list[dict[str, Any]]]:
    """25 call spreads (SELL a strike, BUY the one ten strikes up): basket lines and wire legs."""
    calls = [r for r in rows if r["symbol"].endswith("CE")]
    expiry = min(r["expiry"] for r in calls)
    calls = sorted((r for r in calls if r["expiry"] == expiry), key=lambda r: Decimal(r["strike"]))
    lines, legs = [], []
    for short, long in zip(calls[:25], calls[10:35], strict=True):
        for side, row, price in (("SELL", short, "200"), ("BUY", long, "50")):
            lines.append(f"{side} {row['symbol']} --lots 1 --price {price}")
            legs.append({"exchange": "NFO", "qty": int(row["lotsize"]), "price": price,
                         "productType": "CARRYFORWARD", "token": row["token"],
                         "tradeType": side, "orderType": "LIMIT"})  # fmt: skip
    return lines, legs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from angelctl.sandbox import SandboxConfig, SandboxServer

    with tempfile.TemporaryDirectory() as home, SandboxServer(SandboxConfig(port=0)) as server:
        url = server.rest_url
        env = user_env(home)
        cmd = angelctl_cmd()

        def admin(method: str, path: str, **params: Any) -> Any:
            return sandbox_admin(url, server.admin_token, method, path, params or None)

        login = [*cmd, "login", "--sandbox", "--url", url, "--admin-token-stdin"]
        assert run(login, env, input=server.admin_token).returncode == 0
        assert run([*cmd, "instruments", "sync"], env).returncode == 0
        admin("POST", "market/freeze", frozen=True)
        import requests

        from angelctl.broker.sandbox_admin import ADMIN_HEADER

        rows = requests.get(
            f"{url}/_sandbox/instruments",
            params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "OPTIDX"},
            headers={ADMIN_HEADER: server.admin_token},
            timeout=30,
        ).json()["rows"]
        lines, legs = spreads(rows)
        basket, legs_file = Path(home) / "basket.txt", Path(home) / "legs.json"
        basket.write_text("\n".join(lines) + "\n", encoding="utf-8")
        legs_file.write_text(json.dumps(legs), encoding="utf-8")
        session = json.loads((Path(home) / "s/angelctl/sessions/sandbox.json").read_text())
        minimal = [sys.executable, "-c", MINIMAL, url, session["api_key"], session["jwt"],
                   str(legs_file)]  # fmt: skip
        margin = [*cmd, "margin", "--basket", str(basket), "--json"]
        commands = {"angelctl": margin, "minimal": minimal}
        times: dict[str, list[float]] = {name: [] for name in commands}
        benefit = ""
        for n in range(-1, args.runs):  # run -1: the warm-up (bytecode caches)
            for name, command in commands.items():
                time.sleep(6.0)
                started = time.perf_counter()
                result = run(command, env)
                took = time.perf_counter() - started
                if result.returncode:
                    raise SystemExit(f"{name} exited {result.returncode}: {result.stderr}")
                if n >= 0:
                    times[name].append(took)
                if name == "angelctl":
                    benefit = json.loads(result.stdout)["hedge_benefit"]
        seen = admin("GET", "requests")
        routes = [r["route"] for r in seen]
        refused = sum(1 for r in seen if r["status"] == 403)
        print(describe("angelctl margin --basket (50 orders)", times["angelctl"]))
        print(describe("minimal: same 51 calls + getRMS, paced", times["minimal"]))
        ours, base = statistics.median(times["angelctl"]), statistics.median(times["minimal"])
        print(
            f"floor set by marginBatch's 10/s: {FLOOR_SECONDS:.1f} s; angelctl / floor "
            f"{ours / FLOOR_SECONDS:.2f}, angelctl / minimal {ours / base:.2f}; hedge benefit "
            f"₹{benefit}; the sandbox saw {routes.count('marginBatch')} marginBatch calls (8 runs "
            f"× 51) and "
            f"{refused} rate-limit refusals"
        )
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
