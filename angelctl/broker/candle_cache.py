"""The on-disk cache of completed candles: a repeated range costs no call.

One SQLite file (``candles.sqlite3`` in the user cache folder, created 0600 in a 0700 folder
through ``dbutil.connect_wal`` like the rate ledger and the journal). Rows are keyed by
``source`` (the profile's name and REST base URL: sandbox and live never mix), exchange, token
and interval; prices are stored as decimal text, times as epoch seconds.

What is kept:
- ``candles``: a bar only once it is complete — its end (``history.bar_end``) is at or before
  the moment the answer was read — so a bar still forming is never served from the cache;
- ``days``: a day (``kind`` ``c`` for candles, ``o`` for candles with their OI) whose every bar
  has been fetched and which ended before the read (an IST day before the read's day). Only such
  days are skipped by ``history.fetch_candles``; today is always asked for again.

Invariants: a day row is written in the same transaction as its bars; a re-fetched bar
replaces the stored one (keeping its OI when the new answer carries none); nothing is ever
read for a day that is not in ``days``.
"""

from __future__ import annotations

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
CREATE TABLE IF NOT EXISTS candles (
  source TEXT NOT NULL, exchange TEXT NOT NULL, token TEXT NOT NULL, interval TEXT NOT NULL,
  t INTEGER NOT NULL, day INTEGER NOT NULL, open TEXT NOT NULL, high TEXT NOT NULL,
  low TEXT NOT NULL, close TEXT NOT NULL, volume INTEGER NOT NULL, oi INTEGER,
  PRIMARY KEY (source, exchange, token, interval, t)
);
CREATE INDEX IF NOT EXISTS candles_day ON candles (source, exchange, token, interval, day);
CREATE TABLE IF NOT EXISTS days (
  source TEXT NOT NULL, exchange TEXT NOT NULL, token TEXT NOT NULL, interval TEXT NOT NULL,
  kind TEXT NOT NULL, day INTEGER NOT NULL,
  PRIMARY KEY (source, exchange, token, interval, kind, day)
);
"""


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

    @staticmethod
    def _kind(request: CandleRequest) -> str:
        return "o" if request.oi else "c"

    def covered(self, request: CandleRequest, days: Iterable[date]) -> set[date]:
        """The ``days`` the cache holds completely for ``request``."""
        wanted = [d.toordinal() for d in days]
        if not wanted:
            return set()
        rows = self._connect().execute(
            "SELECT day FROM days WHERE source=? AND exchange=? AND token=? AND interval=? "
            "AND kind=? AND day BETWEEN ? AND ?",
            (*self._key(request), self._kind(request), min(wanted), max(wanted)),
        )
        held = {row[0] for row in rows}
        return {date.fromordinal(n) for n in wanted if n in held}

    def read(self, request: CandleRequest, days: list[date]) -> list[Candle]:
        if not days:
            return []
        rows = self._connect().execute(
            "SELECT t, day, open, high, low, close, volume, oi FROM candles WHERE source=? "
            "AND exchange=? AND token=? AND interval=? AND day BETWEEN ? AND ? ORDER BY t",
            (*self._key(request), days[0].toordinal(), days[-1].toordinal()),
        )
        wanted = {d.toordinal() for d in days}
        return [
            Candle(
                at=datetime.fromtimestamp(t, IST),
                open=Decimal(o),
                high=Decimal(h),
                low=Decimal(lo),
                close=Decimal(c),
                volume=volume,
                oi=oi,
            )
            for t, day, o, h, lo, c, volume, oi in rows
            if day in wanted
        ]

    def store(
        self,
        request: CandleRequest,
        first: date,
        last: date,
        candles: list[Candle],
        read_at: datetime,
    ) -> int:
        """Keep the complete bars of a fetched chunk ``first``..``last`` and mark its days that
        were over at ``read_at``; returns the bars stored."""
        complete = [c for c in candles if bar_end(c.at, request.interval) <= read_at]
        today = read_at.astimezone(IST).date()
        key = self._key(request)
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO candles VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (source, exchange, token, interval, t) DO UPDATE SET "
                "open=excluded.open, high=excluded.high, low=excluded.low, "
                "close=excluded.close, volume=excluded.volume, oi=COALESCE(excluded.oi, oi)",
                [
                    (
                        *key,
                        int(c.at.timestamp()),
                        c.at.astimezone(IST).date().toordinal(),
                        str(c.open),
                        str(c.high),
                        str(c.low),
                        str(c.close),
                        c.volume,
                        c.oi,
                    )
                    for c in complete
                ],
            )
            kinds = ("c", "o") if request.oi else ("c",)  # OI days hold the candles too
            days: list[tuple[str, ...] | tuple[object, ...]] = []
            day = first
            while day <= last and day < today:
                days.extend((*key, kind, day.toordinal()) for kind in kinds)
                day += timedelta(days=1)
            db.executemany("INSERT OR IGNORE INTO days VALUES (?,?,?,?,?,?)", days)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(complete)
