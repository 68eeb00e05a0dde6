"""Figures for the instrument index (issues 3 and 14), a real-size master (1×) and 2× side by side.

- ingest of a 150 000-row master in the real format: wall time (target ≤ 5 s) and peak memory
  of the `angelctl instruments sync --file` process (target ≤ 300 MB); the 2× ingest is shown;
- in-process resolution at 1×: median per resolve over exact symbols, tokens and friendly forms
  (target ≤ 1 ms);
- every friendly form (`NIFTY 25000 CE`, `BANKNIFTY FUT`, `RELIANCE BSE`, `NIFTY 25000 CE DEC`
  and the resolver's other forms) in-process at 1× and 2×: median µs per resolve (target
  ≤ 100 µs at 2×, each form);
- `instruments search` in-process at 1× and 2×: median per search over realistic words (target:
  2×/1× ≤ 1.05 on the sum of medians), and the same searches as `angelctl` processes (shown);
- `angelctl instruments show SYMBOL --json` cold from the shell: median wall (target ≤ 250 ms);
- a bash completion call for a symbol: median wall (target ≤ 50 ms).

2× is ``make_master.py --double``: every segment doubled by renamed twins (see there), so the
words looked up have the same answers at both sizes. The 1× and 2× measurements alternate, so
machine load drifts hit both alike. About 1-2 minutes.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, time_command

ROWS = 150_000
ROUNDS = 300  # timed resolves per form and size
SEARCH_ROUNDS = 101
SEARCHES = (
    "RELIANCE",
    "HDFCBANK FUT",
    "NIFTY 25000",
    "BANKNIFTY CE",
    "USDINR",
    "CRUDEOIL FUT",
    "SBIN",
    "TATA",
)


def _env(home: str) -> dict[str, str]:
    return {
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/c",
        "XDG_STATE_HOME": f"{home}/s",
        "XDG_CACHE_HOME": f"{home}/k",
        "ANGELCTL_INSTRUMENTS_URL": "http://127.0.0.1:9",
    }


def _make_and_ingest(home: str, double: bool) -> tuple[Path, dict[str, Any], float, float]:
    """Write the master (in its own process, so the ingest's peak RSS is its own) and sync it."""
    master = Path(home) / "OpenAPIScripMaster.json"
    extra = ["--double"] if double else []
    maker = str(Path(__file__).with_name("make_master.py"))
    subprocess.run([sys.executable, maker, str(master), "--rows", str(ROWS), *extra], check=True)
    full_env = {**os.environ, **_env(home)}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The child reports its own peak RSS (RUSAGE_SELF), which no other process inflates.
    launcher = (
        "import resource, sys\nfrom angelctl.__main__ import main\nrc = main()\n"
        "sys.stderr.write(f'MAXRSS_KB {resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss}\\n')\nsys.exit(rc)"
    )
    args = ["instruments", "sync", "--file", str(master), "--json"]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", launcher, *args], env=full_env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(proc.stderr)
    peak_mb = int(proc.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0]) / 1024
    return master, json.loads(proc.stdout), wall, peak_mb


def friendly_forms(rows: list[dict[str, Any]], today: date) -> list[str]:
    """The resolver's friendly forms, with strikes and months that exist in this master."""
    nifty = [r for r in rows if r["name"] == "NIFTY" and r["instrumenttype"] == "OPTIDX"]
    strikes = sorted({int(float(r["strike"])) // 100 for r in nifty})
    strike = 25000 if 25000 in strikes else strikes[len(strikes) // 2]
    expiries = sorted({date(*time.strptime(r["expiry"], "%d%b%Y")[:3]) for r in nifty})
    live = [e for e in expiries if e >= today]
    month = f"{live[-1]:%b%y}".upper()
    sensex = [r for r in rows if r["name"] == "SENSEX" and r["instrumenttype"] == "OPTIDX"]
    sensex_strikes = sorted({int(float(r["strike"])) // 100 for r in sensex})
    sensex_strike = sensex_strikes[len(sensex_strikes) // 2]
    return [
        f"NIFTY {strike} CE",
        "BANKNIFTY FUT",
        "RELIANCE BSE",
        f"NIFTY {strike} CE {month}",
        f"NIFTY {strike}PE",
        f"nifty {strike} call {live[0]:%d%b%y}",
        f"NIFTY {strike} PE {live[1].isoformat()}",
        f"NIFTY FUT {month}",
        "RELIANCE FUT",
        "SBIN",
        "NIFTY INDEX",
        f"SENSEX {sensex_strike} PE",
        "CRUDEOIL FUT",
        "USDINR FUT",
    ]


def _median_us(times: list[float]) -> float:
    return statistics.median(times) * 1e6


def friendly_figures(resolvers: list[Any], forms: list[str], failures: list[str]) -> None:
    print(
        f"friendly forms in-process, median of {ROUNDS} (1x and 2x alternate; target 2x <= 100 us)"
    )
    for text in forms:
        picked = [r.resolve(text) for r in resolvers]  # each must be one contract
        assert picked[0].symbol == picked[1].symbol, (text, picked)
        times: list[list[float]] = [[], []]
        for _ in range(ROUNDS):
            for i, resolver in enumerate(resolvers):
                t = time.perf_counter()
                resolver.resolve(text)
                times[i].append(time.perf_counter() - t)
        one, two = _median_us(times[0]), _median_us(times[1])
        ok = two <= 100
        print(
            f"  {text!r:<34} -> {picked[0].symbol:<22} 1x {one:6.1f} us  2x {two:6.1f} us  "
            f"ratio {two / one:4.2f}  {'ok' if ok else 'FAIL'}"
        )
        if not ok:
            failures.append(f"resolve {text!r}")


def search_figures(indexes: list[Any], homes: list[str], failures: list[str]) -> None:
    print(
        f"instruments search in-process (limit 20), median of {SEARCH_ROUNDS}, via "
        f"{indexes[1].search_method}"
    )
    totals = [0.0, 0.0]
    for text in SEARCHES:
        words = text.split()
        found = [[c.key for c in index.search(words, limit=20)] for index in indexes]
        assert found[0] == found[1] and found[0], (text, found)
        times: list[list[float]] = [[], []]
        for _ in range(SEARCH_ROUNDS):
            for i, index in enumerate(indexes):
                t = time.perf_counter()
                index.search(words, limit=20)
                times[i].append(time.perf_counter() - t)
        one, two = (statistics.median(t) * 1000 for t in times)
        totals[0] += one
        totals[1] += two
        print(f"  {text!r:<18} 1x {one:7.3f} ms  2x {two:7.3f} ms  ratio {two / one:4.2f}")
    ratio = totals[1] / totals[0]
    print(
        f"  sum of medians: 1x {totals[0]:.2f} ms, 2x {totals[1]:.2f} ms, ratio {ratio:.3f} "
        f"(target <= 1.05) {'ok' if ratio <= 1.05 else 'FAIL'}"
    )
    if ratio > 1.05:
        failures.append("search in-process")
    cmd = [*angelctl_cmd(), "instruments", "search", "NIFTY", "25000", "--json"]
    walls: list[list[float]] = [[], []]
    for home in homes:
        time_command(cmd, 2, _env(home))
    for _ in range(10):
        for i, home in enumerate(homes):
            walls[i] += time_command(cmd, 1, _env(home))
    for i, name in enumerate(("1x", "2x")):
        print("  " + describe(f"angelctl instruments search NIFTY 25000 ({name})", walls[i]))
    print(f"  process ratio 2x/1x: {statistics.median(walls[1]) / statistics.median(walls[0]):.3f}")


def main() -> int:  # one figure after another; each block is short and says what it measures
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as home1, tempfile.TemporaryDirectory() as home2:
        master, synced, wall, peak_mb = _make_and_ingest(home1, double=False)
        size_mb = master.stat().st_size / 1e6
        print(
            f"ingest 1x: {synced['rows']} rows, {size_mb:.1f} MB file: wall {wall:.2f} s "
            f"(target <= 5 s), peak RSS {peak_mb:.0f} MB (target <= 300 MB)"
        )
        if wall > 5 or peak_mb > 300:
            failures.append("ingest")
        _, synced2, wall2, peak2 = _make_and_ingest(home2, double=True)
        print(f"ingest 2x: {synced2['rows']} rows: wall {wall2:.2f} s, peak RSS {peak2:.0f} MB")

        from angelctl.instruments.index import InstrumentIndex
        from angelctl.instruments.location import INDEX_FILE
        from angelctl.instruments.resolve import Resolver

        today = date.fromisoformat(time.strftime("%Y-%m-%d"))
        indexes = [InstrumentIndex(Path(h) / "k" / "angelctl" / INDEX_FILE) for h in (home1, home2)]
        resolvers = [Resolver(index, today) for index in indexes]
        rows = json.loads(master.read_text())
        rng = random.Random(7)
        sample = rng.sample(rows, 1000)
        forms = (
            [r["symbol"] for r in sample]
            + [f"{r['exch_seg']}:{r['token']}" for r in sample]
            + ["NIFTY", "RELIANCE", "BANKNIFTY FUT", "NIFTY FUT", "SBIN"] * 20
        )
        times = []
        for text in forms:
            t = time.perf_counter()
            resolvers[0].resolve(text)
            times.append(time.perf_counter() - t)
        median_ms = statistics.median(times) * 1000
        print(
            f"resolve in-process 1x: median {median_ms:.3f} ms, p99 "
            f"{sorted(times)[int(len(times) * 0.99)] * 1000:.3f} ms over {len(forms)} lookups "
            "(target median <= 1 ms)"
        )
        if median_ms > 1:
            failures.append("resolve")
        friendly_figures(resolvers, friendly_forms(rows, today), failures)
        search_figures(indexes, [home1, home2], failures)
        symbol = sample[0]["symbol"]
        for index in indexes:
            index.close()

        env = _env(home1)
        show = time_command([*angelctl_cmd(), "instruments", "show", symbol, "--json"], 20, env)
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
        comp = time_command(angelctl_cmd(), 30, complete_env)
        print(describe(f"bash completion of {prefix!r}", comp) + "  (target <= 50 ms)")
        if statistics.median(comp) > 0.05:
            failures.append("completion")
    print("result:", "FAIL " + ", ".join(failures) if failures else "all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
