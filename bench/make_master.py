"""Write a large instrument master in the real ``OpenAPIScripMaster.json`` format, for benches.

    python bench/make_master.py OUT.json --rows 150000 [--date 2026-03-10]

It is the sandbox's universe scaled up (``angelctl.sandbox.engine.universe``): more strikes,
~400 extra F&O stocks with synthetic ``SBX…`` names, then synthetic cash-only stocks (an NSE and
a BSE row each) until the row count is reached — the real file has ~155 K rows. Every row is
valid, in the real key order and value formats, and unique by (exch_seg, token) and by
(exch_seg, symbol).
``generate_rows(n)`` is the importable form.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from angelctl.sandbox.engine.universe import UniverseSpec, master_rows

IST = timezone(timedelta(hours=5, minutes=30))

BENCH_SPEC = UniverseSpec(
    index_strikes=50,
    stock_strikes=20,
    commodity_strikes=20,
    currency_strikes=16,
    synthetic_fno_stocks=400,
)


def generate_rows(n: int, day: date | None = None) -> list[dict[str, Any]]:
    """Exactly ``n`` master rows for ``day`` (default: today in IST)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rows = master_rows(day or datetime.now(IST).date(), BENCH_SPEC, fill_to=n)
    return [dict(row) for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the JSON array")
    parser.add_argument("--rows", type=int, default=150_000, help="how many rows (150000)")
    parser.add_argument("--date", type=date.fromisoformat, help="trading day (default: today IST)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate_rows(args.rows, args.date)
    args.out.write_text(json.dumps(rows, separators=(",", ":")))
    elapsed = time.perf_counter() - started
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {len(rows)} rows ({size_mb:.1f} MB) to {args.out} in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
