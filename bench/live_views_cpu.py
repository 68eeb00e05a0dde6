"""CPU of the live views on a terminal: ``stream`` at the sandbox's full tick rate, this tree
against a baseline tree side by side, and ``positions --watch`` at idle.

The sandbox runs in its own process (``bench/_feed.py``); each view runs as ``python -m angelctl``
on a pseudo-terminal of 120 × 40 (output drained as a terminal would), logged in to the sandbox
in a throwaway HOME. CPU is the child's utime + stime from /proc over the measured window, as %
of one core. ``stream`` runs ``--tokens`` instruments in QUOTE mode at ``--rate`` ticks/s each
(the feed_e2e load: 1 000 × 10 = 10 000 ticks/s); the runs alternate baseline / this tree
(``--rounds`` each) so the machine's load falls on both alike, and the figure is the ratio of
the medians. ``positions --watch 5`` holds one open position while the sandbox ticks at its
default rate: the cost of leaving it open.

The baseline is ``git archive`` of ``--baseline-ref`` (default: the merge base with main)
extracted to a temporary folder; both runs use this interpreter, each from its own tree.

Usage: python bench/live_views_cpu.py [--seconds 20] [--rounds 2] [--tokens 1000] [--rate 10]
                                      [--baseline-ref REF]
"""

from __future__ import annotations

import argparse
import os
import re
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
RATES: list[int] = []  # the ticks/s each stream run's status line showed last
COLUMNS, LINES = 120, 40


def _login(info: dict[str, Any], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "angelctl", "login", "--sandbox", "--url", info["rest_url"]]
    subprocess.run(
        [*cmd, "--admin-token-stdin"],
        input=info["admin_token"],
        text=True,
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def _baseline(ref: str, into: str) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return Path(into)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--baseline-ref", default="")
    args = parser.parse_args()
    ref = (
        args.baseline_ref
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as base_dir, sandbox_process() as info:
        baseline = _baseline(ref, base_dir)
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        _login(info, env)
        rows = admin(info, "GET", "instruments")["rows"][: args.tokens]
        symbols = [f"{row['exch_seg']}:{row['token']}" for row in rows]
        stream = ["stream", *symbols, "--mode", "quote"]
        place = [sys.executable, "-m", "angelctl", "order", "place", "BUY", "SBIN", "--yes"]
        admin(info, "POST", "config", feed_ticks_per_second=args.rate)
        figures: dict[str, list[float]] = {"baseline": [], "this tree": []}
        for _ in range(args.rounds):
            for name, tree in (("baseline", baseline), ("this tree", REPO)):
                figures[name].append(_measure_drained(tree, stream, env, args.seconds))
        admin(info, "POST", "config", feed_ticks_per_second=2)
        admin(info, "POST", "market/freeze", frozen=True)
        admin(info, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
        subprocess.run(
            [*place, "--qty", "1", "--price", "800"],
            env=env,
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        idle = _measure_drained(REPO, ["positions", "--watch", "5"], env, args.seconds)
    base, mine = statistics.median(figures["baseline"]), statistics.median(figures["this tree"])
    print(
        f"stream on a {COLUMNS}x{LINES} pty, {len(symbols)} tokens x {args.rate:g} QUOTE ticks/s, "
        f"{args.rounds} alternating rounds of {args.seconds:g} s after {WARM_UP_S:g} s warm-up"
    )
    print(f"  baseline ({ref[:10]}) CPU % of one core: {_list(figures['baseline'])}")
    print(f"  this tree CPU % of one core:             {_list(figures['this tree'])}")
    print(f"  median {mine:.1f} % vs {base:.1f} %: ratio {mine / base if base else 0:.2f}")
    print(f"  ticks/s on the status line at the end of each run: {RATES[: 2 * args.rounds]}")
    print(f"positions --watch 5, one open position, {args.seconds:g} s: {idle:.1f} % of one core")


def _measure_drained(tree: Path, args: list[str], env: dict[str, str], seconds: float) -> float:
    """% of one core the view used over ``seconds`` after the warm-up; the last ticks/s its
    status line showed goes to ``RATES``."""
    pid, fd = spawn_on_pty(tree, args, env, LINES, COLUMNS)
    try:
        drain_pty(fd, WARM_UP_S)
        cpu0, start = process_cpu_seconds(pid), time.monotonic()
        tail = drain_pty(fd, seconds)
        rates = re.findall(rb"([\d,]+) ticks/s", tail)
        RATES.append(int(rates[-1].replace(b",", b"")) if rates else 0)
        return 100 * (process_cpu_seconds(pid) - cpu0) / (time.monotonic() - start)
    finally:
        stop_on_pty(pid, fd)


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
