"""Figure: `angelctl --help` and `angelctl --version` median wall time beside `python -c pass`
(targets: median ≤ 100 ms and ≤ 3× `python -c pass` in the same run).

Runs the installed console script as a new process each time (what a user's shell pays),
after two warm-up runs; the three commands alternate run by run, so the load of a shared machine
falls on all alike. Also checks that --help imported neither the CLI framework (Typer, Click,
rich), nor requests, aiohttp, the sandbox, keyring or the WebSocket client.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import angelctl_cmd, describe, time_command

RUNS = 31
TARGET_MS = 100.0
TARGET_RATIO = 3.0
HEAVY = (
    "typer",
    "click",
    "rich",
    "requests",
    "aiohttp",
    "angelctl.sandbox",
    "keyring",
    "websocket",
)


def main() -> int:
    cmd = angelctl_cmd()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "angelctl --help": [*cmd, "--help"],
        "angelctl --version": [*cmd, "--version"],
    }
    env = {"COLUMNS": "100"}
    for argv in commands.values():
        time_command(argv, 2, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, argv in commands.items():
            times[name] += time_command(argv, 1, env)
    base = statistics.median(times["python -c pass"]) * 1000
    failed = False
    for name, measured in times.items():
        median_ms = statistics.median(measured) * 1000
        line = describe(name, measured)
        if name != "python -c pass":
            ratio = median_ms / base
            line += f"   {ratio:.2f}× python -c pass"
            failed |= median_ms > TARGET_MS or ratio > TARGET_RATIO
        print(line)
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "angelctl", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "100", "PATH": ""},
    ).stderr
    heavy = [m for m in HEAVY if f" {m}\n" in trace or f" {m}." in trace]
    print(f"heavy modules imported by --help: {heavy or 'none'}")
    verdict = "FAIL" if failed or heavy else "ok"
    targets = f"median <= {TARGET_MS:.0f} ms and <= {TARGET_RATIO:g}x python -c pass"
    print(f"targets: {targets} -> {verdict}")
    return 1 if failed or heavy else 0


if __name__ == "__main__":
    raise SystemExit(main())
