"""The kill-switch state machine (tests/test_kill_stateful.py) run long, as a bench.

A second client trades the same account (positions, working orders with any tag, GTT rules),
faults bend the kill's requests, kills run with random scopes and some are killed -9 and run
again; the sandbox's books judge every verdict. Prints the seed, the steps executed and the
invariant violations (target 0).

Usage: python bench/kill_stateful.py [--examples 130] [--steps 10] [--seed N]
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
    parser.add_argument("--examples", type=int, default=130)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {
            **os.environ,
            "KILL_MACHINE_EXAMPLES": str(args.examples),
            "KILL_MACHINE_STEPS": str(args.steps),
            "KILL_MACHINE_REPORT": str(report),
        }
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
                "tests/test_kill_stateful.py",
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
        f"kill-switch state machine: seed {seed}, {args.examples} examples x up to {args.steps} "
        f"rules, {result['steps']} steps in {elapsed:.0f} s, invariant violations "
        f"{len(violations)} (target 0)"
    )
    for violation in violations[:3]:
        print("  violation:", violation["violation"][:300])
        print("  after:", " | ".join(violation["steps"][-6:])[:600])
    return 0 if not violations and result["steps"] >= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
