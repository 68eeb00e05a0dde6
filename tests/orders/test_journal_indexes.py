"""Every statement the journal runs is served by an index at 100 k intents: no full ``SCAN``.

The statements are not listed by hand: every public journal and retention call runs against a
journal of 100 k intents with SQLite's trace hook on, and each statement it traced is explained
(``EXPLAIN QUERY PLAN``). A new query without an index fails here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from angelctl.errors import UsageError
from angelctl.orders.journal import Journal, tag_for
from angelctl.orders.retention import apply_retention, prune

ROWS = 100_000
TABLES = ("intents", "tags", "events", "risk_events", "gtt_events", "conversion_events")


def fill(journal: Journal, rows: int) -> None:
    """``rows`` settled intents, as many GTT rule events and a tenth as many conversion steps,
    over the last 300 days, in one transaction (about two seconds)."""
    start = datetime.now(UTC) - timedelta(days=300)
    step = timedelta(days=299) / rows
    intents, tags, events, gtts, conversions = [], [], [], [], []
    for i in range(rows):
        at = (start + i * step).isoformat(timespec="milliseconds")
        iid, profile = f"i{i:07d}", ("main", "other")[i % 2]
        tag = tag_for(profile, iid)
        intents.append((iid, tag, profile, "C1", "accepted", "{}", at, at, str(i)))
        tags.append((tag, iid, profile, at))
        events.append((iid, at, "accepted", json.dumps({"tag": tag})))
        gtts.append((at, profile, str(3_000_000 + i // 3), "modify", "SBIN-EQ", "BUY", "{}"))
        if i % 10 == 0:
            conversions.append((at, profile, f"c{i // 20}", "accepted", "SBIN-EQ", "{}"))
    with journal.transaction() as db:
        db.executemany(
            "INSERT INTO intents (intent_id, tag, profile, client_code, state, request,"
            " created_at, updated_at, order_id) VALUES (?,?,?,?,?,?,?,?,?)",
            intents,
        )
        db.executemany("INSERT INTO tags VALUES (?,?,1,?,?)", tags)
        db.executemany("INSERT INTO events (intent_id, at, kind, detail) VALUES (?,?,?,?)", events)
        db.executemany(
            "INSERT INTO gtt_events (at, profile, rule_id, action, symbol, side, detail)"
            " VALUES (?,?,?,?,?,?,?)",
            gtts,
        )
        db.executemany(
            "INSERT INTO conversion_events (at, profile, conversion_id, kind, symbol, detail)"
            " VALUES (?,?,?,?,?,?)",
            conversions,
        )


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Journal, list[str]]:
    journal = Journal(tmp_path_factory.mktemp("j") / "journal.sqlite3")
    fill(journal, ROWS)
    statements: list[str] = []
    journal.db.set_trace_callback(statements.append)
    now = datetime.now(UTC)
    rec = journal.record("new", tag_for("main", "new"), "main", "C1", {"side": "BUY"})
    assert rec is not None
    journal.move("new", "sending")
    journal.mark_sent("new", 1, "first", 1.0)
    journal.move("new", "not_placed", outcome="never sent")
    journal.reopen("new", tag_for("main", "new", attempt=2))
    journal.note("new", "seen", {})
    journal.risk_event("main", "run", "latched", {})
    journal.risk_events("main")
    journal.get("i0000001")
    journal.open_intents("main")
    journal.open_intents()
    journal.count_since("main", seconds=60)
    journal.recent(30, "main")
    journal.recent(30)
    journal.tags_since("main", now)
    journal.tags_of("i0000001")
    journal.issued("ACNOTATAGATALL1")
    journal.events("i0000001")
    journal.gtt_event("main", "3999999", "create", symbol="SBIN-EQ", side="BUY", detail={})
    journal.gtt_rule_ids("main", now)
    journal.gtt_rule_match("main", "3999999")
    with pytest.raises(UsageError):
        journal.gtt_rule_match("main", "30000")  # ambiguous
    journal.gtt_events("main", "3000001")
    journal.conversion_event("main", "c1", "journalled", symbol="SBIN-EQ", detail={})
    journal.conversion_events("c1")
    journal.unsettled_conversions("main", now)
    prune(journal, "main", now - timedelta(days=200), now=now, dry_run=True)
    prune(journal, "main", now - timedelta(days=250), now=now, vacuum=False)
    apply_retention(journal, "other", 250, now=now)
    apply_retention(journal, "other", 250, now=now)  # the second run of the day: one read
    journal.db.set_trace_callback(None)
    return journal, statements


def plan(db: sqlite3.Connection, statement: str) -> list[str]:
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]


def full_scans(db: sqlite3.Connection, statement: str) -> list[str]:
    """Plan lines that read a whole table (or a whole index of it, or every row of a profile).
    An index walked in order and stopped by LIMIT (``ORDER BY created_at DESC LIMIT 30``) reads
    only LIMIT rows."""
    bad = []
    lines = plan(db, statement)
    for line in lines:
        if re.search(r"\(profile=\?\)$", line) and " LIMIT " not in statement.upper():
            bad.append(line)  # every row of a profile: all of them in a one-profile journal
            continue
        match = re.match(r"SCAN (\w+)", line)
        if not match or match.group(1) not in TABLES:
            continue
        limited = " LIMIT " in statement.upper() and "USING" in line
        if not limited or any("TEMP B-TREE" in other for other in lines):
            bad.append(line)
    return bad


def test_every_journal_statement_is_served_by_an_index_at_100k_intents(
    traced: tuple[Journal, list[str]],
) -> None:
    journal, statements = traced
    queries = {
        s.strip()
        for s in statements
        if re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", s, re.IGNORECASE)
    }
    assert len(queries) >= 24  # every call above was traced
    found = {q: full_scans(journal.db, q) for q in sorted(queries)}
    assert {q: lines for q, lines in found.items() if lines} == {}


def test_the_plan_check_catches_a_scan(traced: tuple[Journal, list[str]]) -> None:
    journal, _ = traced
    assert full_scans(journal.db, "SELECT * FROM intents WHERE request = '{}'")
    assert full_scans(journal.db, "SELECT * FROM intents ORDER BY updated_at LIMIT 3")
    assert full_scans(
        journal.db, "SELECT * FROM intents WHERE profile = 'main' ORDER BY created_at"
    )
    assert not full_scans(journal.db, "SELECT * FROM intents ORDER BY created_at DESC LIMIT 3")


def test_the_filled_journal_has_its_rows_and_the_prune_kept_the_newer_ones(
    traced: tuple[Journal, list[str]],
) -> None:
    journal, _ = traced
    (left,) = journal.db.execute("SELECT COUNT(*) FROM intents").fetchone()
    assert ROWS // 4 < left < ROWS  # about 250 of 300 days of "main" and "other" went
    assert journal.get("new") is not None
