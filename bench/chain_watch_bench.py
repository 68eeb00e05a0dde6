"""``chain NIFTY --strikes 20 --watch`` at the sandbox's full tick rate: repaint latency after a
tick and the client's CPU (issue 16's figures: repaint ≤ 250 ms, CPU < 30 % of one core).

The sandbox runs in its own process (``bench/_feed.py``); the chain runs as ``python -m angelctl``
on a pseudo-terminal of 160 × 60 (output drained as a terminal would), logged in to the sandbox
in a throwaway HOME, subscribed to 83 tokens (41 strikes × CE/PE and the index) in SNAP_QUOTE
mode at ``--rate`` ticks/s each. Latency: with ``ANGELCTL_CHAIN_TRACE`` the client appends, for
every repaint a tick caused, the monotonic time the first unpainted tick arrived and the time the
frame had been written to the terminal; the figure is painted − arrived over the measured
window (median, 95th percentile, max). CPU is the child's utime + stime from /proc over the
same window, as % of one core. Each ``--rates`` value is one run.

Usage: python bench/chain_watch_bench.py [--seconds 20] [--rates 2,10,50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _feed import (
    REPO,
    admin,
    drain_pty,
    process_cpu_seconds,
    sandbox_process,
    spawn_on_pty,
    stop_on_pty,
)

WARM_UP_S = 5.0
COLUMNS, LINES = 160, 60
COMMAND = ["chain", "NIFTY", "--strikes", "20", "--watch"]


def _login(info: dict[str, Any], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "angelctl", "login", "--sandbox", "--url", info["rest_url"]]
    subprocess.run(
        [*cmd, "--admin-token-stdin"], input=info["admin_token"], text=True, env=env,
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


def _run(env: dict[str, str], trace: Path, seconds: float) -> tuple[float, list[float], float]:
    """(CPU % of one core, latencies in ms, measured seconds) of one run."""
    pid, fd = spawn_on_pty(REPO, COMMAND, env, LINES, COLUMNS)
    try:
        drain_pty(fd, WARM_UP_S)
        cpu0, start = process_cpu_seconds(pid), time.monotonic()
        drain_pty(fd, seconds)
        end = time.monotonic()
        cpu = 100 * (process_cpu_seconds(pid) - cpu0) / (end - start)
    finally:
        stop_on_pty(pid, fd)
    latencies = []
    for line in trace.read_text().splitlines():
        arrived, painted = (float(x) for x in line.split())
        if start <= painted <= end:  # the child's monotonic clock is this one (one machine)
            latencies.append(1000 * (painted - arrived))
    return cpu, latencies, end - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rates", default="2,10,50")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    with sandbox_process() as info, tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        _login(info, env)
        print(
            f"{' '.join(COMMAND)} on a {COLUMNS}x{LINES} pty, 83 SNAP_QUOTE tokens, "
            f"{args.seconds:g} s measured after {WARM_UP_S:g} s warm-up, one run per rate"
        )
        for rate in rates:
            admin(info, "POST", "config", feed_ticks_per_second=rate)
            trace = Path(scratch) / f"trace-{rate:g}"
            trace.touch()
            cpu, lat, took = _run({**env, "ANGELCTL_CHAIN_TRACE": str(trace)}, trace, args.seconds)
            lat.sort()
            p95 = lat[int(0.95 * (len(lat) - 1))] if lat else 0.0
            print(
                f"  {rate:g} ticks/s a token ({83 * rate:,.0f} ticks/s): CPU {cpu:.1f} % of one "
                f"core; {len(lat)} repaints ({len(lat) / took:.1f}/s), tick→painted ms median "
                f"{statistics.median(lat) if lat else 0:.0f}, p95 {p95:.0f}, max "
                f"{max(lat) if lat else 0:.0f}"
            )


if __name__ == "__main__":
    main()
