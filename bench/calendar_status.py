"""Figure: `angelctl calendar status` median wall time (target ≤ 100 ms), beside `python -c pass`.

Each run is a new process, from start to exit, as a user's shell pays it: the installed console
script with an empty config (fresh XDG folders, so the shipped holiday data and no profile).
The two commands alternate run by run after two warm-ups each, so the load of a shared machine
falls on both alike; the ratio is the figure that travels between machines.
"""

from __future__ import annotations

import statistics
import sys
import tempfile

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, describe, time_command

RUNS = 21
TARGET_MS = 100.0


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        env = {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/c",
            "XDG_STATE_HOME": f"{home}/s",
            "XDG_CACHE_HOME": f"{home}/k",
        }
        status = [*angelctl_cmd(), "calendar", "status"]
        bare = [sys.executable, "-c", "pass"]
        for cmd in (status, bare):
            time_command(cmd, 2, env)
        times: dict[str, list[float]] = {"status": [], "bare": []}
        for _ in range(RUNS):
            times["status"] += time_command(status, 1, env)
            times["bare"] += time_command(bare, 1, env)
    print(describe("angelctl calendar status", times["status"]))
    print(describe("python -c pass", times["bare"]))
    status_ms = statistics.median(times["status"]) * 1000
    ratio = statistics.median(times["status"]) / statistics.median(times["bare"])
    print(f"ratio of medians (calendar status / python -c pass): {ratio:.2f}")
    verdict = "ok" if status_ms <= TARGET_MS else "FAIL"
    print(f"target: median <= {TARGET_MS:.0f} ms -> {verdict}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
