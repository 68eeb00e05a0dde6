"""The on-disk cache of completed candles: a repeated range costs no call.

One SQLite file (``candles.sqlite3`` in the user cache folder, created 0600 in a 0700 folder
through ``dbutil.connect_wal`` like the rate ledger and the journal). One row per ``source``
(the profile's name and REST base URL: sandbox and live never mix), exchange, token, interval
and IST day, holding that day's candles as one compact JSON text (``[epoch, "open", "high",
"low", "close", volume, oi]``, prices as exact decimal text): a year of minutes is ~250 rows,
written and read in a fraction of the time one row per candle would take.

What is kept:
- a candle only once it is complete — its end (``history.bar_end``) is at or before the moment
  the answer was read — so a bar still forming is never served from the cache;
- ``complete``: the day ended before the read (an IST day before the read's day), so every bar
  of it has been fetched; only such days are skipped by ``history.fetch_candles``, today is
  always asked for again; ``has_oi``: the candles carry open interest (an ``--oi`` read).

Invariants: a day's row is replaced whole, in one transaction per fetched chunk; a day read
without OI never replaces one that has it once complete (it is never fetched again).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from angelctl.broker.history import Candle, CandleRequest, bar_end
from angelctl.clock import IST
from angelctl.dbutil import connect_wal

CACHE_FILE = "candles.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS days (
  source TEXT NOT NULL, exchange TEXT NOT NULL, token TEXT NOT NULL, interval TEXT NOT NULL,
  day INTEGER NOT NULL, complete INTEGER NOT NULL, has_oi INTEGER NOT NULL, bars TEXT NOT NULL,
  PRIMARY KEY (source, exchange, token, interval, day)
) WITHOUT ROWID;
"""
_KEY = "source=? AND exchange=? AND token=? AND interval=?"


def cache_path(folder: Path) -> Path:
    return folder / CACHE_FILE


class CandleCache:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            db = connect_wal(self.path, synchronous="NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _key(self, request: CandleRequest) -> tuple[str, str, str, str]:
        return (self.source, request.exchange, request.token, request.interval)

    def covered(self, request: CandleRequest, days: Iterable[date]) -> set[date]:
        """The ``days`` the cache holds completely for ``request`` (with OI if it asks)."""
        wanted = [d.toordinal() for d in days]
        if not wanted:
            return set()
        rows = self._connect().execute(
            f"SELECT day FROM days WHERE {_KEY} AND complete=1 AND has_oi>=? "
            "AND day BETWEEN ? AND ?",
            (*self._key(request), int(request.oi), min(wanted), max(wanted)),
        )
        held = {row[0] for row in rows}
        return {date.fromordinal(n) for n in wanted if n in held}

    def read(self, request: CandleRequest, days: list[date]) -> list[Candle]:
        """The stored candles of ``days`` (sorted days), in time order."""
        if not days:
            return []
        wanted = {d.toordinal() for d in days}
        rows = self._connect().execute(
            f"SELECT day, bars FROM days WHERE {_KEY} AND day BETWEEN ? AND ? ORDER BY day",
            (*self._key(request), days[0].toordinal(), days[-1].toordinal()),
        )
        stamp, number = datetime.fromtimestamp, Decimal
        return [
            Candle(stamp(t, IST), number(o), number(h), number(lo), number(c), v, oi)
            for day, bars in rows
            if day in wanted
            for t, o, h, lo, c, v, oi in json.loads(bars)
        ]

    def store(
        self,
        request: CandleRequest,
        first: date,
        last: date,
        candles: list[Candle],
        read_at: datetime,
    ) -> int:
        """Keep the complete candles of a fetched chunk ``first``..``last`` (whole IST days),
        marking the days that were over at ``read_at``; returns the candles stored."""
        today = read_at.astimezone(IST).date()
        by_day: dict[int, list[list[object]]] = {}
        for c in candles:
            if bar_end(c.at, request.interval) <= read_at:
                row = [int(c.at.timestamp()), str(c.open), str(c.high), str(c.low), str(c.close)]
                row += [c.volume, c.oi]
                by_day.setdefault(c.at.astimezone(IST).date().toordinal(), []).append(row)
        key, oi = self._key(request), int(request.oi)
        rows = []
        day = first
        while day <= last:
            n = day.toordinal()
            if day < today or n in by_day:
                bars = json.dumps(by_day.get(n, []), separators=(",", ":"))
                rows.append((*key, n, int(day < today), oi, bars))
            day += timedelta(days=1)
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO days VALUES (?,?,?,?,?,?,?,?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return sum(len(bars) for bars in by_day.values())
