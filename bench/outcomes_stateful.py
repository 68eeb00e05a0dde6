"""The order-path state machine (tests/test_outcomes_stateful.py) run long, as a bench.

Runs the Hypothesis state machine against a fresh sandbox for EXAMPLES x STEPS rules (every
rule counts: places, kill -9 placers, faults armed, time passing, reconciles) and prints the
seed, the steps executed and the invariant violations judged by the sandbox's book (target 0).
``--break`` sets the sandbox's gateway timeout above the profile's settle_after, a
misconfiguration under which orders do land after being settled as not placed: the run must
then report violations, which shows the invariants bite.

Usage: python bench/outcomes_stateful.py [--examples 100] [--steps 25] [--seed N] [--break]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--break", dest="broken", action="store_true")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {
            **os.environ,
            "ORDER_MACHINE_EXAMPLES": str(args.examples),
            "ORDER_MACHINE_STEPS": str(args.steps),
            "ORDER_MACHINE_REPORT": str(report),
        }
        if args.broken:
            env["ORDER_MACHINE_GATEWAY"] = "3"
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--hypothesis-seed={seed}",
                "tests/test_outcomes_stateful.py",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        if not report.exists():
            print(proc.stdout[-3000:], proc.stderr[-2000:])
            return 1
        result = json.loads(report.read_text())
    violations = result["violations"]
    print(
        f"order-path state machine: seed {seed}, {args.examples} examples x up to {args.steps} "
        f"rules, {result['steps']} steps in {elapsed:.0f} s, invariant violations "
        f"{len(violations)}{' (--break: expected > 0)' if args.broken else ' (target 0)'}"
    )
    for violation in violations[:3]:
        print("  violation:", violation["violation"][:300])
        print("  after:", " | ".join(violation["steps"][-6:])[:600])
    if args.broken:
        return 0 if violations else 1
    return 0 if not violations and result["steps"] >= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
