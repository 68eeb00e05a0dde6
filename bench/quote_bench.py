"""Figure: `angelctl quote` with 250 symbols (and with 1) against the sandbox vs a minimal
requests script asking getMarketData for the same tokens (target: ratio of medians ≤ 1.3 at 250).

The minimal script is what a user would write with no tool at all: it reads the session that
`angelctl login` cached (the same JWT, so neither side logs in during the timed runs), posts
``market/v1/quote`` in FULL mode for the same tokens — 50 a request, the broker's maximum, so
5 requests for 250 — and prints the JSON. `angelctl quote EXCH:SYMBOL ... --json` resolves each
symbol through the instrument index, makes the same 5 requests, parses every field into typed
values and prints its JSON document. Both run as fresh processes against one sandbox on
loopback, alternating, spaced 0.6 s apart so no rate limit (quote: 10/s) holds a call back.
It also times the quote path's own work in-process on the same 250 rows (parsing and encoding
against plain json.loads/dumps). About two minutes.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, describe, time_command

RUNS = 25
TARGET = 1.3
SIZES = (1, 250)

MINIMAL = """
import json, sys, requests
s = json.load(open(sys.argv[1]))
tokens = json.loads(sys.argv[3])
headers = {
    "Content-Type": "application/json", "Accept": "application/json", "X-UserType": "USER",
    "X-SourceID": "WEB", "X-ClientLocalIP": "127.0.0.1", "X-ClientPublicIP": "127.0.0.1",
    "X-MACAddress": "00:00:00:00:00:00", "X-PrivateKey": s["api_key"],
    "Authorization": "Bearer " + s["jwt"]}
url = sys.argv[2] + "/rest/secure/angelbroking/market/v1/quote"
fetched = []
with requests.Session() as http:
    for at in range(0, len(tokens), 50):
        batch = {}
        for exchange, token in tokens[at:at + 50]:
            batch.setdefault(exchange, []).append(token)
        body = {"mode": "FULL", "exchangeTokens": batch}
        fetched += http.post(url, json=body, headers=headers, timeout=10).json()["data"]["fetched"]
print(json.dumps(fetched))
"""


def _pick(rows: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """``n`` distinct instruments across segments: cash, options and futures, as a watchlist."""
    rng = random.Random(14)
    usable = [r for r in rows if r["exch_seg"] in ("NSE", "BSE", "NFO", "BFO", "MCX", "CDS")]
    return rng.sample(usable, n)


def _best_ms(work: Any, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def in_process(text: str) -> None:
    """The quote path's own work on the same rows, without processes or the network."""
    from angelctl.broker.market import Quote
    from angelctl.render.quotes import quotes_json

    rows = json.loads(text)
    quotes = [Quote.from_wire(row, "FULL") for row in rows]
    document = {"mode": "FULL", "quotes": [q.as_dict() for q in quotes], "unfetched": []}
    loads = _best_ms(lambda: json.loads(text))
    dumps = _best_ms(lambda: json.dumps(rows))
    parse = _best_ms(lambda: [Quote.from_wire(row, "FULL") for row in rows])
    encode = _best_ms(lambda: quotes_json({**document, "quotes": [q.as_dict() for q in quotes]}))
    print(
        f"in-process, {len(rows)} FULL rows (best of 30): json.loads {loads:.2f} ms, "
        f"json.dumps {dumps:.2f} ms; Quote.from_wire {parse:.2f} ms, as_dict + quotes_json "
        f"{encode:.2f} ms"
    )


def main() -> int:
    from angelctl.sandbox import SandboxConfig, SandboxServer

    results: dict[int, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as home, SandboxServer(SandboxConfig(port=0)) as server:
        env = {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/c",
            "XDG_STATE_HOME": f"{home}/s",
            "XDG_CACHE_HOME": f"{home}/k",
        }
        cmd = angelctl_cmd()
        full_env = {**os.environ, **env}
        login = subprocess.run(
            [*cmd, "login", "--sandbox", "--url", server.rest_url, "--admin-token-stdin", "--json"],
            env=full_env,
            capture_output=True,
            text=True,
            input=server.admin_token,
        )
        if login.returncode:
            raise SystemExit(login.stderr)
        time_command([*cmd, "instruments", "sync"], 1, env)
        rows = requests.get(server.instruments_url, timeout=30).json()
        session_file = Path(home) / "s" / "angelctl" / "sessions" / "sandbox.json"
        for size in SIZES:
            picked = _pick(rows, size)
            ours_cmd = [*cmd, "quote", *[f"{r['exch_seg']}:{r['symbol']}" for r in picked]]
            ours_cmd.append("--json")
            tokens = json.dumps([[r["exch_seg"], r["token"]] for r in picked])
            minimal = [sys.executable, "-c", MINIMAL, str(session_file), server.rest_url, tokens]
            check = subprocess.run(minimal, capture_output=True, text=True, env=full_env)
            quoted = json.loads(subprocess.run(ours_cmd, capture_output=True, env=full_env).stdout)
            assert len(json.loads(check.stdout)) == len(quoted["quotes"]) == size, check.stderr
            if size == SIZES[-1]:
                in_process(check.stdout)
            time_command(ours_cmd, 1, env, pause=0.6)
            time_command(minimal, 1, env, pause=0.6)
            ours: list[float] = []
            base: list[float] = []
            for _ in range(RUNS):  # interleaved, so machine load drifts hit both alike
                ours += time_command(ours_cmd, 1, env, pause=0.6)
                base += time_command(minimal, 1, env, pause=0.6)
            results[size] = (ours, base)
    ratio = 0.0
    for size, (ours, base) in results.items():
        print(describe(f"angelctl quote ({size} symbols) --json", ours))
        print(describe(f"minimal script ({size} tokens)", base))
        ratio = statistics.median(ours) / statistics.median(base)
        paired = statistics.median(o / b for o, b in zip(ours, base, strict=True))
        print(
            f"  at {size}: ratio of medians {ratio:.2f}; median of paired runs' ratios "
            f"{paired:.2f}; ratio of minimums {min(ours) / min(base):.2f}"
        )
    verdict = "ok" if ratio <= TARGET else "FAIL"
    print(f"ratio of medians at {SIZES[-1]} symbols: {ratio:.2f} (target <= {TARGET}) -> {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
