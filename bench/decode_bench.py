"""Figure: tick decode throughput (packets/s), angelctl's ``feed.decode`` vs the official SDK's
``SmartWebSocketV2._parse_binary_data``, on the same LTP and SNAP_QUOTE packets
(targets: ≥ 5× the SDK on LTP, ≥ 10× on SNAP_QUOTE), and the fraction of a bare decoder that
only calls the mode's precompiled ``struct.unpack_from`` (no checks, no tick object) — the
ceiling of a pure-Python decoder.

How it is measured: 1,000 packets per mode (200 tokens, varied prices and books, built with
``feed.encode`` from the values of a real SNAP_QUOTE capture) are decoded in a loop; each side
reports the best of ``ROUNDS`` rounds of ``PASSES`` passes over the list, and the two sides
take turns ``ALTERNATIONS`` times (so a burst of load from other processes hits both). The SDK
runs in its own interpreter — a separate virtual environment (default
``~/.cache/angelctl-bench/sdk-venv``, override with ``ANGELCTL_BENCH_SDK_VENV``) holding
``smartapi-python`` and the two packages it imports without declaring (``websocket-client``,
``logzero``); the script creates it with the same Python on first use, from the package
registry. The SDK module is loaded from its file so that ``SmartApi/__init__`` (which looks up
the public IP over the network) does not run, and the SDK parser's output is checked against
ours before timing. angelctl's own environment never has the SDK installed.

Run time: well under 60 s once the SDK environment exists (the first run adds the install).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from angelctl.feed.decode import decode
from angelctl.feed.encode import encode
from angelctl.feed.layout import LTP_STRUCT, SNAP_STRUCT
from angelctl.feed.ticks import DepthLevel, LtpTick, SnapQuoteTick

PACKETS = 1000
TOKENS = 200
ROUNDS = 5
ALTERNATIONS = 3  # ours, then the SDK, three times over; each side keeps its best
PASSES = 20
TARGETS = {"LTP": 5.0, "SNAP_QUOTE": 10.0}
BARE = {"LTP": LTP_STRUCT.unpack_from, "SNAP_QUOTE": SNAP_STRUCT.unpack_from}
SDK_PACKAGES = ["smartapi-python==1.5.5", "websocket-client", "logzero"]
DEFAULT_VENV = Path.home() / ".cache" / "angelctl-bench" / "sdk-venv"

SDK_TIMER = r"""
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("sdk_ws2", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
parser = module.SmartWebSocketV2("jwt", "key", "client", "feed")
packets = json.load(open(sys.argv[2]))
rounds, passes = int(sys.argv[3]), int(sys.argv[4])
out = {}
for mode, hexes in packets.items():
    data = [bytes.fromhex(h) for h in hexes]
    parse = parser._parse_binary_data
    first = parse(data[0])
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(passes):
            for packet in data:
                parse(packet)
        best = min(best, time.perf_counter() - started)
    out[mode] = {"rate": len(data) * passes / best, "ltp": first["last_traded_price"],
                 "token": first["token"]}
print(json.dumps(out))
"""


def build_packets() -> dict[str, list[bytes]]:
    """LTP and SNAP_QUOTE packets around the INFY SNAP_QUOTE of 26-Dec-2024 (realdata)."""
    ltp: list[bytes] = []
    snap: list[bytes] = []
    for i in range(PACKETS):
        token = str(1000 + i % TOKENS)
        price = 190735 + (i * 37) % 2000 - 1000
        ts = 1735201464000 + i * 250
        ltp.append(encode(LtpTick(1, 1, token, 12109948 + i, ts, price)))
        bids = tuple(DepthLevel(2 + j * 7 + i % 5, price - 5 * (j + 1), 1 + j) for j in range(5))
        asks = tuple(DepthLevel(43 + j * 11 + i % 3, price + 5 * j, 2 + j) for j in range(5))
        tick = SnapQuoteTick(
            3, 1, token, 12109948 + i, ts, price, 3, 190899, 2129562 + i, 224305.0, 246078.0,
            190905, 191975, 190230, 190905, ts // 1000, 78268800, 0.4687,
            bids, asks, 209995, 171815, 200645, 135835,
        )  # fmt: skip
        snap.append(encode(tick))
    return {"LTP": ltp, "SNAP_QUOTE": snap}


def time_ours(packets: list[bytes], fn: Callable[[bytes], object] = decode) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(PASSES):
            for packet in packets:
                fn(packet)
        best = min(best, time.perf_counter() - started)
    return len(packets) * PASSES / best


def sdk_python() -> Path:
    venv = Path(os.environ.get("ANGELCTL_BENCH_SDK_VENV", DEFAULT_VENV))
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import websocket, logzero, importlib.metadata as m; "
             "print(m.version('smartapi-python'))"]  # fmt: skip
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating the SDK environment in {venv} (one-off) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *SDK_PACKAGES],
        check=True,
    )
    return python


def sdk_module(python: Path) -> str:
    code = (
        "import importlib.util as u; "
        "print(u.find_spec('SmartApi').submodule_search_locations[0] + '/smartWebSocketV2.py')"
    )
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def _time_sdk(python: Path, module: str, packet_file: Path, scratch: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(python), "-c", SDK_TIMER, module, str(packet_file), str(ROUNDS), str(PASSES)],
        capture_output=True,
        text=True,
        cwd=scratch,
        timeout=120,
    )
    if proc.returncode:
        raise SystemExit(f"SDK timing failed: {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    packets = build_packets()
    python = sdk_python()
    module = sdk_module(python)
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('smartapi-python'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours: dict[str, float] = dict.fromkeys(packets, 0.0)
    bare: dict[str, float] = dict.fromkeys(packets, 0.0)
    sdk: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:  # the SDK writes logs/ into its cwd
        packet_file = Path(scratch) / "packets.json"
        packet_file.write_text(json.dumps({m: [p.hex() for p in d] for m, d in packets.items()}))
        for _ in range(ALTERNATIONS):  # a load burst on a shared machine hits both sides
            for mode, data in packets.items():
                ours[mode] = max(ours[mode], time_ours(data))
                bare[mode] = max(bare[mode], time_ours(data, BARE[mode]))
            for mode, result in _time_sdk(python, module, packet_file, scratch).items():
                if mode not in sdk or result["rate"] > sdk[mode]["rate"]:
                    sdk[mode] = result
    print(
        f"decode throughput, {PACKETS} packets x {PASSES} passes, best of {ROUNDS} rounds x "
        f"{ALTERNATIONS} alternations; "
        f"Python {sys.version.split()[0]}; SDK smartapi-python {version} in {python.parent.parent}"
    )
    failed = False
    for mode, data in packets.items():
        check = decode(data[0])
        assert isinstance(check, LtpTick)
        if sdk[mode]["ltp"] != check.ltp_raw or sdk[mode]["token"] != check.token:
            raise SystemExit(f"{mode}: the SDK and angelctl disagree on the first packet")
        ratio = ours[mode] / sdk[mode]["rate"]
        ok = ratio >= TARGETS[mode]
        failed |= not ok
        print(
            f"{mode:<11} angelctl {ours[mode]:>12,.0f} pkt/s   SDK {sdk[mode]['rate']:>10,.0f} "
            f"pkt/s   ratio {ratio:5.1f}x (target >= {TARGETS[mode]:.0f}x: "
            f"{'pass' if ok else 'FAIL'})"
        )
        print(
            f"{'':<11} bare struct.unpack_from {bare[mode]:>12,.0f} pkt/s: angelctl reaches "
            f"{100 * ours[mode] / bare[mode]:.0f} % of it"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
