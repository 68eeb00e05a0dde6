"""Opening the machine's order journal: named and refused when unusable (exit 19) for the order
path; moved aside and replaced (or kept in memory) for the kill switch, which must run whatever
state the file is in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from angelctl.clock import Clock
from angelctl.orders.journal import Journal


def open_journal(clock: Clock | None = None) -> Journal:
    """The machine's order journal in the platform state folder; a journal that cannot be used
    is named (exit 19), never worked around silently."""
    from angelctl.config import state_dir
    from angelctl.errors import LocalStateError

    path = state_dir() / "journal.sqlite3"
    try:
        return _checked(Journal(path, clock))
    except (sqlite3.Error, OSError) as exc:
        raise LocalStateError(
            f"the order journal {path} cannot be used ({exc}): nothing was sent",
            hint="`angelctl killswitch` still works (it moves the file aside); to trade again, "
            f"move {path.name} aside (keep it for inspection) and run the command again",
        ) from None


def open_journal_for_kill(warn: Callable[[str], None], clock: Clock | None = None) -> Journal:
    """The kill switch's journal: it must work whatever state the file is in. A missing,
    corrupt or unwritable journal is moved aside (kept for inspection) and a fresh one is
    used; when the disk itself refuses, an in-memory journal. Warns once."""
    from angelctl.config import state_dir

    path = state_dir() / "journal.sqlite3"
    try:
        return _checked(Journal(path, clock), thorough=True)
    except (sqlite3.Error, OSError) as exc:
        problem = str(exc)
    aside = _move_aside(path)
    try:
        journal = Journal(path, clock)
        where = f"moved aside to {aside.name}" if aside else "could not be moved aside"
        warn(f"the order journal {path} was unusable ({problem}); {where}; using a fresh one")
        return journal
    except (sqlite3.Error, OSError) as exc:
        warn(
            f"the order journal {path} is unusable ({problem}) and no new one can be written "
            f"({exc}); this run's journal is kept in memory only"
        )
        return Journal(None, clock)


def _checked(journal: Journal, *, thorough: bool = False) -> Journal:
    """One read of every table the order path uses, so a damaged file fails here, not mid-run;
    ``thorough`` (the kill switch) also runs SQLite's quick integrity check over the file."""
    try:
        for table in ("intents", "tags", "events", "risk_events"):
            journal.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
        if thorough:
            row = journal.db.execute("PRAGMA quick_check(1)").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {row[0] if row else 'no answer'}")
    except BaseException:
        journal.close()
        raise
    return journal


def _move_aside(path: Path) -> Path | None:
    """Rename the journal (and its WAL and shared-memory files) out of the way."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    moved = None
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(path) + suffix)
        if source.exists() or source.is_symlink():
            try:
                source.rename(Path(str(target) + suffix))
                moved = target
            except OSError:
                return None
    return moved
