"""Pruning the order journal (``journal prune``) and the daily retention run.

Invariants:

- an intent whose outcome is not final (``journalled``, ``sending``, ``unknown``) is never
  deleted, however old;
- nothing from the current trading day (IST) goes: the cutoff is never later than the start of
  today, and an intent goes only when it was created *and* last changed before the cutoff and
  no tag of it was issued today (the late-landing check, ``Journal.tags_since``, reads those);
- GTT rule events (``gtt_events``, append-only) go when older than the cutoff, like kill-switch
  steps: never today's;
- a position conversion's steps (``conversion_events``) go together, when its last step is
  older than the cutoff and settled; an unsettled one is kept, however old, like an intent;
- only the given profile's rows go (the journal is shared by every profile on the machine);
- deletes run in batches of ``BATCH`` intents, each its own short write transaction, so a
  concurrent ``order place`` waits for at most one batch, never for the whole prune;
- ``journal prune`` then reclaims the space with ``VACUUM`` (chosen over incremental vacuum,
  which would need ``auto_vacuum`` set before the first table or a full ``VACUUM`` to switch,
  and returns space without defragmenting): it rewrites only what is kept, holding the write
  lock meanwhile. ``bench/journal_bench.py``: pruning half of a 100 k-intent journal (123 MB to
  59 MB), a writer committing every 20 ms waited at most 0.45-0.66 s on a loaded machine, far
  under the 30 s every journal connection waits for a lock (``dbutil.BUSY_TIMEOUT_SECONDS``).
  The automatic retention run does not vacuum: SQLite reuses the freed pages for new rows, so
  the file stops growing, and the run stays cheap (one primary-key read on every day but the
  first).
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import date, datetime, timedelta

from angelctl.clock import IST, utc_stamp
from angelctl.orders.journal import OPEN_STATES, TERMINAL_STATES, Journal
from angelctl.orders.journal_convert import SETTLED_KINDS
from angelctl.records import record

BATCH = 1000  # intents deleted per write transaction
AUTO_BATCHES = 5  # batches one automatic run may delete; the next command goes on
_FINAL = ",".join(f"'{s}'" for s in TERMINAL_STATES)
_OPEN = ",".join(f"'{s}'" for s in OPEN_STATES)
# The intents that may go: settled, created and last changed before the cutoff (?2, ?3),
# no tag issued since the start of today (?4).
_GOING = (
    f"FROM intents WHERE profile = ?1 AND created_at < ?2 AND state IN ({_FINAL})"
    " AND updated_at < ?3 AND NOT EXISTS (SELECT 1 FROM tags WHERE tags.intent_id ="
    " intents.intent_id AND tags.created_at >= ?4)"
)
# The profile's (?1) conversions whose last step is older than the cutoff (?2), with that step:
# read through the (profile, at) index up to the cutoff, and the (conversion_id) index to see
# that no step came later.
_CONVERSIONS_ENDED = (
    "SELECT e.conversion_id, e.kind FROM conversion_events e JOIN (SELECT conversion_id,"
    " MAX(seq) AS last FROM conversion_events WHERE profile = ?1 AND at < ?2"
    " GROUP BY conversion_id) l ON e.seq = l.last WHERE NOT EXISTS (SELECT 1 FROM"
    " conversion_events n WHERE n.conversion_id = e.conversion_id AND n.at >= ?2)"
)
_SETTLED_KINDS = ",".join(f"'{k}'" for k in sorted(SETTLED_KINDS))
_CONVERSIONS_GOING = (
    f"SELECT conversion_id FROM ({_CONVERSIONS_ENDED}) WHERE kind IN ({_SETTLED_KINDS})"
)


@record(frozen=False)
class PruneReport:
    profile: str
    cutoff: str  # UTC ISO: rows older than this went (or would go)
    intents: int
    events: int
    tags: int
    risk_events: int
    kept_unsettled: int  # intents older than the cutoff kept because their outcome is open
    complete: bool  # False when an automatic run stopped at its batch budget
    dry_run: bool
    bytes_before: int = 0
    bytes_after: int = 0
    gtt_events: int = 0  # GTT rule writes noted before the cutoff
    conversion_events: int = 0  # steps of settled position conversions ended before the cutoff
    kept_unsettled_conversions: int = 0  # conversions ended before it, kept: not settled


def day_start(day: date) -> datetime:
    """Midnight IST of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=IST)


def prune(
    journal: Journal,
    profile: str,
    before: datetime,
    *,
    now: datetime,
    dry_run: bool = False,
    vacuum: bool = True,
    max_batches: int | None = None,
) -> PruneReport:
    """Delete ``profile``'s settled intents (with their events and tags), its kill-switch steps,
    its GTT rule events and its settled conversions older than ``before``, never later than
    the start of today (IST) of ``now``."""
    today = utc_stamp(day_start(now.astimezone(IST).date()))
    cutoff = min(utc_stamp(before), today)
    args = (profile, cutoff, cutoff, today)
    db = journal.db
    kept = db.execute(
        f"SELECT COUNT(*) FROM intents WHERE state IN ({_OPEN}) AND profile = ? AND created_at < ?",
        (profile, cutoff),
    ).fetchone()[0]
    report = PruneReport(profile, cutoff, 0, 0, 0, 0, int(kept), True, dry_run)
    report.kept_unsettled_conversions = _count(
        db, f"({_CONVERSIONS_ENDED}) WHERE kind NOT IN ({_SETTLED_KINDS})", args[:2]
    )
    report.bytes_before = _size(db)
    if dry_run:
        _count_going(db, report, args)
    else:
        _delete_going(journal, report, args, max_batches)
    if (
        vacuum
        and not dry_run
        and (report.intents or report.risk_events or report.gtt_events or report.conversion_events)
        and _on_disk(journal)
    ):
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    report.bytes_after = _size(db)
    return report


def apply_retention(
    journal: Journal, profile: str, days: int, *, now: datetime
) -> PruneReport | None:
    """The profile's retention, at most once per IST day per journal and profile (noted in the
    ``maintenance`` table); None when it had nothing to do. A run that stops at its batch
    budget leaves the day unnoted, so the next command goes on where it stopped."""
    if days <= 0:
        return None
    today = now.astimezone(IST).date()
    key = f"retention:{profile}"
    row = journal.db.execute("SELECT value FROM maintenance WHERE key = ?", (key,)).fetchone()
    if row is not None and row[0] == today.isoformat():
        return None
    before = day_start(today) - timedelta(days=days)
    report = prune(journal, profile, before, now=now, vacuum=False, max_batches=AUTO_BATCHES)
    if report.complete:
        with journal.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO maintenance (key, value) VALUES (?, ?)",
                (key, today.isoformat()),
            )
    return report


def retention_quietly(journal: Journal, profile: str, days: int) -> None:
    """The retention run as commands call it when they are done, on the journal's clock: a
    journal that refuses (locked for longer than the busy timeout, a full disk) is left for the
    next command."""
    with contextlib.suppress(sqlite3.Error):
        apply_retention(journal, profile, days, now=journal.clock.now())


def _count_going(db: sqlite3.Connection, report: PruneReport, args: tuple[str, ...]) -> None:
    going = f"SELECT intent_id {_GOING}"
    report.intents = _count(db, _GOING[len("FROM ") :], args)
    report.events = _count(db, f"events WHERE intent_id IN ({going})", args)
    report.tags = _count(db, f"tags WHERE intent_id IN ({going})", args)
    report.risk_events = _count(db, "risk_events WHERE profile = ? AND at < ?", args[:2])
    report.gtt_events = _count(db, "gtt_events WHERE profile = ? AND at < ?", args[:2])
    report.conversion_events = _count(
        db, f"conversion_events WHERE conversion_id IN ({_CONVERSIONS_GOING})", args[:2]
    )


def _delete_going(
    journal: Journal, report: PruneReport, args: tuple[str, ...], max_batches: int | None
) -> None:
    """Batch by batch, each its own write transaction (a concurrent writer waits for one)."""
    db = journal.db
    batches = 0
    while max_batches is None or batches < max_batches:
        with journal.transaction():
            ids = [r[0] for r in db.execute(f"SELECT intent_id {_GOING} LIMIT {BATCH}", args)]
            if ids:
                marks = ",".join("?" * len(ids))
                for table in ("events", "tags", "intents"):
                    deleted = db.execute(
                        f"DELETE FROM {table} WHERE intent_id IN ({marks})", ids
                    ).rowcount
                    setattr(report, table, getattr(report, table) + deleted)
        batches += 1
        if len(ids) < BATCH:
            break
    else:
        report.complete = False
    with journal.transaction():
        report.risk_events = db.execute(
            "DELETE FROM risk_events WHERE profile = ? AND at < ?", args[:2]
        ).rowcount
        report.gtt_events = db.execute(
            "DELETE FROM gtt_events WHERE profile = ? AND at < ?", args[:2]
        ).rowcount
        report.conversion_events = db.execute(
            f"DELETE FROM conversion_events WHERE conversion_id IN ({_CONVERSIONS_GOING})",
            args[:2],
        ).rowcount


def _count(db: sqlite3.Connection, where: str, args: tuple[str, ...]) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {where}", args).fetchone()[0])


def _size(db: sqlite3.Connection) -> int:
    """The database's size in bytes (pages in use and free, not the WAL)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(size)


def _on_disk(journal: Journal) -> bool:
    return str(journal.path) != ":memory:"
