"""The order-path state machine (tests/orders/test_outcomes_stateful.py) run long, as a bench.

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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stateful import print_violations, run_machine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--break", dest="broken", action="store_true")
    args = parser.parse_args()
    extra = {"ORDER_MACHINE_GATEWAY": "3"} if args.broken else {}
    seed, result, elapsed, tail = run_machine(
        "tests/orders/test_outcomes_stateful.py",
        "ORDER_MACHINE",
        examples=args.examples,
        steps=args.steps,
        seed=args.seed,
        extra_env=extra,
    )
    if result is None:
        print(tail)
        return 1
    violations = result["violations"]
    print(
        f"order-path state machine: seed {seed}, {args.examples} examples x up to {args.steps} "
        f"rules, {result['steps']} steps in {elapsed:.0f} s, invariant violations "
        f"{len(violations)}" + (" (--break: expected > 0)" if args.broken else " (target 0)")
    )
    if "exits" in result:
        print(f"  place exit codes seen: {result['exits']}")
    print_violations(violations)
    if args.broken:
        return 0 if violations else 1
    return 0 if not violations and result["steps"] >= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
