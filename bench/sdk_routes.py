"""Check (issue 16): the official SDK (smartapi-python 1.5.5), unmodified, against the sandbox:
``generateSession`` (login with a TOTP), then the market-data and margin routes issue 16 adds:
``getCandleData``, ``optionGreek``, ``getMarginApi``, and ``convertPosition`` on a position it
opened with ``placeOrder``. Each must answer ``status: true`` with data of the documented shape.

How: the SDK runs in its own virtual environment (the one ``decode_bench`` makes, default
``~/.cache/angelctl-bench/sdk-venv``; created from the package registry on first use) as a
separate process against one sandbox on loopback, ``SmartConnect(api_key, root=URL)``. Its
module looks up the public IP over the network when imported; offline, it logs the failure and
falls back, as it does for any user without internet. A few seconds once the venv exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import timedelta
from typing import Any

import pyotp
import requests

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from decode_bench import sdk_python

SDK_SCRIPT = r"""
import json, sys
from SmartApi.smartConnect import SmartConnect

url, api_key, client, mpin, totp, frm, to, expiry, price = sys.argv[1:]
sdk = SmartConnect(api_key=api_key, root=url)
out = {"login": sdk.generateSession(client, mpin, totp)}
out["getCandleData"] = sdk.getCandleData({"exchange": "NSE", "symboltoken": "3045",
    "interval": "ONE_HOUR", "fromdate": frm, "todate": to})
out["optionGreek"] = sdk.optionGreek({"name": "NIFTY", "expirydate": expiry})
out["getMarginApi"] = sdk.getMarginApi({"positions": [{"exchange": "NSE", "qty": 5,
    "price": 0, "productType": "INTRADAY", "token": "3045", "tradeType": "BUY",
    "orderType": "MARKET"}]})
order = sdk.placeOrderFullResponse({"variety": "NORMAL", "tradingsymbol": "SBIN-EQ",
    "symboltoken": "3045", "transactiontype": "BUY", "exchange": "NSE", "ordertype": "LIMIT",
    "producttype": "INTRADAY", "duration": "DAY", "price": price, "quantity": "5"})
out["placeOrder"] = order
out["convertPosition"] = sdk.convertPosition({"exchange": "NSE", "oldproducttype": "INTRADAY",
    "newproducttype": "DELIVERY", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045",
    "transactiontype": "BUY", "quantity": 5, "type": "DAY"})
print(json.dumps(out))
"""


def nearest_nifty_expiry(master: list[dict[str, Any]]) -> str:
    from datetime import datetime

    expiries = {
        datetime.strptime(r["expiry"], "%d%b%Y").date()
        for r in master
        if r.get("name") == "NIFTY" and r.get("instrumenttype") == "OPTIDX"
    }
    return min(expiries).strftime("%d%b%Y").upper()


def main() -> int:
    from angelctl.clock import IST
    from angelctl.sandbox import SandboxConfig, SandboxServer

    python = sdk_python()
    with SandboxServer(SandboxConfig(port=0)) as server, tempfile.TemporaryDirectory() as cwd:
        demo = server.engine.demo_account()
        master = requests.get(server.instruments_url, timeout=60).json()
        today = server.engine.clock.now().astimezone(IST).date()
        frm = f"{today - timedelta(days=6)} 09:15"
        to = f"{today - timedelta(days=1)} 15:30"
        ltp = server.engine.market_view("NSE", "3045")["quote"]["ltp"]
        marketable = f"{ltp + 5:.2f}"  # a BUY above the LTP fills at once
        args = [
            server.rest_url, demo["api_key"], demo["client_code"], demo["mpin"],
            pyotp.TOTP(demo["totp_secret"]).now(), frm, to, nearest_nifty_expiry(master),
            marketable,
        ]  # fmt: skip
        proc = subprocess.run(
            [str(python), "-c", SDK_SCRIPT, *args],
            capture_output=True, text=True, cwd=cwd, timeout=120,
        )  # fmt: skip
    if proc.returncode:
        raise SystemExit(f"the SDK failed: {proc.stderr[-1500:]}")
    answers = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = False
    for route, answer in answers.items():
        ok = isinstance(answer, dict) and answer.get("status") is True
        data = answer.get("data") if isinstance(answer, dict) else None
        shape = {
            "getCandleData": lambda d: isinstance(d, list) and d and len(d[0]) == 6,
            "optionGreek": lambda d: isinstance(d, list) and d and "impliedVolatility" in d[0],
            "getMarginApi": lambda d: isinstance(d, dict) and "totalMarginRequired" in d,
            "placeOrder": lambda d: isinstance(d, dict) and d.get("orderid"),
            "convertPosition": lambda d: d is None,
        }.get(route, lambda d: True)(data)
        failed |= not (ok and shape)
        size = f"{len(data)} rows" if isinstance(data, list) else type(data).__name__
        print(f"{route:16} status={answer.get('status')!s:5} data: {size:12} "
              f"{'ok' if ok and shape else 'FAILED: ' + json.dumps(answer)[:300]}")  # fmt: skip
    print("official SDK smartapi-python 1.5.5, unmodified, against the sandbox: "
          + ("every route answered as documented" if not failed else "FAILURES above"))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
