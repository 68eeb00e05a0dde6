"""Figure: `angelctl --help` and `angelctl --version` median wall time (target ≤ 150 ms).

Runs the installed console script as a new process each time (what a user's shell pays),
after two warm-up runs, and checks that --help imported neither requests, aiohttp, the sandbox
nor rich.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, describe, time_command

RUNS = 30
TARGET_MS = 150.0


def main() -> int:
    cmd = angelctl_cmd()
    failed = False
    for args in (["--help"], ["--version"]):
        time_command(cmd + args, 2)
        times = time_command(cmd + args, RUNS)
        print(describe("angelctl " + " ".join(args), times))
        median_ms = statistics.median(times) * 1000
        failed |= median_ms > TARGET_MS
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "angelctl", "--help"],
        capture_output=True,
        text=True,
    ).stderr
    heavy = [
        m
        for m in ("requests", "aiohttp", "angelctl.sandbox", "rich", "keyring", "websocket")
        if f" {m}\n" in trace or f" {m}." in trace
    ]
    print(f"heavy modules imported by --help: {heavy or 'none'}")
    print(f"target: median <= {TARGET_MS:.0f} ms -> {'FAIL' if failed or heavy else 'ok'}")
    return 1 if failed or heavy else 0


if __name__ == "__main__":
    raise SystemExit(main())
