"""A state machine over the journal: record, send, settle, reopen, let time pass, prune, run the
retention, and close and reopen the file, judged after every step against a plain model kept
here (dicts and lists), never against journal code.

Time: each intent is stamped at ``TODAY - age days + n seconds`` (n its sequence number, unique
and under a day), so whether a row is older than a prune's cutoff (``TODAY - k days``) is the
model's integer comparison ``age > k``; what the journal stamps itself (a move, a reopen) is
"today" (age 0); ``age`` moves one intent's every timestamp into the past by whole days.

Invariants: no unsettled intent is ever lost, ids stay unique, states, attempts and tags match,
``recent()``, ``open_intents()``, ``tags_since()`` and ``count_since()`` match, and every prune
and retention run reports exactly what the model says goes.

``JOURNAL_MACHINE_EXAMPLES`` / ``JOURNAL_MACHINE_STEPS`` run it longer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from angelctl.clock import IST
from angelctl.orders.journal import InvalidTransition, Journal, tag_for
from angelctl.orders.retention import apply_retention, day_start, prune

PROFILES = ("a", "b")
OPEN = {"journalled", "sending", "unknown"}
FINAL = {"accepted", "rejected", "not_placed"}
# Moves the model allows (its own table, written from docs/orders.md, not read from the code).
MOVES = {
    "journalled": {"sending", "not_placed"},
    "sending": {"accepted", "rejected", "unknown", "not_placed"},
    "unknown": {"accepted", "not_placed"},
    "accepted": set(),
    "rejected": {"accepted"},
    "not_placed": {"accepted"},  # and a reopen (journalled), its own rule
}
ALL_STATES = sorted(OPEN | FINAL)
DAY = timedelta(days=1)
PROFILE = st.sampled_from(PROFILES)
PATH = st.sampled_from(
    [
        ("sending", "accepted"),
        ("sending", "rejected"),
        ("not_placed",),
        ("sending", "unknown"),
        ("sending", "unknown", "not_placed"),
        ("sending",),
    ]
)
AGE = st.integers(1, 7)


@dataclass
class Kept:
    profile: str
    state: str
    created: datetime  # exact
    updated_age: int  # whole days since its last change (0: today)
    tags: list[list[object]] = field(default_factory=list)  # [tag, age in days], by attempt


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class JournalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="journal-machine-"))
        self.path = self.folder / "journal.sqlite3"
        self.journal = Journal(self.path)
        self.today = day_start(datetime.now(UTC).astimezone(IST).date())
        self.model: dict[str, Kept] = {}
        self.retained: set[str] = set()  # profiles whose retention ran today
        self.sequence = 0

    def teardown(self) -> None:
        self.journal.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------------

    def ids(self, states: set[str]) -> list[str]:
        return sorted(i for i, k in self.model.items() if k.state in states)

    def shift(self, intent_id: str, days: int) -> None:
        """Move every timestamp of one intent ``days`` into the past (plain SQL, test side)."""
        db = self.journal.db
        back = f"-{days} days"
        db.execute("BEGIN IMMEDIATE")
        for table, columns in (
            ("intents", ("created_at", "updated_at")),
            ("tags", ("created_at",)),
            ("events", ("at",)),
        ):
            sets = ", ".join(
                f"{c} = strftime('%Y-%m-%dT%H:%M:%f+00:00', {c}, '{back}')" for c in columns
            )
            db.execute(f"UPDATE {table} SET {sets} WHERE intent_id = ?", (intent_id,))
        db.execute("COMMIT")

    def going(self, profile: str, k: int) -> set[str]:
        cutoff = self.today - k * DAY
        return {
            i
            for i, kept in self.model.items()
            if kept.profile == profile
            and kept.state in FINAL
            and kept.created < cutoff
            and kept.updated_age > k
            and all(int(age) > 0 for _, age in kept.tags)  # type: ignore[call-overload]
        }

    def older_open(self, profile: str, k: int) -> int:
        cutoff = self.today - k * DAY
        return sum(
            1
            for kept in self.model.values()
            if kept.profile == profile and kept.state in OPEN and kept.created < cutoff
        )

    # -- rules -------------------------------------------------------------------------------

    @rule(profile=st.sampled_from(PROFILES), age=st.integers(0, 6))
    def record(self, profile: str, age: int) -> None:
        """A new intent, stamped ``age`` days ago."""
        self.sequence += 1
        intent_id = f"i{self.sequence}"
        tag = tag_for(profile, intent_id)
        assert self.journal.record(intent_id, tag, profile, "C1", {"n": self.sequence})
        at = self.today - age * DAY + timedelta(seconds=self.sequence)
        db = self.journal.db
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE intents SET created_at = ?1, updated_at = ?1 WHERE intent_id = ?2",
            (stamp(at), intent_id),
        )
        db.execute("UPDATE tags SET created_at = ? WHERE intent_id = ?", (stamp(at), intent_id))
        db.execute("UPDATE events SET at = ? WHERE intent_id = ?", (stamp(at), intent_id))
        db.execute("COMMIT")
        self.model[intent_id] = Kept(profile, "journalled", at, age, [[tag, age]])

    @initialize(history=st.lists(st.tuples(PROFILE, PATH, AGE), min_size=1, max_size=8))
    def a_journal_with_a_past(self, history: list[tuple[str, tuple[str, ...], int]]) -> None:
        for profile, path, age in history:
            self.record_and_settle_days_ago(profile, path, age)

    @rule(profile=PROFILE, path=PATH, age=AGE)
    def record_and_settle_days_ago(self, profile: str, path: tuple[str, ...], age: int) -> None:
        """An intent whose whole history so far happened ``age`` days ago."""
        self.record(profile, 0)
        intent_id = f"i{self.sequence}"
        for step in path:
            self.journal.move(intent_id, step)
        self.shift(intent_id, age)
        kept = self.model[intent_id]
        kept.state, kept.created, kept.updated_age = path[-1], kept.created - age * DAY, age
        kept.tags[0][1] = age

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def record_the_same_id_again(self, data: st.DataObject) -> None:
        intent_id = data.draw(st.sampled_from(sorted(self.model)))
        kept = self.model[intent_id]
        assert self.journal.record(intent_id, "ACOTHERTAG0000", kept.profile, "C1", {}) is None
        tag = str(kept.tags[0][0])
        assert self.journal.record("fresh-id-" + intent_id, tag, kept.profile, "C1", {}) is None

    @precondition(lambda self: self.ids(OPEN | {"rejected", "not_placed"}))
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        """A move the model allows (a settle, a late landing adopted today)."""
        intent_id = data.draw(st.sampled_from(self.ids(OPEN | {"rejected", "not_placed"})))
        kept = self.model[intent_id]
        to = data.draw(st.sampled_from(sorted(MOVES[kept.state])))
        assert self.journal.move(intent_id, to).state == to
        kept.state, kept.updated_age = to, 0

    @precondition(lambda self: self.model)
    @rule(data=st.data(), to=st.sampled_from(ALL_STATES))
    def move_the_model_refuses(self, data: st.DataObject, to: str) -> None:
        intent_id = data.draw(st.sampled_from(sorted(self.model)))
        kept = self.model[intent_id]
        if to in MOVES[kept.state] or (kept.state, to) == ("not_placed", "journalled"):
            return  # allowed (a new attempt takes a new tag: the reopen rule)
        try:
            self.journal.move(intent_id, to)
        except InvalidTransition:
            return
        raise AssertionError(f"{kept.state} -> {to} was allowed")

    @precondition(lambda self: self.ids({"sending"}))
    @rule(data=st.data())
    def mark_sent(self, data: st.DataObject) -> None:
        intent_id = data.draw(st.sampled_from(self.ids({"sending"})))
        self.journal.mark_sent(intent_id, 1, "first", 1.0)  # changes no state, no updated_at

    @precondition(lambda self: self.ids({"not_placed"}))
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        intent_id = data.draw(st.sampled_from(self.ids({"not_placed"})))
        kept = self.model[intent_id]
        tag = tag_for(kept.profile, intent_id, attempt=len(kept.tags) + 1)
        intent = self.journal.reopen(intent_id, tag)
        assert (intent.state, intent.attempt, intent.tag) == ("journalled", len(kept.tags) + 1, tag)
        kept.state, kept.updated_age = "journalled", 0
        kept.tags.append([tag, 0])

    @precondition(lambda self: self.model)
    @rule(data=st.data(), days=st.integers(1, 7))
    def time_passes_for(self, data: st.DataObject, days: int) -> None:
        intent_id = data.draw(st.sampled_from(sorted(self.model)))
        self.shift(intent_id, days)
        kept = self.model[intent_id]
        kept.created -= days * DAY
        kept.updated_age += days
        for pair in kept.tags:
            pair[1] = int(pair[1]) + days  # type: ignore[call-overload]

    @rule(profile=st.sampled_from(PROFILES), k=st.integers(-2, 6), dry_run=st.booleans())
    def prune(self, profile: str, k: int, dry_run: bool) -> None:
        """Prune before ``k`` days ago (a negative ``k``: a date after today, which never
        reaches into today)."""
        going = self.going(profile, max(k, 0))
        report = prune(
            self.journal, profile, self.today - k * DAY, now=datetime.now(UTC), dry_run=dry_run
        )
        kept_open = self.older_open(profile, max(k, 0))
        assert (report.intents, report.kept_unsettled) == (len(going), kept_open)
        assert report.tags == sum(len(self.model[i].tags) for i in going)
        if not dry_run:
            for intent_id in going:
                del self.model[intent_id]

    @rule(profile=st.sampled_from(PROFILES), days=st.integers(0, 6))
    def retention(self, profile: str, days: int) -> None:
        report = apply_retention(self.journal, profile, days, now=datetime.now(UTC))
        if days == 0 or profile in self.retained:
            assert report is None
            return
        going = self.going(profile, days)
        assert report is not None and report.intents == len(going) and report.complete
        for intent_id in going:
            del self.model[intent_id]
        self.retained.add(profile)

    @rule()
    def close_and_reopen(self) -> None:
        self.journal.close()
        self.journal = Journal(self.path)

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def every_kept_intent_is_there_as_the_model_says(self) -> None:
        for intent_id, kept in self.model.items():
            intent = self.journal.get(intent_id)
            assert intent is not None, f"{kept.state} intent {intent_id} was lost"
            assert (intent.profile, intent.state, intent.tag) == (
                kept.profile,
                kept.state,
                kept.tags[-1][0],
            )
            assert intent.attempt == len(kept.tags)
            assert self.journal.tags_of(intent_id) == [t for t, _ in kept.tags]

    @invariant()
    def listings_and_counts_match_the_model(self) -> None:
        newest = sorted(self.model, key=lambda i: self.model[i].created, reverse=True)
        assert [i.intent_id for i in self.journal.recent(10_000)] == newest
        now = datetime.now(UTC)
        window = self.today - 3 * DAY
        for profile in PROFILES:
            mine = [i for i in newest if self.model[i].profile == profile]
            assert [i.intent_id for i in self.journal.recent(10_000, profile)] == mine
            opened = [i.intent_id for i in self.journal.open_intents(profile)]
            assert opened == [i for i in reversed(mine) if self.model[i].state in OPEN]
            today = {str(t): i for i in mine for t, age in self.model[i].tags if age == 0}
            assert self.journal.tags_since(profile, self.today) == today
            recent = sum(
                1
                for i in mine
                if self.model[i].created > window and self.model[i].state != "journalled"
            )
            seconds = (now - window).total_seconds()
            assert self.journal.count_since(profile, seconds=seconds) == recent

    @invariant()
    def ids_and_tags_are_unique(self) -> None:
        db = self.journal.db
        assert db.execute("SELECT COUNT(*) FROM intents").fetchone()[0] == len(self.model)
        (tags, distinct) = db.execute("SELECT COUNT(*), COUNT(DISTINCT tag) FROM tags").fetchone()
        assert tags == distinct == sum(len(k.tags) for k in self.model.values())


def test_the_journal_keeps_what_the_model_keeps() -> None:
    run_state_machine_as_test(
        JournalMachine,
        settings=settings(
            max_examples=int(os.environ.get("JOURNAL_MACHINE_EXAMPLES", "50")),
            stateful_step_count=int(os.environ.get("JOURNAL_MACHINE_STEPS", "30")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
