"""Write a large instrument master in the real ``OpenAPIScripMaster.json`` format, for benches.

    python bench/make_master.py OUT.json --rows 150000 [--date 2026-03-10] [--double]

It is the sandbox's universe scaled up (``angelctl.sandbox.engine.universe``): more strikes,
~400 extra F&O stocks with synthetic ``SBX…`` names, then synthetic cash-only stocks (an NSE and
a BSE row each) until the row count is reached — the real file has ~155 K rows. Every row is
valid, in the real key order and value formats, and unique by (exch_seg, token) and by
(exch_seg, symbol).
``generate_rows(n)`` is the importable form.

``--double`` writes a master twice that size with every segment doubled (NSE/BSE cash,
NFO/BFO options and futures, MCX, CDS): each row gets a twin with the same exchange, type,
expiry, strike and lot, a token no real row has, and its letters rot13-ed in symbol and name
(``NIFTY`` → ``AVSGL``). The twins make the master's tables, indexes and trigram lists twice as
large while a lookup of a real name still has exactly its old matches, so a cost that grows
between 1× and 2× is the index's cost, not a larger answer.
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


_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def doubled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` and a renamed twin of each (see ``--double``)."""
    twins = []
    for row in rows:
        twin = dict(row)
        twin["token"] = "7" + row["token"].zfill(10)  # 11 digits: no generated token has them
        twin["symbol"] = row["symbol"].translate(_ROT13)
        twin["name"] = row["name"].translate(_ROT13)
        twins.append(twin)
    return rows + twins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the JSON array")
    parser.add_argument("--rows", type=int, default=150_000, help="how many rows (150000)")
    parser.add_argument("--date", type=date.fromisoformat, help="trading day (default: today IST)")
    parser.add_argument(
        "--double", action="store_true", help="add a renamed twin of every row (2x, all segments)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate_rows(args.rows, args.date)
    if args.double:
        rows = doubled(rows)
    args.out.write_text(json.dumps(rows, separators=(",", ":")))
    elapsed = time.perf_counter() - started
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {len(rows)} rows ({size_mb:.1f} MB) to {args.out} in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
