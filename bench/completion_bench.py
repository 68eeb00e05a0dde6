"""Shell completion at a real-size instrument master (issue 15, item 8).

    python bench/completion_bench.py [--rows 150000] [--runs 21]

Writes a master in the real format (``make_master.py``, ~155 K rows like the real file), syncs
it into a throw-away HOME, then times whole ``angelctl`` processes as bash's completion function
runs them (``_ANGELCTL_COMPLETE=complete_bash`` with ``COMP_WORDS``/``COMP_CWORD``):

- symbol completion (the fast path: ranked candidates from the index, no CLI framework) for
  prefixes from one letter to a full underlying, and ``SBX`` (the 130 K synthetic cash rows:
  past the ranking limit, cut by name): median wall (target ≤ 150 ms each);
- side by side in the same rounds: ``angelctl --version`` (the interpreter's start, the floor)
  and a fixed-value completion through the command tree (``order place BUY SBIN --type``);
- in-process ``complete_symbols`` per prefix (the index's share), and how many rows matched.

Rounds alternate the commands, so machine load hits each alike. About a minute.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe

PREFIXES = ("N", "NIFTY", "NIFTY0", "BANKNIFTY", "SBI", "RELIANCE", "USDINR", "SBX")
TARGET = 0.150


def _env(home: str) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/c",
        "XDG_STATE_HOME": f"{home}/s",
        "XDG_CACHE_HOME": f"{home}/k",
        "ANGELCTL_INSTRUMENTS_URL": "http://127.0.0.1:9",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _bash(line: str) -> dict[str, str]:
    return {
        "_ANGELCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split(" ")) - 1),
    }


def _once(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr[-500:]}")
    return wall, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=21)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        master = Path(home) / "OpenAPIScripMaster.json"
        maker = str(Path(__file__).with_name("make_master.py"))
        subprocess.run([sys.executable, maker, str(master), "--rows", str(opts.rows)], check=True)
        env = _env(home)
        sync = [*angelctl_cmd(), "instruments", "sync", "--file", str(master), "--json"]
        subprocess.run(sync, env=env, check=True, capture_output=True)
        index = Path(home) / "k" / "angelctl" / "instruments.sqlite3"
        db = sqlite3.connect(index)
        rows = db.execute("SELECT count(*) FROM contracts").fetchone()[0]
        print(f"master: {rows} rows in the index ({index.stat().st_size / 1e6:.0f} MB)")

        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "angelctl --version (floor)": ([*angelctl_cmd(), "--version"], env),
            "tree: order place BUY SBIN --type": (
                angelctl_cmd(),
                {**env, **_bash("angelctl order place BUY SBIN --type ")},
            ),
        }
        for prefix in PREFIXES:
            line = f"angelctl quote {prefix}"
            cases[f"symbol {prefix!r}"] = (angelctl_cmd(), {**env, **_bash(line)})
        times: dict[str, list[float]] = {name: [] for name in cases}
        answers: dict[str, str] = {}
        for name, (cmd, case_env) in cases.items():  # warm-up: bytecode, page cache
            answers[name] = _once(cmd, case_env)[1]
        for _ in range(opts.runs):
            for name, (cmd, case_env) in cases.items():
                times[name].append(_once(cmd, case_env)[0])

        floor = statistics.median(times["angelctl --version (floor)"])
        failures = []
        for name, measured in times.items():
            ratio = statistics.median(measured) / floor
            shown = answers[name].split("\n")
            first = f"  first: {shown[0]!r} ({len(shown)} offered)" if "symbol" in name else ""
            print(f"{describe(name, measured)}  ×{ratio:.2f} of --version{first}")
            if name.startswith("symbol") and statistics.median(measured) > TARGET:
                failures.append(name)

        os.environ.update({k: v for k, v in env.items() if k.startswith("XDG_")})
        from angelctl.instruments.complete import complete_symbols

        for prefix in PREFIXES:
            upper = prefix.upper()
            matched = db.execute(
                "SELECT count(*) FROM contracts WHERE usym >= ? AND usym < ?",
                (upper, upper + "\uffff"),
            ).fetchone()[0]
            spent = []
            for _ in range(opts.runs):
                started = time.perf_counter()
                complete_symbols(index, prefix)
                spent.append(time.perf_counter() - started)
            print(
                f"in-process complete_symbols({prefix!r}): median "
                f"{statistics.median(spent) * 1000:6.1f} ms over {matched} matching rows"
            )
        db.close()
    print(f"result: {'FAIL ' + ', '.join(failures) if failures else 'all targets met'}")
    print(f"(median of {opts.runs} alternating rounds each; target <= {TARGET * 1000:.0f} ms)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
