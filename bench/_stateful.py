"""Running a Hypothesis state machine test as a bench: more examples, a printed seed, and the
report its test writes (steps executed, invariant violations with the steps before them)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run_machine(
    test_file: str,
    prefix: str,
    *,
    examples: int,
    steps: int,
    seed: int | None,
    extra_env: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any] | None, float, str]:
    """(seed, the test's report or None, seconds, pytest's output tail)."""
    seed = seed if seed is not None else random.randrange(2**32)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {
            **os.environ,
            f"{prefix}_EXAMPLES": str(examples),
            f"{prefix}_STEPS": str(steps),
            f"{prefix}_REPORT": str(report),
            **(extra_env or {}),
        }
        started = time.monotonic()
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        proc = subprocess.run(
            [*pytest, f"--hypothesis-seed={seed}", test_file],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        result = json.loads(report.read_text()) if report.exists() else None
    return seed, result, elapsed, proc.stdout[-3000:] + proc.stderr[-2000:]


def print_violations(violations: list[dict[str, Any]]) -> None:
    for violation in violations[:3]:
        print("  violation:", violation["violation"][:300])
        print("  after:", " | ".join(violation["steps"][-6:])[:600])
