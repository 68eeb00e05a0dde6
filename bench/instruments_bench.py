"""Figures for the instrument index (issue 3).

- ingest of a 150 000-row master in the real format: wall time (target ≤ 5 s) and peak memory
  of the `angelctl instruments sync --file` process (target ≤ 300 MB);
- in-process resolution: median per resolve over exact symbols, tokens and friendly forms
  (target ≤ 1 ms);
- `angelctl instruments show SYMBOL --json` cold from the shell: median wall (target ≤ 250 ms);
- a bash completion call for a symbol: median wall (target ≤ 50 ms).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, time_command

ROWS = 150_000


def main() -> int:
    import json

    failures = []
    with tempfile.TemporaryDirectory() as home:
        env = {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/c",
            "XDG_STATE_HOME": f"{home}/s",
            "XDG_CACHE_HOME": f"{home}/k",
            "ANGELCTL_INSTRUMENTS_URL": "http://127.0.0.1:9",
        }
        master = Path(home) / "OpenAPIScripMaster.json"
        # Generated in its own process: a forked child's peak RSS would otherwise include
        # this process's memory from before exec, and the ingest figure would be wrong.
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("make_master.py")),
                str(master),
                "--rows",
                str(ROWS),
            ],
            check=True,
        )
        size_mb = master.stat().st_size / 1e6
        cmd = angelctl_cmd()
        full_env = {**os.environ, **env}
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        # The child reports its own peak RSS (RUSAGE_SELF), which no other process inflates.
        launcher = (
            "import resource, sys\nfrom angelctl.__main__ import main\nrc = main()\n"
            "sys.stderr.write(f'MAXRSS_KB {resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss}\\n')\nsys.exit(rc)"
        )
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                launcher,
                "instruments",
                "sync",
                "--file",
                str(master),
                "--json",
            ],
            env=full_env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if proc.returncode:
            raise SystemExit(proc.stderr)
        peak_mb = int(proc.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0]) / 1024
        synced = json.loads(proc.stdout)
        print(
            f"ingest: {synced['rows']} rows, {size_mb:.1f} MB file: wall {wall:.2f} s "
            f"(target <= 5 s), peak RSS {peak_mb:.0f} MB (target <= 300 MB)"
        )
        if wall > 5 or peak_mb > 300:
            failures.append("ingest")

        # in-process resolution
        os.environ.update(env)
        from angelctl.instruments.index import InstrumentIndex
        from angelctl.instruments.resolve import Resolver
        from angelctl.instruments.store import index_path

        index = InstrumentIndex(index_path())
        today = time.strftime("%Y-%m-%d")
        from datetime import date

        resolver = Resolver(index, date.fromisoformat(today))
        rng = random.Random(7)
        sample = rng.sample(json.loads(master.read_text()), 1000)
        forms = (
            [r["symbol"] for r in sample]
            + [f"{r['exch_seg']}:{r['token']}" for r in sample]
            + ["NIFTY", "RELIANCE", "BANKNIFTY FUT", "NIFTY FUT", "SBIN"] * 20
        )
        times = []
        for text in forms:
            t = time.perf_counter()
            resolver.resolve(text)
            times.append(time.perf_counter() - t)
        median_ms = statistics.median(times) * 1000
        print(
            f"resolve in-process: median {median_ms:.3f} ms, p99 "
            f"{sorted(times)[int(len(times) * 0.99)] * 1000:.3f} ms over {len(forms)} lookups "
            "(target median <= 1 ms)"
        )
        if median_ms > 1:
            failures.append("resolve")
        symbol = sample[0]["symbol"]
        index.close()

        show = time_command([*cmd, "instruments", "show", symbol, "--json"], 20, env)
        print(describe(f"instruments show {symbol} --json", show) + "  (target <= 250 ms)")
        if statistics.median(show) > 0.25:
            failures.append("show")
        prefix = symbol[:4]
        complete_env = {
            **env,
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": f"angelctl instruments show {prefix}",
            "COMP_CWORD": "3",
        }
        comp = time_command(cmd, 30, complete_env)
        print(describe(f"bash completion of {prefix!r}", comp) + "  (target <= 50 ms)")
        if statistics.median(comp) > 0.05:
            failures.append("completion")
    print("result:", "FAIL " + ", ".join(failures) if failures else "all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
