"""The journal's GTT rule events (migration 5): a version-4 file gains the table and keeps its
rows, ids come back distinct and newest first, a prefix resolves only when unique, and the prune
deletes old events but never today's or another profile's."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from angelctl.clock import IST
from angelctl.errors import UsageError
from angelctl.orders.journal import Journal
from angelctl.orders.retention import apply_retention, day_start, prune

NOW = datetime.now(UTC)
EVER = datetime(2000, 1, 1, tzinfo=UTC)  # before any event: every rule id
TODAY = NOW.astimezone(IST).date()


def version_4_file(path: Path) -> None:
    """A journal as angelctl left it before migration 5, with one intent and one kill step."""
    from angelctl.orders.journal_schema import MIGRATIONS

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    for number, migration in enumerate(MIGRATIONS[:4], 1):
        migration(db)
        db.execute("INSERT INTO migrations VALUES (?, '2026-01-01T00:00:00+00:00')", (number,))
    db.execute(
        "INSERT INTO intents (intent_id, tag, profile, client_code, state, request, created_at,"
        " updated_at, order_id) VALUES ('i', 'AC1', 'p', 'C', 'accepted', '{}', 't', 't', '42')"
    )
    db.execute(
        "INSERT INTO risk_events (at, profile, run_id, kind, detail)"
        " VALUES ('2026-01-01T00:00:00.000+00:00', 'p', 'r', 'latched', '{}')"
    )
    db.execute("COMMIT")
    db.close()


def test_a_version_4_journal_gains_gtt_events_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    version_4_file(path)
    journal = Journal(path)
    numbers = [r[0] for r in journal.db.execute("SELECT number FROM migrations")]
    assert numbers == [1, 2, 3, 4, 5, 6]  # 5 and, since, 6 (conversion_events)
    intent = journal.get("i")
    assert intent is not None and (intent.state, intent.order_id) == ("accepted", "42")
    assert [e["kind"] for e in journal.risk_events("p")] == ["latched"]
    journal.gtt_event(
        "p", "3375301", "create", symbol="SBIN-EQ", side="SELL", detail={"trigger": "840"}
    )
    assert journal.gtt_rule_ids("p", EVER) == ["3375301"]
    journal.close()


def test_rule_ids_are_distinct_newest_first_per_profile(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    for rule_id, action in (("11", "create"), ("22", "create"), ("11", "modify")):
        journal.gtt_event("p", rule_id, action, symbol="SBIN-EQ", side="BUY", detail={})
    journal.gtt_event("q", "33", "create", symbol="SBIN-EQ", side="BUY", detail={})
    assert journal.gtt_rule_ids("p", EVER) == ["11", "22"]  # 11 was modified last
    assert journal.gtt_rule_ids("q", EVER) == ["33"]
    later = NOW + timedelta(days=1)
    assert journal.gtt_rule_ids("p", later) == []
    assert [e["action"] for e in journal.gtt_events("p", "11")] == ["create", "modify"]
    with pytest.raises(ValueError, match="unknown GTT action"):
        journal.gtt_event("p", "11", "delete", symbol="SBIN-EQ", side="BUY", detail={})


def test_a_unique_prefix_resolves_an_ambiguous_one_is_a_usage_error(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    for rule_id in ("3375301", "3375302", "4400001"):
        journal.gtt_event("p", rule_id, "create", symbol="SBIN-EQ", side="BUY", detail={})
    journal.gtt_event("q", "4400009", "create", symbol="SBIN-EQ", side="BUY", detail={})
    assert journal.gtt_rule_match("p", "44") == "4400001"  # q's 4400009 is not p's
    assert journal.gtt_rule_match("p", "3375302") == "3375302"
    assert journal.gtt_rule_match("p", "99") == "99"  # not journalled: sent as typed
    assert journal.gtt_rule_match("p", " 4400001 ") == "4400001"
    with pytest.raises(UsageError, match=r"GTT rule '33753' is ambiguous: 2 match"):
        journal.gtt_rule_match("p", "33753")


def _age(journal: Journal, rule_id: str, days: int) -> None:
    stamp = (NOW - timedelta(days=days)).isoformat(timespec="milliseconds")
    with journal.transaction() as db:
        db.execute("UPDATE gtt_events SET at = ? WHERE rule_id = ?", (stamp, rule_id))


def test_prune_deletes_old_gtt_events_never_todays_nor_another_profiles(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    for profile, rule_id, days in (("p", "1", 40), ("p", "2", 0), ("q", "3", 40)):
        journal.gtt_event(profile, rule_id, "create", symbol="SBIN-EQ", side="BUY", detail={})
        _age(journal, rule_id, days)
    tomorrow = day_start(TODAY + timedelta(days=1))
    dry = prune(journal, "p", tomorrow, now=NOW, dry_run=True)  # the cutoff is today's start
    assert dry.gtt_events == 1 and journal.gtt_rule_ids("p", EVER) == ["2", "1"]
    done = prune(journal, "p", tomorrow, now=NOW)
    assert done.gtt_events == 1
    assert journal.gtt_rule_ids("p", EVER) == ["2"]  # today's stays
    assert journal.gtt_rule_ids("q", EVER) == ["3"]  # another profile's stays
    report = apply_retention(journal, "q", 30, now=NOW)
    assert report is not None and report.gtt_events == 1
    assert journal.gtt_rule_ids("q", EVER) == []
