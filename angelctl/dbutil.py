"""Opening the private SQLite files several angelctl processes share (rate ledger, journal).

Invariant: the file is created 0600 before SQLite touches it, and switching it to WAL is
retried while another process holds the lock — ``PRAGMA journal_mode`` does not wait on the
busy handler, so concurrent first use would otherwise fail with "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from angelctl.fsutil import open_private

BUSY_TIMEOUT_SECONDS = 30.0


def connect_wal(
    path: Path, *, synchronous: str, check_same_thread: bool = True
) -> sqlite3.Connection:
    """``check_same_thread=False`` only for a caller that serialises use with its own lock."""
    os.close(open_private(path))
    db = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                db.close()
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db
