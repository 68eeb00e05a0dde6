"""Client-side rate limits shared by every angelctl process on the machine.

A ledger of reservations per (client code, bucket) lives in one SQLite file under the state
folder. ``acquire`` reserves, inside one ``BEGIN IMMEDIATE`` transaction, the earliest
slot at which every window of every bucket the route spends stays within its limit, then
sleeps until that slot (a wait over two seconds is announced on stderr). Reservations are FIFO
per bucket (a slot is never earlier than the last one), so concurrent processes queue fairly
instead of bursting.

Times are ``CLOCK_MONOTONIC`` seconds, which Linux shares across processes and which a
wall-clock step cannot move; the ledger is keyed by the boot id and emptied after a reboot.
Windows are widened by ``SAFETY`` seconds so that network jitter cannot push two calls into
one server-side window.

Clock steps. One process's monotonic clock can still be stepped (libfaketime shifts it, and so
can a restored VM), so a row is checked against this process's clock before it is believed.
Each row keeps the monotonic time it was reserved at (``made``) beside its slot (``t``):

- A row made more than ``FUTURE_MARGIN`` s after this process's now is impossible: its
  writer's clock was ahead, or ours stepped back. It is deleted, counted in ``discarded`` and
  logged at debug level, and never waited for; a slot from the "future" cannot block.
- A row made at or before now is believed, however far ahead its slot lies: a slot is at most
  its reservation's longest window past the slot queued before it, so a chain of processes
  waiting their turn (four callers of a 1/s route) legitimately reaches beyond one window, and
  dropping such a slot would let the next call jump the queue and exceed the limit.
- A row older than its reservation's longest window is history and pruned. Rows written by a
  clock that was behind look old too and are pruned: their calls in the last window go
  uncounted, so the limit can be exceeded by at most one window's worth of them.

The table of earlier versions (``slots``, no reservation time) is no longer read; an older
angelctl that is still running keeps its own budget until it exits.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from angelctl.clock import Clock, boot_id, pause
from angelctl.dbutil import connect_wal
from angelctl.errors import ConnectFailed
from angelctl.fsutil import ensure_private_dir
from angelctl.records import record

log = logging.getLogger("angelctl.ratelimit")

SAFETY = 0.06
FUTURE_MARGIN = 1.0  # a row made this far after now is still believed (float slack)
_BOOT_KEY = "boot:reservations"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reservations (bucket TEXT NOT NULL, t REAL NOT NULL, made REAL NOT NULL);
CREATE INDEX IF NOT EXISTS reservations_bucket_t ON reservations (bucket, t);
CREATE INDEX IF NOT EXISTS reservations_made ON reservations (made);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
Limits = Mapping[str, tuple[tuple[int, float], ...]]
_UNITS = {1.0: "s", 60.0: "min", 3600.0: "h"}


@record
class Window:
    """One limit of one bucket: ``count`` calls per ``seconds`` (as configured)."""

    bucket: str
    count: int
    seconds: float

    @property
    def width(self) -> float:
        return self.seconds + SAFETY

    def describe(self) -> str:
        unit = _UNITS.get(self.seconds)
        rate = f"{self.count}/{unit}" if unit else f"{self.count} per {self.seconds:g} s"
        return f"the {self.bucket} rate limit ({rate} shared by all angelctl processes)"


class RateLimiter:
    def __init__(self, path: Path, limits: Limits, clock: Clock) -> None:
        self.path = path
        self.limits = dict(limits)
        self.clock = clock
        self.discarded = 0  # impossible rows (made in this process's future) deleted
        self._db: sqlite3.Connection | None = None
        # Threads of one process (the confirmation's concurrent reads) share the connection;
        # the lock serialises reservations, never the wait for a slot.
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            ensure_private_dir(self.path.parent)
            db = connect_wal(self.path, synchronous="NORMAL", check_same_thread=False)
            db.executescript(_SCHEMA)
            boot = boot_id()
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key=?", (_BOOT_KEY,)).fetchone()
            if row is None or row[0] != boot:
                db.execute("DELETE FROM reservations")
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_BOOT_KEY, boot))
            db.execute("COMMIT")
            self._db = db
        return self._db

    def _windows(self, buckets: Iterable[str]) -> list[Window]:
        return [
            Window(bucket, count, seconds)
            for bucket in buckets
            for count, seconds in self.limits.get(bucket, ())
        ]

    def reserve(self, key: str, buckets: Iterable[str]) -> float:
        """Reserve a slot for one call; returns the monotonic time at which it may be sent."""
        return self._reserve(key, buckets)[0]

    def _reserve(self, key: str, buckets: Iterable[str]) -> tuple[float, Window | None]:
        """The slot and the window that set it (None when nothing held the call back)."""
        windows = self._windows(buckets)
        if not windows:
            return self.clock.monotonic(), None
        with self._lock:
            if self._closed:
                raise ConnectFailed("the session was closed before this call could be sent")
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            try:
                now = self.clock.monotonic()
                self._discard_future(db, now)
                slot, binding = _earliest(db, key, windows, now)
                names = sorted({f"{key}:{w.bucket}" for w in windows})
                db.executemany(
                    "INSERT INTO reservations VALUES (?, ?, ?)", [(n, slot, now) for n in names]
                )
                horizon = now - max(w.width for w in windows) - 1.0
                db.executemany(
                    "DELETE FROM reservations WHERE bucket=? AND t < ?",
                    [(n, horizon) for n in names],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return slot, binding

    def _discard_future(self, db: sqlite3.Connection, now: float) -> None:
        """Delete the rows no clock consistent with ours could have made (see the docstring)."""
        limit = now + FUTURE_MARGIN
        rows = db.execute("SELECT made FROM reservations WHERE made > ?", (limit,)).fetchall()
        ahead = [row[0] - now for row in rows]
        if ahead:
            db.execute("DELETE FROM reservations WHERE made > ?", (limit,))
            self.discarded += len(ahead)
            log.debug(
                "rate-limit ledger: discarded %d reservation(s) made up to %.0f s in this "
                "process's future (a clock step)",
                len(ahead),
                max(ahead),
            )

    def acquire(self, key: str, buckets: Iterable[str]) -> float:
        """Wait for a slot; returns the seconds waited."""
        slot, binding = self._reserve(key, buckets)
        wait = slot - self.clock.monotonic()
        if wait <= 0:
            return 0.0
        pause(self.clock, wait, binding.describe() if binding else "a rate-limit slot")
        return wait

    def close(self) -> None:
        """Close the ledger. Under the lock: a reservation another thread is making (an
        abandoned confirmation read) finishes first, since SQLite must never have a connection
        closed under a running statement; one that comes later is refused (``ConnectFailed``:
        nothing is sent)."""
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
            self._db = None


def _earliest(
    db: sqlite3.Connection, key: str, windows: list[Window], now: float
) -> tuple[float, Window | None]:
    """The earliest slot every window allows, FIFO behind the bucket's last slot."""
    slot, binding = now, None
    for window in windows:
        name = f"{key}:{window.bucket}"
        for offset, extra in ((0, 0.0), (window.count - 1, window.width)):
            row = db.execute(
                "SELECT t FROM reservations WHERE bucket=? ORDER BY t DESC LIMIT 1 OFFSET ?",
                (name, offset),
            ).fetchone()
            if row is not None and row[0] + extra > slot:
                slot, binding = row[0] + extra, window
    return slot, binding
