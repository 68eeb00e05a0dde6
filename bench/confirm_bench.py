"""Figure (issue 15): `order place` confirmed by `--yes`, with margin and charges fetched, vs a
minimal requests script that makes the same placeOrder call plus the two extra calls
(marginBatch, estimateCharges) — target: ratio of medians <= 1.5.

Both run as fresh processes against one sandbox on loopback, interleaved run by run (the
machine is shared, so only the side-by-side ratio means anything). angelctl is measured twice:
`--no-wait` (place and report, the like-for-like figure) and the default for `--yes` (also
follows the order to its first definite state: one more orderDetails call). Its calls: the
collar's quote, then getRMS, marginBatch and estimateCharges concurrently, then placeOrder.

Runs are 1.1 s apart: getRMS's 2/s limit is shared by every angelctl process, and runs back to
back would measure the limiter's pacing instead of the command.

Usage: python bench/confirm_bench.py [--runs 15]   (about 1.5 minutes at 15 runs)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, sandbox_admin, user_env

MINIMAL = """
import json, sys, requests
url, key, jwt = sys.argv[1:4]
s = "/rest/secure/angelbroking"
headers = {
    "Content-Type": "application/json", "Accept": "application/json", "X-UserType": "USER",
    "X-SourceID": "WEB", "X-ClientLocalIP": "127.0.0.1", "X-ClientPublicIP": "127.0.0.1",
    "X-MACAddress": "00:00:00:00:00:00", "X-PrivateKey": key, "Authorization": "Bearer " + jwt}
margin = {"positions": [{"exchange": "NSE", "qty": 1, "price": "790", "productType": "DELIVERY",
          "token": "3045", "tradeType": "BUY", "orderType": "LIMIT"}]}
charges = {"orders": [{"product_type": "DELIVERY", "transaction_type": "BUY", "quantity": "1",
           "price": "790", "exchange": "NSE", "symbol_name": "SBIN", "token": "3045"}]}
order = {"variety": "NORMAL", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045",
         "transactiontype": "BUY", "exchange": "NSE", "ordertype": "LIMIT",
         "producttype": "DELIVERY", "duration": "DAY", "price": "790", "triggerprice": "0",
         "squareoff": "0", "stoploss": "0", "quantity": "1", "disclosedquantity": "0",
         "ordertag": "minimal"}
with requests.Session() as http:
    for path, body in (("/margin/v1/batch", margin), ("/brokerage/v1/estimateCharges", charges),
                       ("/order/v1/placeOrder", order)):
        reply = http.post(url + s + path, json=body, headers=headers, timeout=10).json()
        assert reply["status"], reply
print(json.dumps(reply["data"]))
"""


def run(cmd: list[str], env: dict[str, str], **extra: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **extra)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from angelctl.sandbox import SandboxConfig, SandboxServer

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
        admin("POST", "config", rate_limit_enabled=False)  # the bench measures cost, not pacing
        place = [*cmd, "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes"]
        session = json.loads((Path(home) / "s/angelctl/sessions/sandbox.json").read_text())
        minimal = [sys.executable, "-c", MINIMAL, url, session["api_key"], session["jwt"]]

        times: dict[str, list[float]] = {"no_wait": [], "follow": [], "minimal": []}
        commands = {
            "no_wait": lambda n: [*place, "--json", "--no-wait", "--intent-id", f"nw-{n}"],
            "follow": lambda n: [*place, "--json", "--intent-id", f"fw-{n}"],
            "minimal": lambda n: minimal,
        }
        for make in commands.values():  # warm-up: bytecode caches, the instrument index
            run(make(-1), env)
        for n in range(args.runs):
            for name, make in commands.items():
                # getRMS is limited to 2/s per client code (shared by every angelctl process):
                # back-to-back runs would measure the limiter's pacing, not the command
                time.sleep(1.1)
                started = time.perf_counter()
                result = run(make(n), env)
                times[name].append(time.perf_counter() - started)
                if result.returncode:
                    raise SystemExit(f"{name} exited {result.returncode}: {result.stderr}")
        routes = [r["route"] for r in admin("GET", "requests")]
        print(describe("angelctl order place --yes --no-wait", times["no_wait"]))
        print(describe("angelctl order place --yes (follows)", times["follow"]))
        print(describe("minimal: margin + charges + placeOrder", times["minimal"]))
        base = statistics.median(times["minimal"])
        ratios = {k: statistics.median(v) / base for k, v in times.items() if k != "minimal"}
        print(
            f"ratio of medians: --no-wait {ratios['no_wait']:.2f}, following "
            f"{ratios['follow']:.2f} (target <= 1.5); sandbox saw "
            f"{routes.count('marginBatch')} marginBatch, {routes.count('estimateCharges')} "
            f"estimateCharges, {routes.count('placeOrder')} placeOrder calls"
        )
        return 0 if ratios["no_wait"] <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
