"""The order journal: durable intents, the transition table, stable tags, crash safety
(docs/scenarios.md#e2--journal-durability)."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from angelctl.orders.journal import (
    TAG_LENGTH,
    TRANSITIONS,
    InvalidTransition,
    Journal,
    tag_for,
)
from tests.conftest import REPO, FixedClock


def test_tags_are_short_stable_and_distinct() -> None:
    tag = tag_for("main", "cron-0915-nifty")
    assert len(tag) <= TAG_LENGTH < 20  # Angel refuses tags of 20+ characters (AB4008)
    assert tag == tag_for("main", "cron-0915-nifty")
    assert tag != tag_for("other", "cron-0915-nifty")
    assert len({tag_for("p", str(i)) for i in range(10_000)}) == 10_000


def test_journal_is_wal_full_sync_private_and_migrated(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "journal.sqlite3")
    assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert [r[0] for r in journal.db.execute("SELECT number FROM migrations")] == [1, 2, 3, 4, 5, 6]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    journal.close()
    again = Journal(tmp_path / "state" / "journal.sqlite3")  # migrations run once
    assert [r[0] for r in again.db.execute("SELECT number FROM migrations")] == [1, 2, 3, 4, 5, 6]
    again.close()


def test_a_version_1_journal_gains_the_risk_events_table_and_keeps_its_intents(
    tmp_path: Path,
) -> None:
    import sqlite3

    from angelctl.orders.journal_schema import _migration_1

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    _migration_1(db)
    db.execute("INSERT INTO migrations VALUES (1, '2026-01-01T00:00:00+00:00')")
    db.execute("COMMIT")
    db.close()
    old = Journal(path)
    assert old.get("x") is None
    old.close()
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO intents (intent_id, tag, profile, client_code, state, request, created_at,"
        " updated_at) VALUES ('i', 'AC1', 'p', 'C', 'accepted', '{}', 't', 't')"
    )
    db.execute("DELETE FROM migrations WHERE number = 2")
    db.execute("DROP TABLE risk_events")
    db.commit()
    db.close()
    upgraded = Journal(path)
    assert upgraded.get("i") is not None and upgraded.get("i").state == "accepted"  # type: ignore[union-attr]
    upgraded.risk_event("p", "run", "latched", {"new": True})
    assert upgraded.risk_events("p")[0]["kind"] == "latched"
    upgraded.close()


def test_transitions_follow_the_table(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record("i1", "AC1", "p", "C", {"symbol": "SBIN-EQ"})
    journal.move("i1", "sending")
    with pytest.raises(InvalidTransition, match="sending -> journalled"):
        journal.move("i1", "journalled")
    journal.move("i1", "unknown")
    with pytest.raises(InvalidTransition):
        journal.move("i1", "rejected")  # an unknown outcome is settled only by the books
    done = journal.move("i1", "accepted", order_id="261125000000001", recovered=1)
    assert done.recovered and done.order_id == "261125000000001"
    for state in TRANSITIONS:
        if state != "accepted":
            with pytest.raises(InvalidTransition):
                journal.move("i1", state)
    kinds = [e["kind"] for e in journal.events("i1")]
    assert kinds == ["journalled", "sending", "unknown", "accepted"]


def test_the_same_intent_id_is_journalled_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    assert journal.record("x", tag_for("p", "x"), "p", "C", {}) is not None
    assert journal.record("x", tag_for("p", "x"), "p", "C", {}) is None
    assert [i.intent_id for i in journal.open_intents("p")] == ["x"]


WRITER = """
import sys
from pathlib import Path
from angelctl.orders.journal import Journal
journal = Journal(Path(sys.argv[1]))
i = 0
while True:
    journal.record(f"i{i}", f"T{i}", "p", "C", {"n": i})
    print(i, flush=True)
    i += 1
"""


def test_kill_9_loses_no_committed_intent(tmp_path: Path) -> None:
    """E2: every intent the writer reported as committed is there after kill -9."""
    path = tmp_path / "j.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    committed = -1
    for line in proc.stdout:
        committed = int(line)
        if committed >= 60:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    journal = Journal(path)  # recovery happens on open
    ids = {i.intent_id for i in journal.open_intents("p")}
    assert {f"i{n}" for n in range(committed + 1)} <= ids
    assert journal.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_power_loss_copy_of_the_files_opens_consistently(tmp_path: Path) -> None:
    """E2: a copy of the db and WAL taken mid-run (as after a power cut) opens and is whole."""
    import shutil

    journal = Journal(tmp_path / "j.sqlite3")
    for n in range(50):
        journal.record(f"i{n}", f"T{n}", "p", "C", {})
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    for name in ("j.sqlite3", "j.sqlite3-wal", "j.sqlite3-shm"):
        if (tmp_path / name).exists():
            shutil.copy(tmp_path / name, snapshot / name)
    journal.close()
    copy = Journal(snapshot / "j.sqlite3")
    assert len(copy.open_intents("p")) == 50
    assert copy.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert isinstance(copy.db, sqlite3.Connection)


def test_a_book_read_before_the_intents_last_step_never_proves_it_absent(tmp_path: Path) -> None:
    """`reconcile` reads the book once for all intents; a placer that sent after that read must
    not have its order declared absent from a book that could not show it yet."""
    from datetime import UTC, datetime, timedelta
    from typing import Any

    from angelctl.broker.orders import OrderBook
    from angelctl.orders.reconcile import reconcile_intent

    no_session: Any = None  # a passed-in book means no broker call is made
    journal = Journal(tmp_path / "j.sqlite3")
    book_at = datetime.now(UTC)
    journal.record("x", tag_for("p", "x"), "p", "C", {})
    sent = journal.move("x", "sending")

    def empty_book(read_at: datetime) -> OrderBook:
        return OrderBook([], read_at, read_mono=None)  # no monotonic time: the wall clock judges

    stale = reconcile_intent(no_session, journal, "x", book=empty_book(book_at), settle_after=0)
    assert stale.state == "sending"
    stamped = datetime.fromisoformat(sent.updated_at)  # the journal keeps milliseconds
    same_ms = stamped + timedelta(microseconds=999 - stamped.microsecond % 1000)
    also = reconcile_intent(no_session, journal, "x", book=empty_book(same_ms), settle_after=0)
    assert also.state == "sending"  # a read in the step's own millisecond may precede it

    later = datetime.fromisoformat(sent.updated_at) + timedelta(seconds=2)
    settled = reconcile_intent(no_session, journal, "x", book=empty_book(later), settle_after=2)
    assert settled.state == "not_placed"


def test_a_version_5_journal_gains_conversion_events_and_keeps_its_gtt_events(
    tmp_path: Path,
) -> None:
    import sqlite3
    from datetime import UTC, datetime

    from angelctl.orders.journal_schema import MIGRATIONS

    path = tmp_path / "v5.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    for number, migration in enumerate(MIGRATIONS[:5], start=1):
        migration(db)
        db.execute("INSERT INTO migrations VALUES (?, '2026-01-01T00:00:00+00:00')", (number,))
    db.execute(
        "INSERT INTO gtt_events (at, profile, rule_id, action, symbol, side, detail)"
        " VALUES ('2026-01-01T00:00:00.000+00:00', 'p', '7', 'create', 'SBIN-EQ', 'BUY', '{}')"
    )
    db.execute("COMMIT")
    db.close()

    journal = Journal(path)
    journal.conversion_event("p", "c1", "journalled", symbol="SBIN-EQ", detail={"quantity": 4})

    assert [e["action"] for e in journal.gtt_events("p", "7")] == ["create"]
    assert [e["kind"] for e in journal.conversion_events("c1")] == ["journalled"]
    assert journal.unsettled_conversions("p", datetime(2000, 1, 1, tzinfo=UTC)) == ["c1"]
    journal.close()


def test_tags_since_an_ist_midnight_include_the_evening_utc_stamps_of_that_ist_day(
    tmp_path: Path,
) -> None:
    """The journal stamps in UTC; the trading day starts at midnight IST (18:30 UTC the day
    before). A kill run at 00:30 IST once compared its "+05:30" midnight with "+00:00" stamps
    as text and treated its own exits as foreign orders, cancelling them (00:00–05:30 IST)."""
    from datetime import UTC, datetime

    from angelctl.clock import IST
    from angelctl.orders.reconcile import trading_day_start
    from angelctl.risk.killswitch.exits import EXIT_INTENT_PREFIX

    half_past_midnight_ist = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)  # 00:30 IST, 8 Dec
    journal = Journal(tmp_path / "j.sqlite3", FixedClock(half_past_midnight_ist))
    intent = EXIT_INTENT_PREFIX + "run1-0"
    journal.record(intent, tag_for("p", intent), "p", "C1", {})
    day = trading_day_start(half_past_midnight_ist)

    assert day == datetime(2026, 12, 8, tzinfo=IST)
    assert journal.tags_since("p", day) == {tag_for("p", intent): intent}
    assert journal.tags_since("p", day.astimezone(UTC)) == {tag_for("p", intent): intent}
    assert journal.tags_since("p", datetime(2026, 12, 9, tzinfo=IST)) == {}
    journal.close()
