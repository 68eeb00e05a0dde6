"""Client-side rate limits shared by every angelctl process on the machine.

A ledger of reserved send times per (client code, bucket) lives in one SQLite file under the
state folder. ``acquire`` reserves, inside one ``BEGIN IMMEDIATE`` transaction, the earliest
slot at which every window of every bucket the route spends stays within its limit, then
sleeps until that slot. Reservations are FIFO per bucket (a slot is never earlier than the last
one), so concurrent processes queue fairly instead of bursting.

Times are ``CLOCK_MONOTONIC`` seconds, which Linux shares across processes and which a
wall-clock step cannot move; the ledger is keyed by the boot id and emptied after a reboot.
Windows are widened by ``SAFETY`` seconds so that network jitter cannot push two calls into
one server-side window.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from angelctl.clock import Clock
from angelctl.dbutil import connect_wal
from angelctl.fsutil import ensure_private_dir

SAFETY = 0.06
_SCHEMA = """
CREATE TABLE IF NOT EXISTS slots (bucket TEXT NOT NULL, t REAL NOT NULL);
CREATE INDEX IF NOT EXISTS slots_bucket_t ON slots (bucket, t);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
Limits = Mapping[str, tuple[tuple[int, float], ...]]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


class RateLimiter:
    def __init__(self, path: Path, limits: Limits, clock: Clock) -> None:
        self.path = path
        self.limits = dict(limits)
        self.clock = clock
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            ensure_private_dir(self.path.parent)
            db = connect_wal(self.path, synchronous="NORMAL")
            db.executescript(_SCHEMA)
            boot = _boot_id()
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key='boot'").fetchone()
            if row is None or row[0] != boot:
                db.execute("DELETE FROM slots")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('boot', ?)", (boot,))
            db.execute("COMMIT")
            self._db = db
        return self._db

    def reserve(self, key: str, buckets: Iterable[str]) -> float:
        """Reserve a slot for one call; returns the monotonic time at which it may be sent."""
        windows = [
            (f"{key}:{bucket}", count, seconds + SAFETY)
            for bucket in buckets
            for count, seconds in self.limits.get(bucket, ())
        ]
        if not windows:
            return self.clock.monotonic()
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            now = self.clock.monotonic()
            slot = now
            for name, count, seconds in windows:
                last = db.execute(
                    "SELECT t FROM slots WHERE bucket=? ORDER BY t DESC LIMIT 1", (name,)
                ).fetchone()
                if last:
                    slot = max(slot, last[0])
                nth = db.execute(
                    "SELECT t FROM slots WHERE bucket=? ORDER BY t DESC LIMIT 1 OFFSET ?",
                    (name, count - 1),
                ).fetchone()
                if nth:
                    slot = max(slot, nth[0] + seconds)
            names = {name for name, _, _ in windows}
            db.executemany("INSERT INTO slots VALUES (?, ?)", [(n, slot) for n in names])
            horizon = now - max(seconds for _, _, seconds in windows) - 1.0
            db.executemany(
                "DELETE FROM slots WHERE bucket=? AND t < ?", [(n, horizon) for n in names]
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return slot

    def acquire(self, key: str, buckets: Iterable[str]) -> float:
        """Wait for a slot; returns the seconds waited."""
        slot = self.reserve(key, buckets)
        wait = slot - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)
        return max(wait, 0.0)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
