"""The kill-switch state machine (tests/risk/test_kill_stateful.py) run long, as a bench.

A second client trades the same account (positions, working orders with any tag, GTT rules),
faults bend the kill's requests, kills run with random scopes and some are killed -9 and run
again; the sandbox's books judge every verdict. Prints the seed, the steps executed and the
invariant violations (target 0).

Usage: python bench/kill_stateful.py [--examples 130] [--steps 10] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stateful import print_violations, run_machine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=130)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    extra: dict[str, str] = {}
    seed, result, elapsed, tail = run_machine(
        "tests/risk/test_kill_stateful.py",
        "KILL_MACHINE",
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
        f"kill-switch state machine: seed {seed}, {args.examples} examples x up to {args.steps} "
        f"rules, {result['steps']} steps in {elapsed:.0f} s, invariant violations "
        f"{len(violations)}"
        " (target 0)"
    )
    print_violations(violations)
    return 0 if not violations and result["steps"] >= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
