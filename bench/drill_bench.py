"""The drill's figure (issue 16): ``killswitch --drill`` reports time to flat and slippage, and
repeated on the same scenario and seed the report is identical.

For each shipped scenario (``angelctl/drills/*.toml``) ``angelctl killswitch --drill FILE
--json`` runs twice as a real process (a fresh user under a temporary HOME each time), then once
more with the seed plus one. We print the simulated time to flat, the total slippage (rupees,
positive = cost), the requests the kill made, the wall time of each run, whether the two
same-seed reports are byte-for-byte identical (the whole JSON document, nothing excluded), and
whether the other seed changed it. Exit 1 when any same-seed pair differs.

Usage: ``.venv/bin/python bench/drill_bench.py`` (well under a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from _util import angelctl_cmd, user_env  # noqa: E402


def drill(scenario: Path, seed: int | None = None) -> tuple[bytes, float, int]:
    """(stdout, wall seconds, exit status) of one drill as a process."""
    args = [*angelctl_cmd(), "killswitch", "--drill", str(scenario), "--json"]
    if seed is not None:
        args += ["--seed", str(seed)]
    with tempfile.TemporaryDirectory(prefix="angelctl-drill-bench-") as home:
        started = time.perf_counter()
        done = subprocess.run(
            args, capture_output=True, env=user_env(home), cwd=REPO, timeout=120, check=False
        )
        return done.stdout, time.perf_counter() - started, done.returncode


def main() -> int:
    scenarios = sorted((REPO / "angelctl" / "drills").glob("*.toml"))
    print("killswitch --drill: two runs per scenario, same seed; a third with seed + 1")
    print("(time to flat is simulated time; wall is the whole process, sandbox included)\n")
    all_identical = True
    for scenario in scenarios:
        first, wall1, code1 = drill(scenario)
        second, wall2, code2 = drill(scenario)
        doc = json.loads(first)
        other, _, _ = drill(scenario, doc["scenario"]["seed"] + 1)
        identical = first == second
        all_identical &= identical
        flat = doc["time_to_flat_seconds"]
        print(f"{scenario.name}  (seed {doc['scenario']['seed']}, exit {code1}/{code2})")
        print(f"  time to flat      {flat:.2f} s simulated" if flat is not None else "  NOT flat")
        print(f"  total slippage    ₹{doc['total_slippage_rupees']} (positive = cost)")
        for leg in doc["legs"]:
            print(
                f"    {leg['symbol']:<26} {leg['start_qty']:>6}  ref {leg['reference_price']:>10}"
                f"  fill {leg['fill_price']:>12}  {leg['slippage_ticks']:>7} ticks"
                f"  ₹{leg['slippage_rupees']}"
            )
        print(f"  requests          {len(doc['requests'])}  faults fired {doc['faults_fired']}")
        print(f"  wall              {wall1:.2f} s, {wall2:.2f} s")
        print(f"  identical: {'yes' if identical else 'no'} ({len(first)} bytes)")
        print(f"  seed + 1 differs: {'yes' if other != first else 'no'}\n")
    return 0 if all_identical else 1


if __name__ == "__main__":
    sys.exit(main())
