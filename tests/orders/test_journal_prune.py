"""Pruning the journal: what goes, what never goes (unsettled intents, today, other profiles),
the daily retention run, and the `journal prune` command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from angelctl.clock import IST
from angelctl.orders.journal import Journal, tag_for
from angelctl.orders.retention import apply_retention, day_start, prune
from tests.conftest import Result, Terminal, run_cli

TODAY = datetime.now(UTC).astimezone(IST).date()


def backdate(journal: Journal, intent_id: str, days: float) -> None:
    """Move every timestamp of one intent ``days`` into the past (its rows, tags and events)."""
    shift = timedelta(days=days)

    def earlier(stamp: str) -> str:
        return (datetime.fromisoformat(stamp) - shift).isoformat(timespec="milliseconds")

    db = journal.db
    with journal.transaction():
        (created, updated) = db.execute(
            "SELECT created_at, updated_at FROM intents WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        db.execute(
            "UPDATE intents SET created_at = ?, updated_at = ? WHERE intent_id = ?",
            (earlier(created), earlier(updated), intent_id),
        )
        for table, column, key in (("tags", "created_at", "tag"), ("events", "at", "seq")):
            for value, stamp in db.execute(
                f"SELECT {key}, {column} FROM {table} WHERE intent_id = ?", (intent_id,)
            ).fetchall():
                db.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (earlier(stamp), value)
                )


def add(journal: Journal, intent_id: str, state: str, days_ago: float, profile: str = "p") -> None:
    assert journal.record(intent_id, tag_for(profile, intent_id), profile, "C1", {}) is not None
    path = {
        "journalled": [],
        "sending": ["sending"],
        "unknown": ["sending", "unknown"],
        "accepted": ["sending", "accepted"],
        "rejected": ["sending", "rejected"],
        "not_placed": ["not_placed"],
    }[state]
    for step in path:
        journal.move(intent_id, step)
    backdate(journal, intent_id, days_ago)


def present(journal: Journal) -> set[str]:
    return {r[0] for r in journal.db.execute("SELECT intent_id FROM intents")}


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def test_prune_deletes_only_settled_intents_before_the_date_never_open_ones(
    journal: Journal,
) -> None:
    for state in ("journalled", "sending", "unknown", "accepted", "rejected", "not_placed"):
        add(journal, f"old-{state}", state, 40)
        add(journal, f"new-{state}", state, 5)
    add(journal, "other-profile", "accepted", 40, profile="q")
    journal.risk_event("p", "run", "latched", {})
    journal.db.execute("UPDATE risk_events SET at = '2020-01-01T00:00:00.000+00:00'")
    now = datetime.now(UTC)
    before = day_start(TODAY - timedelta(days=10))
    dry = prune(journal, "p", before, now=now, dry_run=True)
    assert (dry.intents, dry.kept_unsettled, dry.risk_events) == (3, 3, 1)
    assert dry.events == 3 * 2 + 2 and dry.tags == 3  # accepted/rejected 3 events, not_placed 2
    assert len(present(journal)) == 13  # a dry run deletes nothing
    done = prune(journal, "p", before, now=now)
    assert (done.intents, done.events, done.tags, done.risk_events) == (3, 8, 3, 1)
    gone = {"old-accepted", "old-rejected", "old-not_placed"}
    assert present(journal) == {
        f"{a}-{s}"
        for a in ("old", "new")
        for s in ("journalled", "sending", "unknown", "accepted", "rejected", "not_placed")
    } - gone | {"other-profile"}
    assert (
        journal.db.execute("SELECT COUNT(*) FROM tags WHERE intent_id LIKE 'old-%'").fetchone()[0]
        == 3
    )  # the unsettled ones keep theirs
    assert journal.risk_events("p") == []


def convert_steps(
    journal: Journal, cid: str, kinds: list[str], days_ago: float, profile: str = "p"
) -> None:
    for kind in kinds:
        journal.conversion_event(profile, cid, kind, symbol="SBIN-EQ", detail={"quantity": 1})
    with journal.transaction() as db:  # the steps as if made days_ago
        for seq, stamp in db.execute(
            "SELECT seq, at FROM conversion_events WHERE conversion_id = ?", (cid,)
        ).fetchall():
            earlier = datetime.fromisoformat(stamp) - timedelta(days=days_ago)
            db.execute(
                "UPDATE conversion_events SET at = ? WHERE seq = ?",
                (earlier.isoformat(timespec="milliseconds"), seq),
            )


def test_prune_deletes_settled_conversions_before_the_date_and_keeps_unsettled_ones(
    journal: Journal,
) -> None:
    import sqlite3

    convert_steps(journal, "old-accepted", ["journalled", "sending", "accepted"], 40)
    convert_steps(journal, "old-not-converted", ["journalled", "sending", "unknown",
                                                 "not_converted"], 40)  # fmt: skip
    convert_steps(journal, "old-unknown", ["journalled", "sending", "unknown"], 40)
    convert_steps(journal, "new-accepted", ["journalled", "sending", "accepted"], 5)
    convert_steps(journal, "other-profile", ["journalled", "accepted"], 40, profile="q")
    convert_steps(journal, "settled-late", ["journalled", "sending", "unknown"], 40)
    convert_steps(journal, "settled-late", ["converted"], 2)  # settled after the cutoff
    before = day_start(TODAY - timedelta(days=10))

    dry = prune(journal, "p", before, now=datetime.now(UTC), dry_run=True)
    done = prune(journal, "p", before, now=datetime.now(UTC))

    assert (dry.conversion_events, dry.kept_unsettled_conversions) == (7, 1)
    assert (done.conversion_events, done.kept_unsettled_conversions) == (7, 1)
    with sqlite3.connect(journal.path) as observer:  # what is left, read on its own
        left = {r[0] for r in observer.execute("SELECT conversion_id FROM conversion_events")}
    assert left == {"old-unknown", "new-accepted", "other-profile", "settled-late"}


def test_prune_never_touches_today_even_with_a_later_date(journal: Journal) -> None:
    add(journal, "today", "accepted", 0)
    add(journal, "yesterday", "accepted", 1)
    report = prune(journal, "p", day_start(TODAY + timedelta(days=30)), now=datetime.now(UTC))
    assert report.cutoff == day_start(TODAY).astimezone(UTC).isoformat(timespec="milliseconds")
    assert present(journal) == {"today"}


def test_an_old_intent_with_a_tag_issued_today_is_kept_for_the_late_landing_check(
    journal: Journal,
) -> None:
    """Placed weeks ago, proven not placed, placed again today under a new tag: the book of today
    may show either tag, so nothing of it goes while today lasts."""
    add(journal, "again", "not_placed", 30)
    journal.reopen("again", tag_for("p", "again", attempt=2))
    journal.move("again", "not_placed")
    since = day_start(TODAY)
    prune(journal, "p", day_start(TODAY), now=datetime.now(UTC))
    assert present(journal) == {"again"}
    assert journal.tags_since("p", since) == {tag_for("p", "again", attempt=2): "again"}
    assert journal.tags_of("again") == [tag_for("p", "again"), tag_for("p", "again", attempt=2)]


def test_prune_reclaims_the_space(journal: Journal) -> None:
    for i in range(300):
        add(journal, f"i{i}", "accepted", 20)
        journal.note(f"i{i}", "filler", {"text": "x" * 2000})
    report = prune(journal, "p", day_start(TODAY), now=datetime.now(UTC))
    assert report.intents == 300
    assert report.bytes_after < report.bytes_before / 4
    assert journal.path.stat().st_size == report.bytes_after


def test_retention_runs_once_a_day_and_zero_keeps_everything(journal: Journal) -> None:
    add(journal, "old", "accepted", 100)
    add(journal, "kept", "accepted", 50)
    now = datetime.now(UTC)
    assert apply_retention(journal, "p", 0, now=now) is None
    assert present(journal) == {"old", "kept"}
    first = apply_retention(journal, "p", 90, now=now)
    assert first is not None and first.intents == 1 and present(journal) == {"kept"}
    assert apply_retention(journal, "p", 30, now=now) is None  # already ran today
    assert present(journal) == {"kept"}
    tomorrow = apply_retention(journal, "p", 30, now=now + timedelta(days=1))
    assert tomorrow is not None and tomorrow.intents == 1 and present(journal) == set()
    assert apply_retention(journal, "q", 30, now=now) is not None  # each profile its own day


def test_retention_stops_at_its_budget_and_goes_on_next_time(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    import angelctl.orders.retention as retention

    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(retention, "AUTO_BATCHES", 2)
    for i in range(7):
        add(journal, f"i{i}", "accepted", 100)
    now = datetime.now(UTC)
    first = apply_retention(journal, "p", 30, now=now)
    assert first is not None and (first.intents, first.complete) == (4, False)
    second = apply_retention(journal, "p", 30, now=now)  # the day was not noted: it goes on
    assert second is not None and (second.intents, second.complete) == (3, True)
    assert apply_retention(journal, "p", 30, now=now) is None


# ------------------------------------------------------------------------- the command


def journal_file() -> Journal:
    from angelctl.config import state_dir

    return Journal(state_dir() / "journal.sqlite3")


@pytest.fixture
def filled(sandbox_login: Any) -> None:
    j = journal_file()
    add(j, "old", "accepted", 40, profile="sandbox")
    add(j, "open", "unknown", 40, profile="sandbox")
    add(j, "recent", "accepted", 2, profile="sandbox")
    j.close()


def remaining() -> set[str]:
    j = journal_file()
    try:
        return present(j)
    finally:
        j.close()


def test_journal_prune_dry_run_json_then_yes(filled: None) -> None:
    before = (TODAY - timedelta(days=10)).isoformat()
    dry = run_cli("journal", "prune", "--before", before, "--dry-run", "--json")
    assert dry.code == 0, dry.both
    assert (dry.json()["intents"], dry.json()["kept_unsettled"], dry.json()["dry_run"]) == (
        1,
        1,
        True,
    )
    assert remaining() == {"old", "open", "recent"}
    done = run_cli("journal", "prune", "--before", before, "--yes")
    assert done.code == 0, done.both
    assert "deleted 1 settled intents" in done.out and "kept 1 older intents" in done.out
    assert remaining() == {"open", "recent"}
    listed = run_cli("journal", "--json").json()["intents"]  # the listing still works
    assert [i["intent_id"] for i in listed] == ["recent", "open"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "refusing to prune the journal without --yes"),
        (["--before", "2026-13-01"], "--before expects a date"),
        (["--before", "tomorrow"], "--before expects a date"),
        (["--before", (TODAY + timedelta(days=1)).isoformat()], "today is never pruned"),
    ],
)
def test_journal_prune_refuses_with_exit_2_and_deletes_nothing(
    filled: None, args: list[str], message: str
) -> None:
    argv = ["journal", "prune", *(args or ["--before", date(2099, 1, 1).isoformat()])]
    if not args:
        argv[-1] = TODAY.isoformat()
    result: Result = run_cli(*argv)
    assert result.code == 2 and message in result.err
    assert len([line for line in result.err.splitlines() if line.strip()]) == 1
    assert remaining() == {"old", "open", "recent"}


def test_journal_prune_asks_on_a_terminal(filled: None) -> None:
    before = (TODAY - timedelta(days=10)).isoformat()
    with Terminal("journal", "prune", "--before", before) as term:
        assert b"would delete 1 settled intents" in term.read_until(b"Delete them?")
        term.write("n\n")
        assert term.exit_code() == 18
    assert remaining() == {"old", "open", "recent"}
    with Terminal("journal", "prune", "--before", before) as term:
        term.read_until(b"Delete them?")
        term.write("y\n")
        assert term.exit_code() == 0
    assert remaining() == {"open", "recent"}


def test_the_retention_key_is_validated_shown_and_applied(filled: None) -> None:
    assert run_cli("config", "set", "journal_retention_days", "soon").code == 3
    assert run_cli("config", "set", "journal_retention_days", "40000").code == 3
    assert run_cli("config", "set", "journal_retention_days", "30").code == 0
    shown = run_cli("config", "show", "--json").json()["settings"]
    assert shown["journal_retention_days"] == 30
    assert run_cli("journal").code == 0  # the listing ends with the day's retention run
    assert remaining() == {"open", "recent"}


def test_reconcile_ends_with_the_retention_run_and_keeps_what_it_settles(filled: None) -> None:
    assert run_cli("config", "set", "journal_retention_days", "30").code == 0
    result = run_cli("reconcile", "--json")
    assert result.code in (0, 10), result.both
    assert remaining() == {"open", "recent"}  # "open" was settled today, or is still open
