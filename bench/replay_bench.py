"""Replay figure: a recording of >= 100k frames replayed at --speed 10 reaches real
`angelctl stream --json` processes with 0 frames lost, reordered or changed.

    python bench/replay_bench.py [--frames 100000] [--seconds 800] [--speed 10]

How it is measured: ``bench/make_recording.py synthetic`` writes the recording (12 NSE stocks of
the sandbox's universe, a third each in LTP, QUOTE and SNAP_QUOTE mode, frames evenly spread
over ``--seconds`` of recording time). The sandbox runs in this process replaying it (held), and
three ``angelctl stream NSE:TOKEN… --mode M --json --count N`` processes (one per mode, each
logged in to the sandbox's demo account) subscribe; once the sandbox sees all subscriptions the
replay starts. Each process's NDJSON is compared, line by line, with the recording's frames of
its mode decoded by the same decoder (``feed.decode``) and rendered by the same
``render.stream_json.tick_json``: lost = expected lines never printed, reordered = lines that
came before one recorded earlier, mismatched = lines that differ from the recorded frame with
the same token and sequence number. The time is from the replay's start to the last process's
exit (the recording's span / speed is the floor). Bounded: each stream process gets
span / speed + 60 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from _util import angelctl_cmd, sandbox_admin, user_env  # noqa: E402
from make_recording import synthetic  # noqa: E402

from angelctl.feed.decode import decode  # noqa: E402
from angelctl.feed.recording import read_recording  # noqa: E402
from angelctl.render.stream_json import tick_json  # noqa: E402

MODES = {1: "ltp", 2: "quote", 3: "snap"}


def compare(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> dict[str, int]:
    index = {(d["token"], d["sequence"]): i for i, d in enumerate(expected)}
    lost = len(expected) - len(got)
    reordered = mismatched = 0
    last = -1
    for doc in got:
        i = index.get((doc["token"], doc["sequence"]))
        if i is None or doc != expected[i]:
            mismatched += 1
            continue
        if i < last:
            reordered += 1
        last = max(last, i)
    return {"lost": max(lost, 0), "reordered": reordered, "mismatched": mismatched}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=800.0)
    parser.add_argument("--speed", type=float, default=10.0)
    args = parser.parse_args()

    from angelctl.sandbox import ReplaySource, SandboxConfig, SandboxServer

    with tempfile.TemporaryDirectory(prefix="angelctl-replay-") as home:
        path = Path(home) / "bench.rec"
        made = time.perf_counter()
        size = synthetic(path, args.frames, args.seconds, 12)
        recording = read_recording(path)
        symbols = {i["token"]: i["symbol"] for i in recording.header["instruments"]}
        expected: dict[int, list[dict[str, Any]]] = {m: [] for m in MODES}
        tokens: dict[int, set[str]] = {m: set() for m in MODES}
        for record in recording.frames:
            tick = decode(record.payload)
            expected[tick.mode].append(tick_json(tick, symbols[tick.token]))
            tokens[tick.mode].add(tick.token)
        print(
            f"recording: {len(recording.frames):,} frames, {size:,} bytes, "
            f"{args.seconds:g} s of recording time (made in {time.perf_counter() - made:.1f} s)"
        )

        source = ReplaySource(path, speed=args.speed, hold=True)
        config = SandboxConfig(port=0, rate_limit_enabled=False)
        with SandboxServer(config, replay=source) as server:
            env, cmd = user_env(home), angelctl_cmd()
            login = [*cmd, "login", "--sandbox", "--url", server.rest_url, "--admin-token-stdin"]
            subprocess.run(
                login, env=env, input=server.admin_token, text=True, check=True, capture_output=True
            )
            bound = args.seconds / args.speed + 60
            procs = {}
            for mode, name in MODES.items():
                out = open(Path(home) / f"{name}.ndjson", "w")  # noqa: SIM115 - closed below
                symbols_arg = [f"NSE:{t}" for t in sorted(tokens[mode])]
                stream = [
                    *cmd,
                    "stream",
                    *symbols_arg,
                    "--mode",
                    name,
                    "--json",
                    "--count",
                    str(len(expected[mode])),
                    "--duration",
                    str(bound),
                ]
                procs[mode] = (
                    subprocess.Popen(
                        stream, env=env, stdout=out, stderr=subprocess.PIPE, text=True
                    ),
                    out,
                )
            want = sum(len(t) for t in tokens.values())
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # a bench may poll: wait for every subscription
                stats = sandbox_admin(server.rest_url, server.admin_token, "GET", "ws")
                subs = sum(len(c["subscriptions"]) for c in stats["smartStream"]["connections"])
                if subs == want:
                    break
                time.sleep(0.1)
            started = time.perf_counter()
            server.engine.replay_start()
            for proc, out in procs.values():
                proc.wait(bound + 30)
                out.close()
            elapsed = time.perf_counter() - started
            status = server.engine.replay_status() or {}

        total = {"received": 0, "lost": 0, "reordered": 0, "mismatched": 0}
        for mode, name in MODES.items():
            lines = (Path(home) / f"{name}.ndjson").read_text().splitlines()
            got = [json.loads(line) for line in lines if line.strip()]
            result = compare(expected[mode], got)
            total["received"] += len(got)
            for key in ("lost", "reordered", "mismatched"):
                total[key] += result[key]
            print(
                f"  {name:5} {len(tokens[mode])} tokens: expected {len(expected[mode]):,}, "
                f"received {len(got):,}, lost {result['lost']}, reordered {result['reordered']},"
                f" mismatched {result['mismatched']}"
            )
        print(
            f"replay at --speed {args.speed:g}: frames sent {status.get('frames_due', 0):,} / "
            f"{len(recording.frames):,}, received {total['received']:,}, lost {total['lost']}, "
            f"reordered {total['reordered']}, mismatched {total['mismatched']}; "
            f"{elapsed:.1f} s (floor {args.seconds / args.speed:.1f} s)"
        )
        ok = total["lost"] == total["reordered"] == total["mismatched"] == 0
        return 0 if ok and total["received"] == len(recording.frames) else 1


if __name__ == "__main__":
    raise SystemExit(main())
